-- The latest status of each newsletter subscription of an identified customer.
with

subscribers as (
    select * from {{ ref('stg_email__subscribers') }}
),

identity_keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
    where
        identity_type = 'email_subscriber'
        and customer_id is not null
),

latest as (
    {{ deduplicate_latest(
        'subscribers',
        'email_subscriber_key',
        'status_changed_at desc, loaded_at desc, subscriber_version_id',
    ) }}
),

final as (
    select
        latest.email_subscriber_key,
        identity_keys.customer_id,
        latest.subscriber_status,
        latest.opted_in_at,
        latest.status_changed_at
    from latest
    inner join identity_keys
        on latest.email_subscriber_key = identity_keys.source_key
)

select * from final
