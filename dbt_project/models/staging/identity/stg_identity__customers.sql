with

source as (
    select * from {{ source('identity', 'customers') }}
),

final as (
    select
        customer_id,
        is_active,
        is_anonymous,
        record_count
    from source
)

select * from final
