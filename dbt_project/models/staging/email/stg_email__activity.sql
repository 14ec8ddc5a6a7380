with

source as (
    select * from {{ source('email', 'activity') }}
),

renamed as (
    select
        campaign_id,
        campaign_name,
        {{ email_typed('email') }} as email_subscriber_key,
        lower(activity_type) as activity_type,
        activity_at,
        url,
        bounce_type,
        _loaded_at,
        _source_file,
        _source_row
    from source
    where {{ email_typed('email') }} is not null
),

deduplicated as (
    {{ deduplicate_latest('renamed', 'campaign_id, email_subscriber_key, activity_type, activity_at') }}
),

final as (
    select
        {{ dbt.concat([
            "campaign_id", "':'", "email_subscriber_key", "':'", "activity_type", "':'",
            dbt.cast("activity_at", dbt.type_string())
        ]) }} as email_activity_id,
        campaign_id,
        campaign_name,
        email_subscriber_key,
        activity_type,
        activity_at,
        url,
        bounce_type,
        _loaded_at as loaded_at
    from deduplicated
)

select * from final
