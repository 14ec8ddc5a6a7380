with

source as (
    select * from {{ source('identity', 'customer_records') }}
),

final as (
    select
        record_id,
        identity_type,
        source_key,
        customer_id
    from source
)

select * from final
