-- The reference day for recency and every window: var('as_of_date') when set, else the
-- latest activity day in the data, so a rebuild on the same data gives the same marts.
with

pos_lines as (
    select * from {{ ref('int_pos_lines_attached') }}
),

web_events as (
    select * from {{ ref('int_web_events_attached') }}
),

email_activity as (
    select * from {{ ref('int_email_activity_attached') }}
),

callcenter_contacts as (
    select * from {{ ref('int_callcenter_contacts') }}
),

latest_activity as (
    select max(sold_at) as latest_at from pos_lines
    union all
    select max(event_at) from web_events
    union all
    select max(activity_at) from email_activity
    union all
    select max(opened_at) from callcenter_contacts
),

final as (
    select
        {%- if var('as_of_date') %}
            cast('{{ var("as_of_date") }}' as date) as as_of_date,
        {%- else %}
            cast(max(latest_at) as date) as as_of_date,
        {%- endif %}
        {{ "'var'" if var('as_of_date') else "'latest_activity'" }} as as_of_date_origin
    from latest_activity
)

select * from final
