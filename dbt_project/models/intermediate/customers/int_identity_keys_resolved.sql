-- The join key of every touchpoint: (identity_type, source_key) -> identified customer.
-- Records of anonymous customers (cookies that never linked) resolve to no customer here,
-- like anonymous receipts: the profile covers identified customers only.
with

customer_records as (
    select * from {{ ref('stg_identity__customer_records') }}
),

customers as (
    select * from {{ ref('stg_identity__customers') }}
),

final as (
    select
        customer_records.record_id,
        customer_records.identity_type,
        customer_records.source_key,
        case
            when customers.is_active and not customers.is_anonymous then customer_records.customer_id
        end as customer_id,
        customer_records.customer_id as resolved_customer_id
    from customer_records
    inner join customers
        on customer_records.customer_id = customers.customer_id
)

select * from final
