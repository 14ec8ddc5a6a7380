-- The e-mail addresses of identified customers that no longer receive mail: any bounce
-- from the e-mail platform, or a subscription whose latest status is cleaned (the platform
-- stopped sending after hard bounces). The address is in the golden record's standardised
-- form, so a send can be checked against the address it would use.
with

activity as (
    select * from {{ ref('stg_email__activity') }}
    where activity_type = 'bounce'
),

subscriptions as (
    select * from {{ ref('int_email_subscriptions_current') }}
    where subscriber_status = 'cleaned'
),

identity_keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
    where
        identity_type = 'email_subscriber'
        and customer_id is not null
),

record_contact_points as (
    select * from {{ ref('stg_identity__identity_records') }}
    where email is not null
),

failures as (
    select
        email_subscriber_key,
        activity_at as failed_at,
        false as is_cleaned
    from activity
    union all
    select
        email_subscriber_key,
        status_changed_at as failed_at,
        true as is_cleaned
    from subscriptions
),

attached as (
    select
        identity_keys.customer_id,
        record_contact_points.email,
        failures.failed_at,
        failures.is_cleaned
    from failures
    inner join identity_keys
        on failures.email_subscriber_key = identity_keys.source_key
    inner join record_contact_points
        on identity_keys.record_id = record_contact_points.record_id
),

final as (
    select
        customer_id,
        email,
        max(failed_at) as last_failed_at,
        max(case when is_cleaned then 1 else 0 end) = 1 as is_cleaned
    from attached
    group by customer_id, email
)

select * from final
