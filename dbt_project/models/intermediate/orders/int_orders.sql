-- One row per order: a receipt rebuilt from its lines, or an e-shop purchase. Revenue is
-- net of line discounts (store) or GA4 purchase_revenue (web); margin only over lines
-- whose unit cost is known, with the revenue it covers alongside.
with

order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
),

web_purchases as (
    select * from {{ ref('int_web_purchases_deduplicated') }}
),

line_totals as (
    select
        order_id,
        min(customer_id) as customer_id,
        min(order_channel) as order_channel,
        min(ordered_at) as ordered_at,
        sum(line_revenue) as line_revenue,
        sum(quantity) as item_quantity,
        count(*) as line_count,
        sum(case when line_cost is not null then line_revenue end) as cost_known_revenue,
        -- `cost` is the documented column name (_intermediate.yml); DuckDB does not reserve it.
        sum(line_cost) as cost  -- noqa: RF04
    from order_lines
    group by order_id
),

web_orders as (
    select
        {{ dbt.concat(["'web:'", "transaction_id"]) }} as order_id,
        customer_id,
        purchased_at,
        purchase_revenue
    from web_purchases
),

final as (
    select
        coalesce(line_totals.order_id, web_orders.order_id) as order_id,
        coalesce(web_orders.customer_id, line_totals.customer_id) as customer_id,
        coalesce(line_totals.order_channel, 'web') as order_channel,
        case
            when coalesce(line_totals.order_channel, 'web') = 'store'
                then {{ dbt.split_part("line_totals.order_id", "':'", 1) }}
        end as store_id,
        coalesce(web_orders.purchased_at, line_totals.ordered_at) as ordered_at,
        cast(coalesce(web_orders.purchase_revenue, line_totals.line_revenue, 0) as decimal(14, 2)) as revenue,
        coalesce(line_totals.item_quantity, 0) as item_quantity,
        coalesce(line_totals.line_count, 0) as line_count,
        cast(line_totals.cost_known_revenue as decimal(14, 2)) as cost_known_revenue,
        cast(line_totals.cost as decimal(14, 2)) as cost,  -- noqa: RF04
        cast(line_totals.cost_known_revenue - line_totals.cost as decimal(14, 2)) as margin
    from line_totals
    full outer join web_orders
        on line_totals.order_id = web_orders.order_id
)

select * from final
