-- Each source identity's e-mail and phone as identity standardised them (the golden
-- record's forms): what a consent decision or a bounce carried by that record is about.
with

source as (
    select * from {{ source('identity', 'identity_records') }}
),

final as (
    select
        record_id,
        identity_type,
        email,
        phone
    from source
)

select * from final
