with

feedback as (
    select * from {{ ref('customer_feedback') }}
),

final as (
    select
        cast(date_trunc('month', written_at) as date) as feedback_month,
        topic,
        sentiment,
        cast(date_trunc('month', written_at) as date) || '|' || topic || '|' || sentiment as topic_month_sentiment_key,
        count(*) as message_count,
        count(distinct customer_id) as customer_count,
        count(*) filter (where feedback_source = 'callcenter') as callcenter_messages,
        count(*) filter (where feedback_source in ('reviews', 'social')) as review_and_social_messages,
        count(*) filter (where feedback_source = 'sms') as sms_messages,
        cast(avg(sentiment_score) as decimal(5, 3)) as average_sentiment_score,
        cast(avg(rating) as decimal(4, 2)) as average_rating
    from feedback
    group by all
)

select * from final
