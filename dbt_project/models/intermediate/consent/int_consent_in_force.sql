-- The consent in force per customer and channel: the one place the rule lives (profile,
-- exports, audiences, access and the API read it through marts.customer_consent).
-- 1. A refusal always counts. A grant counts only when the record that carried it held the
--    channel's contact point (an e-mail opt-in ticked at the till on a card with no e-mail
--    grants nothing: there is no address it could be about).
-- 2. The latest decision that counts wins; on a tie a refusal wins (when in doubt, do not
--    contact).
with

decisions as (
    select * from {{ ref('stg_consent__decisions') }}
),

record_contact_points as (
    select * from {{ ref('stg_identity__identity_records') }}
),

counted as (
    select decisions.*
    from decisions
    left join record_contact_points
        on decisions.record_id = record_contact_points.record_id
    where
        not decisions.is_granted
        or (decisions.channel = 'email' and record_contact_points.email is not null)
        or (decisions.channel = 'sms' and record_contact_points.phone is not null)
),

latest as (
    {{ deduplicate_latest('counted', 'customer_id, channel', 'decided_at desc, is_granted asc, decision_source') }}
),

final as (
    select
        customer_id,
        channel,
        is_granted,
        decided_at,
        decision_source,
        record_id
    from latest
)

select * from final
