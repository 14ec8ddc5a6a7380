-- One row per visit (cookie + GA4 session id) of an identified customer.
with

web_events as (
    select * from {{ ref('int_web_events_attached') }}
    where customer_id is not null
),

final as (
    select
        {{ dbt.concat(["web_user_pseudo_id", "':'", "coalesce(web_session_id, '')"]) }} as web_session_key,
        min(customer_id) as customer_id,
        web_user_pseudo_id,
        web_session_id,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        count(*) as event_count,
        sum(case when event_name = 'page_view' then 1 else 0 end) as page_view_count,
        sum(case when event_name = 'view_item' then 1 else 0 end) as item_view_count,
        max(case when event_name = 'purchase' then 1 else 0 end) = 1 as has_purchase,
        max(device_category) as device_category,
        max(traffic_source) as traffic_source,
        max(traffic_medium) as traffic_medium
    from web_events
    group by web_user_pseudo_id, web_session_id
)

select * from final
