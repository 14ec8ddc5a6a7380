with

sms_activity as (
    select * from {{ ref('stg_sms__activity') }}
),

identity_keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
    where identity_type = 'sms_recipient'
),

final as (
    select
        sms_activity.*,
        identity_keys.customer_id
    from sms_activity
    left join identity_keys
        on sms_activity.sms_recipient_key = identity_keys.source_key
)

select * from final
