with

web_events as (
    select * from {{ ref('stg_web__events') }}
),

identity_keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
    where identity_type = 'web_cookie'
),

final as (
    select
        web_events.*,
        identity_keys.customer_id
    from web_events
    left join identity_keys
        on web_events.web_user_pseudo_id = identity_keys.source_key
)

select * from final
