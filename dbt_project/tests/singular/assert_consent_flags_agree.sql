-- The contradictions once seen on the demo (issue 18): no customer is both consent-granted
-- and unsubscribed, none holds a channel's consent without its contact point, and no
-- sendable e-mail address has bounced. Returns the offending customers and the rule broken.
with

profiles as (
    select * from {{ ref('customer_profile') }}
),

customer_consent as (
    select * from {{ ref('customer_consent') }}
),

bounced as (
    select * from {{ ref('int_email_addresses_bounced') }}
),

final as (
    select
        customer_id,
        'email consent granted and unsubscribed' as broken_rule
    from profiles
    where is_email_consent_granted and is_email_unsubscribed
    union all
    select
        customer_id,
        'email consent granted without an e-mail address' as broken_rule
    from profiles
    where is_email_consent_granted and email is null
    union all
    select
        customer_id,
        'sms consent granted without a phone number' as broken_rule
    from profiles
    where is_sms_consent_granted and phone is null
    union all
    select
        profiles.customer_id,
        'sendable e-mail address that bounced' as broken_rule
    from profiles
    inner join bounced
        on
            profiles.customer_id = bounced.customer_id
            and profiles.email = bounced.email
    where profiles.is_email_sendable
    union all
    select
        customer_id,
        'sendable without consent or contact point' as broken_rule
    from customer_consent
    where is_sendable and not (is_consent_granted and has_contact_point)
)

select * from final
