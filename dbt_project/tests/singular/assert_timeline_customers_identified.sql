-- The timeline holds identified customers only: no row of an anonymous or retired customer.
with

timeline as (
    select distinct customer_id from {{ ref('customer_timeline') }}
),

customers as (
    select * from {{ ref('stg_identity__customers') }}
),

final as (
    select timeline.customer_id
    from timeline
    left join customers
        on timeline.customer_id = customers.customer_id
    where customers.customer_id is null
        or not customers.is_active
        or customers.is_anonymous
)

select * from final
