with

touchpoints as (
    select * from {{ ref('int_touchpoints') }}
),

final as (
    select
        touchpoint_id,
        customer_id,
        occurred_at,
        channel,
        event_type,
        amount,
        detail
    from touchpoints
)

select * from final
