with

receipt_lines as (
    select * from {{ ref('stg_pos__receipt_lines') }}
),

identity_keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
    where identity_type = 'loyalty_card'
),

final as (
    select
        receipt_lines.*,
        identity_keys.customer_id
    from receipt_lines
    left join identity_keys
        on receipt_lines.pos_loyalty_card_id = identity_keys.source_key
)

select * from final
