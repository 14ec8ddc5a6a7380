with

source as (
    select * from {{ source('identity', 'survivorship_trust') }}
),

final as (
    select
        attribute as attribute_name,
        identity_type,
        trust_rank
    from source
)

select * from final
