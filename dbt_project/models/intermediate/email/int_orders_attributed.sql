-- Last-click attribution: each order of an identified customer goes to the latest e-mail
-- click of that customer in the var('attribution_window_days') days before the order.
with

orders as (
    select * from {{ ref('int_orders') }}
    where customer_id is not null
),

clicks as (
    select * from {{ ref('int_email_activity_attached') }}
    where
        activity_type = 'click'
        and customer_id is not null
),

clicks_before_orders as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.revenue,
        clicks.campaign_id,
        clicks.activity_at as clicked_at,
        row_number() over (
            partition by orders.order_id
            order by clicks.activity_at desc, clicks.campaign_id asc
        ) as click_rank
    from orders
    inner join clicks
        on
            orders.customer_id = clicks.customer_id
            and orders.ordered_at >= clicks.activity_at
            and clicks.activity_at > {{ dbt.dateadd('day', -1 * var('attribution_window_days'), 'orders.ordered_at') }}
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        revenue,
        campaign_id,
        clicked_at
    from clicks_before_orders
    where click_rank = 1
)

select * from final
