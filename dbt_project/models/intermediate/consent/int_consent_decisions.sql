-- Every consent decision a source recorded, per customer and channel. Same rules as
-- profiles/consent.py (what audiences read), so the profile and the exports agree:
--   e-mail platform: subscribed grants e-mail, unsubscribed / cleaned refuse it (pending is
--     no decision: double opt-in not confirmed); an unsubscribe or complaint action refuses;
--   e-shop account: email_opt_in / sms_opt_in as of each account version;
--   loyalty sign-up (POS): the card's opt-ins, counted when first given or changed (every
--     receipt repeats them).
with

subscribers as (
    select * from {{ ref('stg_email__subscribers') }}
),

email_activity as (
    select * from {{ ref('int_email_activity_attached') }}
    where activity_type in ('unsubscribe', 'complaint')
),

accounts as (
    select * from {{ ref('stg_web__accounts') }}
),

receipt_lines as (
    select * from {{ ref('int_pos_lines_attached') }}
    where pos_loyalty_card_id is not null
),

identity_keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
),

subscriber_decisions as (
    select distinct
        'email_subscriber' as identity_type,
        email_subscriber_key as source_key,
        'email' as channel,
        subscriber_status = 'subscribed' as is_granted,
        case
            when subscriber_status = 'subscribed' then coalesce(opted_in_at, status_changed_at)
            else coalesce(status_changed_at, opted_in_at)
        end as decided_at,
        'email.subscribers' as decision_source
    from subscribers
    where subscriber_status in ('subscribed', 'unsubscribed', 'cleaned')
),

activity_decisions as (
    select distinct
        'email_subscriber' as identity_type,
        email_subscriber_key as source_key,
        'email' as channel,
        false as is_granted,
        activity_at as decided_at,
        {{ dbt.concat(["'email.activity.'", "activity_type"]) }} as decision_source
    from email_activity
),

account_decisions as (
    select 'web_account' as identity_type, web_account_id as source_key, 'email' as channel,
        email_opt_in as is_granted, updated_at as decided_at, 'web.accounts' as decision_source
    from accounts
    where email_opt_in is not null
    union all
    select 'web_account', web_account_id, 'sms', sms_opt_in, updated_at, 'web.accounts'
    from accounts
    where sms_opt_in is not null
),

loyalty_answers as (
    select distinct pos_loyalty_card_id, sold_at, 'email' as channel, email_opt_in as is_granted
    from receipt_lines
    where email_opt_in is not null
    union all
    select distinct pos_loyalty_card_id, sold_at, 'sms', sms_opt_in
    from receipt_lines
    where sms_opt_in is not null
),

loyalty_changes as (
    select
        *,
        lag(is_granted) over (
            partition by pos_loyalty_card_id, channel order by sold_at, is_granted
        ) as previous_answer
    from loyalty_answers
),

loyalty_decisions as (
    select
        'loyalty_card' as identity_type,
        pos_loyalty_card_id as source_key,
        channel,
        is_granted,
        sold_at as decided_at,
        'pos.loyalty_signup' as decision_source
    from loyalty_changes
    where previous_answer is null
        or previous_answer <> is_granted
),

decisions as (
    select * from subscriber_decisions
    union all
    select * from activity_decisions
    union all
    select * from account_decisions
    union all
    select * from loyalty_decisions
),

final as (
    select
        {{ dbt.concat([
            "decisions.identity_type", "':'", "decisions.source_key", "':'", "decisions.channel", "':'",
            "cast(decisions.decided_at as varchar)", "':'", "decisions.decision_source", "':'",
            "cast(decisions.is_granted as varchar)"
        ]) }} as consent_decision_id,
        identity_keys.customer_id,
        decisions.channel,
        decisions.is_granted,
        decisions.decided_at,
        decisions.decision_source,
        {{ dbt.concat(["decisions.identity_type", "':'", "decisions.source_key"]) }} as record_id
    from decisions
    inner join identity_keys
        on decisions.identity_type = identity_keys.identity_type
        and decisions.source_key = identity_keys.source_key
    where decisions.decided_at is not null
        and identity_keys.customer_id is not null
)

select * from final
