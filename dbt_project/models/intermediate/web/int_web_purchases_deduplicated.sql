-- One purchase event per transaction: GA4 can log a purchase twice (page reload), and
-- the first one is the order.
with

purchase_events as (
    select * from {{ ref('int_web_events_attached') }}
    where
        event_name = 'purchase'
        and transaction_id is not null
),

deduplicated as (
    {{ deduplicate_latest('purchase_events', 'transaction_id', 'event_at asc, web_event_id asc') }}
),

final as (
    select
        web_event_id,
        transaction_id,
        customer_id,
        web_user_pseudo_id,
        web_account_id,
        event_at as purchased_at,
        purchase_revenue
    from deduplicated
)

select * from final
