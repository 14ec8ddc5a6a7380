-- raw.sms__activity exists once a first SMS export is loaded: until then this model is empty
-- with the right columns (the SMS platform is optional).
{%- set loaded = adapter.get_relation(
    database=target.database, schema='raw', identifier='sms__activity'
) %}
with

{% if loaded is not none %}
    source as (
        select * from {{ source('sms', 'activity') }}
    ),
{% else %}
-- noqa: disable=RF04
    source as (
        select
            null::varchar as event_id,
            null::varchar as campaign_id,
            null::varchar as campaign_name,
            null::varchar as phone,
            null::varchar as activity_type,
            null::timestamp as activity_at,
            null::varchar as url,
            null::varchar as reply_text,
            null::varchar as _source_file,
            null::bigint as _source_row,
            null::varchar as _batch_id,
            null::timestamp as _loaded_at
        where false
    ),
-- noqa: enable=RF04
{% endif %}

renamed as (
    select
        event_id as sms_event_id,
        campaign_id,
        campaign_name,
        -- the sms_recipient identity's source key (config/sources/sms.yml)
        {{ phone_digits('phone') }} as sms_recipient_key,
        lower(activity_type) as activity_type,
        activity_at,
        url,
        nullif(trim(reply_text), '') as reply_text,
        _loaded_at,
        _source_file,
        _source_row
    from source
    where
        event_id is not null
        and {{ phone_digits('phone') }} is not null
),

deduplicated as (
    {{ deduplicate_latest('renamed', 'sms_event_id') }}
),

final as (
    select
        sms_event_id,
        campaign_id,
        campaign_name,
        sms_recipient_key,
        activity_type,
        activity_at,
        url,
        reply_text,
        _loaded_at as loaded_at
    from deduplicated
)

select * from final
