with

email_activity as (
    select * from {{ ref('stg_email__activity') }}
),

identity_keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
    where identity_type = 'email_subscriber'
),

final as (
    select
        email_activity.*,
        identity_keys.customer_id
    from email_activity
    left join identity_keys
        on email_activity.email_subscriber_key = identity_keys.source_key
)

select * from final
