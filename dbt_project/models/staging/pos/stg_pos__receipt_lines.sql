with

source as (
    select * from {{ source('pos', 'receipt_lines') }}
),

deduplicated as (
    {{ deduplicate_latest('source', 'store_id, receipt_id, line_number') }}
),

final as (
    select
        {{ dbt.concat([
            "store_id", "':'", "receipt_id", "':'", dbt.cast("line_number", dbt.type_string())
        ]) }} as receipt_line_id,
        {{ dbt.concat(["store_id", "':'", "receipt_id"]) }} as order_id,
        store_id,
        receipt_id,
        line_number,
        sold_at,
        sku,
        product_name,
        category,
        quantity,
        unit_price,
        coalesce(discount_amount, 0) as discount_amount,
        unit_cost,
        quantity * unit_price - coalesce(discount_amount, 0) as line_revenue,
        quantity * unit_cost as line_cost,
        payment_method,
        loyalty_card_id as pos_loyalty_card_id,
        email_opt_in,
        sms_opt_in,
        _loaded_at as loaded_at
    from deduplicated
)

select * from final
