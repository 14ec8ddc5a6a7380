-- Per customer, the order dates the lifecycle segments start from (segment_entered_at):
-- second order, latest reactivation (an order after a gap longer than the at-risk window)
-- and the latest order at which the rolling 12-month revenue reached the VIP threshold.
with

orders as (
    select * from {{ ref('int_orders') }}
    where customer_id is not null
),

sequenced as (
    select
        customer_id,
        order_id,
        ordered_at,
        revenue,
        row_number() over (partition by customer_id order by ordered_at, order_id) as order_number,
        lag(ordered_at) over (partition by customer_id order by ordered_at, order_id) as previous_ordered_at
    from orders
),

with_rolling_revenue as (
    select
        *,
        -- a range frame (not portable everywhere) beats a correlated self-join on volume
        sum(revenue) over (
            partition by customer_id
            order by ordered_at
            range between interval 365 days preceding and current row
        ) as revenue_12_months_at_order
    from sequenced
),

final as (
    select
        customer_id,
        min(ordered_at) as first_order_at,
        max(case when order_number = 2 then ordered_at end) as second_order_at,
        max(
            case
                when {{ dbt.datediff('previous_ordered_at', 'ordered_at', 'day') }} > {{ var('at_risk_days') }}
                    then ordered_at
            end
        ) as last_reactivated_at,
        max(
            case
                when
                    revenue_12_months_at_order >= {{ var('vip_min_revenue_12m') }}
                    and revenue_12_months_at_order - revenue < {{ var('vip_min_revenue_12m') }}
                    then ordered_at
            end
        ) as vip_threshold_reached_at
    from with_rolling_revenue
    group by customer_id
)

select * from final
