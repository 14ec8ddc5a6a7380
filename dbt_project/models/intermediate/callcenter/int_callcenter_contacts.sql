with

tickets as (
    select * from {{ ref('stg_callcenter__tickets') }}
),

identity_keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
    where identity_type = 'callcenter_caller'
),

final as (
    select
        tickets.*,
        identity_keys.customer_id,
        (
            tickets.ticket_status in ('open', 'escalated')
            and tickets.contact_reason in {{ sql_list(var('complaint_reasons')) }}
        ) as is_open_complaint
    from tickets
    left join identity_keys
        on tickets.ticket_id = identity_keys.source_key
)

select * from final
