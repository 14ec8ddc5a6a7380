with

messages as (
    select * from {{ ref('int_feedback_messages_attributed') }}
),

final as (
    select
        feedback_id,
        customer_id,
        feedback_source,
        channel,
        written_at,
        topic,
        topic_terms,
        sentiment,
        sentiment_score,
        rating,
        mentioned_store_id,
        mentioned_product,
        message_text
    from messages
)

select * from final
