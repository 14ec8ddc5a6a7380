with

customers as (
    select * from {{ ref('stg_identity__customers') }}
),

customer_records as (
    select * from {{ ref('stg_identity__customer_records') }}
),

sources_present as (
    select
        customer_id,
        {{ dbt.listagg("distinct identity_type", "','", "order by identity_type") }} as sources_present,
        count(distinct identity_type) as source_count
    from customer_records
    group by customer_id
),

final as (
    select
        customers.customer_id,
        customers.record_count,
        sources_present.sources_present,
        sources_present.source_count
    from customers
    inner join sources_present
        on customers.customer_id = sources_present.customer_id
    where
        customers.is_active
        and not customers.is_anonymous
)

select * from final
