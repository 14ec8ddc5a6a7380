-- What a sender may do, per identified customer and channel: the consent in force
-- (int_consent_in_force), whether the channel reaches the customer (a contact point in the
-- golden record that has not bounced), and the flag that governs a send, is_sendable.
-- A forgotten customer has no row: forgetting erases their identity, golden record and marts.
with

customers as (
    select * from {{ ref('int_customers_identified') }}
),

golden_records as (
    select * from {{ ref('golden_records') }}
),

in_force as (
    select * from {{ ref('int_consent_in_force') }}
),

bounced as (
    select * from {{ ref('int_email_addresses_bounced') }}
),

channels as (
    select 'email' as channel
    union all
    select 'sms' as channel
),

contact_points as (
    select
        customers.customer_id,
        channels.channel,
        case channels.channel
            when 'email' then golden_records.email
            when 'sms' then golden_records.phone
        end as contact_point
    from customers
    cross join channels
    left join golden_records
        on customers.customer_id = golden_records.customer_id
),

assessed as (
    select
        contact_points.customer_id,
        contact_points.channel,
        coalesce(in_force.is_granted, false) as is_consent_granted,
        case
            when in_force.is_granted then 'granted'
            when not in_force.is_granted then 'refused'
            else 'never_asked'
        end as consent_status,
        in_force.decided_at as consent_decided_at,
        in_force.decision_source as consent_source,
        in_force.record_id as consent_record_id,
        contact_points.contact_point is not null as has_contact_point,
        bounced.customer_id is not null as is_contact_point_bounced
    from contact_points
    left join in_force
        on
            contact_points.customer_id = in_force.customer_id
            and contact_points.channel = in_force.channel
    left join bounced
        on
            contact_points.channel = 'email'
            and contact_points.customer_id = bounced.customer_id
            and contact_points.contact_point = bounced.email
),

final as (
    select
        customer_id,
        channel,
        consent_status,
        is_consent_granted,
        consent_decided_at,
        consent_source,
        consent_record_id,
        has_contact_point,
        is_contact_point_bounced,
        has_contact_point and not is_contact_point_bounced as is_reachable,
        is_consent_granted and has_contact_point and not is_contact_point_bounced as is_sendable
    from assessed
)

select * from final
