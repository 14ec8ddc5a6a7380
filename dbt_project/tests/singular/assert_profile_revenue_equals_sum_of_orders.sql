-- lifetime_revenue and order_count in the profile equal the sums over the customer's
-- orders; orders of identified customers never fall outside the profile.
with

profiles as (
    select customer_id, lifetime_revenue, order_count from {{ ref('customer_profile') }}
),

orders as (
    select customer_id, sum(revenue) as revenue, count(*) as order_count
    from {{ ref('int_orders') }}
    where customer_id is not null
    group by customer_id
),

final as (
    select
        coalesce(profiles.customer_id, orders.customer_id) as customer_id,
        profiles.lifetime_revenue,
        orders.revenue as orders_revenue,
        profiles.order_count,
        orders.order_count as orders_count
    from profiles
    full outer join orders
        on profiles.customer_id = orders.customer_id
    where profiles.customer_id is null
        or abs(coalesce(profiles.lifetime_revenue, 0) - coalesce(orders.revenue, 0)) > 0.005
        or coalesce(profiles.order_count, 0) <> coalesce(orders.order_count, 0)
)

select * from final
