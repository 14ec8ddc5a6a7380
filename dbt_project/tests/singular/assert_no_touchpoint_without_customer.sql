{{ config(warn_if='>0', error_if='>' ~ var('unresolved_touchpoint_keys_max')) }}
-- Every touchpoint that carries an identity key resolves to a customer through
-- identity.customer_records (anonymous receipts carry none and are exempt). Rows returned
-- are keys identity has not seen: identity resolution has not run on the latest raw loads
-- (run `cdp identity resolve` before `cdp profiles build`), or the row that would have
-- created the identity was quarantined at ingestion (e-mail activity of a subscriber whose
-- subscriber row was rejected). A few warn; more than var('unresolved_touchpoint_keys_max')
-- fail the build. Such touchpoints never reach the marts.
with

keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
),

pos_lines as (
    select * from {{ ref('int_pos_lines_attached') }}
),

web_events as (
    select * from {{ ref('int_web_events_attached') }}
),

accounts as (
    select * from {{ ref('stg_web__accounts') }}
),

subscribers as (
    select * from {{ ref('stg_email__subscribers') }}
),

email_activity as (
    select * from {{ ref('int_email_activity_attached') }}
),

tickets as (
    select * from {{ ref('int_callcenter_contacts') }}
),

touchpoint_keys as (
    select distinct 'loyalty_card' as identity_type, pos_loyalty_card_id as source_key
    from pos_lines where pos_loyalty_card_id is not null
    union all
    select distinct 'web_cookie', web_user_pseudo_id from web_events
    union all
    select distinct 'web_account', web_account_id from accounts
    union all
    select distinct 'email_subscriber', email_subscriber_key from subscribers
    union all
    select distinct 'email_subscriber', email_subscriber_key from email_activity
    union all
    select distinct 'callcenter_caller', ticket_id from tickets
),

final as (
    select touchpoint_keys.*
    from touchpoint_keys
    left join keys
        on touchpoint_keys.identity_type = keys.identity_type
        and touchpoint_keys.source_key = keys.source_key
    where keys.resolved_customer_id is null
)

select * from final
