-- The catalogue as the tills know it: latest label, family and known unit cost per SKU,
-- used to cost web order lines (the e-shop export carries no cost).
with

receipt_lines as (
    select * from {{ ref('int_pos_lines_attached') }}
    where sku is not null
),

ranked as (
    {{ deduplicate_latest('receipt_lines', 'sku', 'sold_at desc, receipt_line_id desc') }}
),

known_costs as (
    {{ deduplicate_latest(
        '(select * from receipt_lines where unit_cost is not null)',
        'sku',
        'sold_at desc, receipt_line_id desc',
    ) }}
),

final as (
    select
        ranked.sku,
        ranked.product_name,
        ranked.category,
        known_costs.unit_cost
    from ranked
    left join known_costs
        on ranked.sku = known_costs.sku
)

select * from final
