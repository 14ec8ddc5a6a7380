with

feedback as (
    select * from {{ ref('int_feedback_messages_attributed') }}
),

reporting_date as (
    select * from {{ ref('int_reporting_date') }}
),

windowed as (
    select
        feedback.*,
        feedback.written_at > {{ dbt.dateadd('day', -365, 'reporting_date.as_of_date') }} as is_last_12_months,
        feedback.written_at
        > {{ dbt.dateadd('day', -1 * var('detractor_days'), 'reporting_date.as_of_date') }} as is_recent
    from feedback
    cross join reporting_date
    where feedback.customer_id is not null
),

final as (
    select
        customer_id,
        max(written_at) as last_feedback_at,
        count(*) filter (where is_last_12_months) as feedback_messages_12m,
        count(*) filter (where is_last_12_months and sentiment = 'negative') as negative_feedback_12m,
        cast(avg(sentiment_score) filter (where is_last_12_months) as decimal(5, 3)) as feedback_score_12m,
        -- a message without a rating is judged on its sentiment alone (null rating: not low)
        coalesce(bool_or(
            is_recent and (sentiment = 'negative' or coalesce(rating <= {{ var('detractor_max_rating') }}, false))
        ), false) as is_detractor
    from windowed
    group by customer_id
)

select * from final
