-- The analysis table only exists once `cdp feedback analyse` has run: until then this model
-- is empty with the right columns, so a first `dbt build` does not depend on the analyser.
{%- set analysed = adapter.get_relation(
    database=target.database, schema='feedback', identifier='message_analysis'
) %}
with

{% if analysed is not none %}
    source as (
        select * from {{ source('feedback', 'message_analysis') }}
    ),
{% else %}
-- noqa: disable=RF04
    source as (
        select
            null::varchar as source,
            null::varchar as identity_type,
            null::varchar as message_id,
            null::varchar as author_key,
            null::varchar as channel,
            null::timestamp as written_at,
            null::varchar as text,
            null::double as rating,
            null::varchar as topic,
            null::varchar as topic_terms,
            null::varchar as sentiment,
            null::double as sentiment_score,
            null::varchar as store_code,
            null::varchar as product,
            null::timestamp as analysed_at
        where false
    ),
-- noqa: enable=RF04
{% endif %}

final as (
    select
        source || ':' || message_id as feedback_id,
        source as feedback_source,
        identity_type,
        message_id,
        author_key as source_key,
        lower(channel) as channel,
        written_at,
        text as message_text,
        rating::decimal(3, 1) as rating,
        topic,
        topic_terms,
        sentiment,
        sentiment_score::decimal(6, 3) as sentiment_score,
        store_code as mentioned_store_id,
        product as mentioned_product,
        analysed_at
    from source
    where message_id is not null and author_key is not null
)

select * from final
