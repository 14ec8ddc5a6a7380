{{ config(materialized='view') }}
-- Every touchpoint of every identified customer in one shape. A view: the timeline mart
-- materialises it once, and the big web-event table is not copied twice.
with

orders as (
    select * from {{ ref('int_orders') }}
    where
        customer_id is not null
        and order_channel = 'store'
),

web_events as (
    select * from {{ ref('int_web_events_attached') }}
    where customer_id is not null
),

accounts as (
    select * from {{ ref('stg_web__accounts') }}
),

subscribers as (
    select * from {{ ref('stg_email__subscribers') }}
),

email_activity as (
    select * from {{ ref('int_email_activity_attached') }}
    where customer_id is not null
),

callcenter_contacts as (
    select * from {{ ref('int_callcenter_contacts') }}
    where customer_id is not null
),

sms_activity as (
    select * from {{ ref('int_sms_activity_attached') }}
    where customer_id is not null
),

-- reviews and social mentions; call-center verbatims and SMS replies are already
-- ticket_opened and sms_reply touchpoints
public_feedback as (
    select * from {{ ref('int_feedback_messages_attributed') }}
    where
        customer_id is not null
        and feedback_source in ('reviews', 'social')
),

identity_keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
    where customer_id is not null
),

store_purchases as (
    select
        {{ dbt.concat(["'pos:'", "order_id"]) }} as touchpoint_id,
        customer_id,
        ordered_at as occurred_at,
        'store' as channel,
        'purchase' as event_type,
        revenue as amount,
        {{ dbt.concat([
            "'store '", "store_id", "', '", dbt.cast("item_quantity", dbt.type_string()), "' item(s)'"
        ]) }} as detail
    from orders
),

web_touchpoints as (
    select
        web_event_id as touchpoint_id,
        customer_id,
        event_at as occurred_at,
        'web' as channel,
        event_name as event_type,
        cast(purchase_revenue as decimal(14, 2)) as amount,
        coalesce(page_title, page_location) as detail
    from web_events
),

accounts_created as (
    select
        {{ dbt.concat(["'web_account:'", "accounts.web_account_id"]) }} as touchpoint_id,
        min(identity_keys.customer_id) as customer_id,
        min(accounts.created_at) as occurred_at,
        'web' as channel,
        'account_created' as event_type,
        cast(null as decimal(14, 2)) as amount,
        {{ dbt.concat(["'account '", "accounts.web_account_id"]) }} as detail
    from accounts
    inner join identity_keys
        on
            identity_keys.identity_type = 'web_account'
            and accounts.web_account_id = identity_keys.source_key
    group by accounts.web_account_id
),

subscription_changes as (
    select
        {{ dbt.concat(["'email_subscriber:'", "subscribers.subscriber_version_id"]) }} as touchpoint_id,
        identity_keys.customer_id,
        coalesce(subscribers.status_changed_at, subscribers.opted_in_at) as occurred_at,
        'email' as channel,
        {{ dbt.concat(["'subscription_'", "subscribers.subscriber_status"]) }} as event_type,
        cast(null as decimal(14, 2)) as amount,
        {{ dbt.concat(["'newsletter '", "subscribers.subscriber_status"]) }} as detail
    from subscribers
    inner join identity_keys
        on
            identity_keys.identity_type = 'email_subscriber'
            and subscribers.email_subscriber_key = identity_keys.source_key
    where coalesce(subscribers.status_changed_at, subscribers.opted_in_at) is not null
),

email_touchpoints as (
    select
        {{ dbt.concat(["'email:'", "email_activity_id"]) }} as touchpoint_id,
        customer_id,
        activity_at as occurred_at,
        'email' as channel,
        {{ dbt.concat(["'email_'", "activity_type"]) }} as event_type,
        cast(null as decimal(14, 2)) as amount,
        coalesce({{ dbt.concat(["campaign_name", "' '", "url"]) }}, campaign_name) as detail
    from email_activity
),

sms_touchpoints as (
    select
        {{ dbt.concat(["'sms:'", "sms_event_id"]) }} as touchpoint_id,
        customer_id,
        activity_at as occurred_at,
        'sms' as channel,
        {{ dbt.concat(["'sms_'", "activity_type"]) }} as event_type,
        cast(null as decimal(14, 2)) as amount,
        coalesce(campaign_name, campaign_id) as detail
    from sms_activity
),

callcenter_touchpoints as (
    select
        {{ dbt.concat(["'callcenter:'", "ticket_id"]) }} as touchpoint_id,
        customer_id,
        opened_at as occurred_at,
        'callcenter' as channel,
        'ticket_opened' as event_type,
        cast(null as decimal(14, 2)) as amount,
        {{ dbt.concat(["contact_channel", "': '", "coalesce(contact_reason, '?')", "' ('", "ticket_status", "')'"]) }}
            as detail
    from callcenter_contacts
),

feedback_touchpoints as (
    select
        {{ dbt.concat(["'feedback:'", "feedback_id"]) }} as touchpoint_id,
        customer_id,
        written_at as occurred_at,
        'feedback' as channel,
        case when feedback_source = 'social' then 'social_mention' else 'review' end as event_type,
        cast(null as decimal(14, 2)) as amount,
        {{ dbt.concat(["coalesce(channel, feedback_source)", "': '", "topic", "' ('", "sentiment", "')'"]) }} as detail
    from public_feedback
),

final as (
    select * from store_purchases
    union all
    select * from web_touchpoints
    union all
    select * from accounts_created
    union all
    select * from subscription_changes
    union all
    select * from email_touchpoints
    union all
    select * from sms_touchpoints
    union all
    select * from callcenter_touchpoints
    union all
    select * from feedback_touchpoints
)

select * from final
