with

source as (
    select * from {{ source('callcenter', 'tickets') }}
),

deduplicated as (
    {{ deduplicate_latest('source', 'ticket_id') }}
),

final as (
    select
        ticket_id,
        opened_at,
        closed_at,
        lower(contact_channel) as contact_channel,
        reason as contact_reason,
        lower(status) as ticket_status,
        duration_seconds,
        csat,
        _loaded_at as loaded_at
    from deduplicated
    where ticket_id is not null
)

select * from final
