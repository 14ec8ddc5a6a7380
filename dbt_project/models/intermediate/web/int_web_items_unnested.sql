-- One row per GA4 item on view_item, add_to_cart and purchase events. The JSON unnest is
-- engine-specific: macros/json_array_elements.sql has its DuckDB and Spark versions.
with

web_events as (
    select * from {{ ref('int_web_events_attached') }}
    where
        event_name in ('view_item', 'add_to_cart', 'purchase')
        and items_json is not null
        and items_json <> '[]'
),

unnested as (
    select
        web_event_id,
        customer_id,
        web_user_pseudo_id,
        event_name,
        event_at,
        transaction_id,
        {{ json_array_elements('items_json', {
            'item_id': 'varchar',
            'item_name': 'varchar',
            'item_category': 'varchar',
            'price': 'decimal(12,2)',
            'quantity': 'integer',
        }) }} as item
    from web_events
),

final as (
    select
        unnested.web_event_id,
        unnested.customer_id,
        unnested.web_user_pseudo_id,
        unnested.event_name,
        unnested.event_at,
        unnested.transaction_id,
        item.item_id as sku,
        item.item_name as product_name,
        item.item_category as category,
        item.price as unit_price,
        coalesce(item.quantity, 1) as quantity
    from unnested
)

select * from final
