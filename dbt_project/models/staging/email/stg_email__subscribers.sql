with

source as (
    select * from {{ source('email', 'subscribers') }}
),

renamed as (
    select
        {{ email_typed('email') }} as email_subscriber_key,
        lower(status) as subscriber_status,
        opted_in_at,
        status_changed_at,
        _loaded_at,
        _source_file,
        _source_row
    from source
    where {{ email_typed('email') }} is not null
),

deduplicated as (
    {{ deduplicate_latest('renamed', 'email_subscriber_key, subscriber_status, status_changed_at') }}
),

final as (
    select
        {{ dbt.concat([
            "email_subscriber_key", "':'", "subscriber_status", "':'",
            "coalesce(" ~ dbt.cast("status_changed_at", dbt.type_string()) ~ ", '')"
        ]) }} as subscriber_version_id,
        email_subscriber_key,
        subscriber_status,
        opted_in_at,
        status_changed_at,
        _loaded_at as loaded_at
    from deduplicated
)

select * from final
