-- Each analysed message with the identified customer who wrote it (null when its author is
-- anonymous or unresolved: the message still counts in the topic reports).
with

messages as (
    select * from {{ ref('stg_feedback__messages') }}
),

identity_keys as (
    select * from {{ ref('int_identity_keys_resolved') }}
),

final as (
    select
        messages.*,
        identity_keys.customer_id
    from messages
    left join identity_keys
        on
            messages.identity_type = identity_keys.identity_type
            and messages.source_key = identity_keys.source_key
)

select * from final
