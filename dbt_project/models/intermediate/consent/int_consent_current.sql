-- The consent in force per customer and channel: the latest decision wins; on a tie a
-- refusal wins (when in doubt, do not contact).
with

decisions as (
    select * from {{ ref('stg_consent__decisions') }}
),

latest as (
    {{ deduplicate_latest('decisions', 'customer_id, channel', 'decided_at desc, is_granted asc, decision_source') }}
),

final as (
    select
        customer_id,
        channel,
        is_granted,
        decided_at,
        decision_source
    from latest
)

select * from final
