with

source as (
    select * from {{ source('web', 'accounts') }}
),

deduplicated as (
    {{ deduplicate_latest('source', 'account_id, updated_at') }}
),

final as (
    select
        {{ dbt.concat(["account_id", "':'", dbt.cast("coalesce(updated_at, created_at)", dbt.type_string())]) }}
            as account_version_id,
        account_id as web_account_id,
        email_opt_in,
        sms_opt_in,
        created_at,
        coalesce(updated_at, created_at) as updated_at,
        _loaded_at as loaded_at
    from deduplicated
    where account_id is not null
)

select * from final
