with

source as (
    select * from {{ source('web', 'events') }}
),

deduplicated as (
    {{ deduplicate_latest('source', 'user_pseudo_id, event_at, event_name, page_location') }}
),

final as (
    select
        {{ dbt.concat([
            "'web:'", "user_pseudo_id", "':'",
            dbt.cast(dbt.datediff("cast('1970-01-01' as timestamp)", "event_at", "microsecond"), dbt.type_string()),
            "':'", "event_name", "':'", "coalesce(page_location, '')"
        ]) }} as web_event_id,
        event_at,
        event_name,
        user_pseudo_id as web_user_pseudo_id,
        user_id as web_account_id,
        session_id as web_session_id,
        page_location,
        page_title,
        transaction_id,
        purchase_revenue,
        {{ dbt.cast("items", dbt.type_string()) }} as items_json,
        device_category,
        geo_city,
        traffic_source,
        traffic_medium,
        _loaded_at as loaded_at
    from deduplicated
)

select * from final
