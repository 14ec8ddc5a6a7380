-- Every sold line, store and web, in one shape: the base of top categories and margins.
with

receipt_lines as (
    select * from {{ ref('int_pos_lines_attached') }}
),

web_items as (
    select * from {{ ref('int_web_items_unnested') }}
    where event_name = 'purchase'
),

web_purchases as (
    select * from {{ ref('int_web_purchases_deduplicated') }}
),

products as (
    select * from {{ ref('int_products') }}
),

web_purchase_lines as (
    select
        web_items.*,
        row_number() over (partition by web_items.web_event_id order by web_items.sku) as item_position
    from web_items
    inner join web_purchases
        on web_items.web_event_id = web_purchases.web_event_id
),

store_lines as (
    select
        receipt_line_id as order_line_id,
        order_id,
        customer_id,
        'store' as order_channel,
        sold_at as ordered_at,
        sku,
        category,
        quantity,
        line_revenue,
        line_cost
    from receipt_lines
),

web_lines as (
    select
        {{ dbt.concat([
            "'web:'",
            "web_purchase_lines.transaction_id",
            "':'",
            dbt.cast("web_purchase_lines.item_position", dbt.type_string()),
        ]) }} as order_line_id,
        {{ dbt.concat(["'web:'", "web_purchase_lines.transaction_id"]) }} as order_id,
        web_purchase_lines.customer_id,
        'web' as order_channel,
        web_purchase_lines.event_at as ordered_at,
        web_purchase_lines.sku,
        coalesce(web_purchase_lines.category, products.category) as category,
        web_purchase_lines.quantity,
        web_purchase_lines.quantity * web_purchase_lines.unit_price as line_revenue,
        web_purchase_lines.quantity * products.unit_cost as line_cost
    from web_purchase_lines
    left join products
        on web_purchase_lines.sku = products.sku
),

final as (
    select * from store_lines
    union all
    select * from web_lines
)

select * from final
