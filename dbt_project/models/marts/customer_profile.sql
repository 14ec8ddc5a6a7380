{%- set golden_attributes = [
    'first_name', 'last_name', 'email', 'phone', 'birth_date', 'address_line', 'postcode', 'city'
] %}
with

customers as (
    select * from {{ ref('int_customers_identified') }}
),

golden_records as (
    select * from {{ ref('golden_records') }}
),

reporting_date as (
    select * from {{ ref('int_reporting_date') }}
),

order_metrics as (
    select * from {{ ref('int_customer_order_metrics') }}
),

engagement_metrics as (
    select * from {{ ref('int_customer_engagement_metrics') }}
),

feedback_metrics as (
    select * from {{ ref('int_customer_feedback_metrics') }}
),

customer_consent as (
    select * from {{ ref('customer_consent') }}
),

timeline as (
    select * from {{ ref('customer_timeline') }}
),

seen as (
    select
        customer_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from timeline
    group by customer_id
),

-- the consent columns are customer_consent's, one per channel: never a second rule
consent_by_channel as (
    select
        customer_id,
        max(case when channel = 'email' and is_consent_granted then 1 else 0 end) = 1 as is_email_consent_granted,
        max(case when channel = 'email' then consent_decided_at end) as email_consent_decided_at,
        max(case when channel = 'email' then consent_source end) as email_consent_source,
        max(case when channel = 'email' and is_sendable then 1 else 0 end) = 1 as is_email_sendable,
        max(case when channel = 'sms' and is_consent_granted then 1 else 0 end) = 1 as is_sms_consent_granted,
        max(case when channel = 'sms' then consent_decided_at end) as sms_consent_decided_at,
        max(case when channel = 'sms' then consent_source end) as sms_consent_source,
        max(case when channel = 'sms' and is_sendable then 1 else 0 end) = 1 as is_sms_sendable
    from customer_consent
    group by customer_id
),

scored as (
    select
        order_metrics.*,
        {{ dbt.datediff('order_metrics.last_order_at', 'reporting_date.as_of_date', 'day') }} as recency_days,
        {{ dbt.datediff('order_metrics.first_order_at', 'reporting_date.as_of_date', 'day') }} as tenure_days
    from order_metrics
    cross join reporting_date
),

final as (
    select
        customers.customer_id,
        {%- for attribute in golden_attributes %}
            golden_records.{{ attribute }},
            golden_records.{{ attribute }}_source,
        {%- endfor %}
        coalesce(consent_by_channel.is_email_consent_granted, false) as is_email_consent_granted,
        consent_by_channel.email_consent_decided_at,
        consent_by_channel.email_consent_source,
        coalesce(consent_by_channel.is_sms_consent_granted, false) as is_sms_consent_granted,
        consent_by_channel.sms_consent_decided_at,
        consent_by_channel.sms_consent_source,
        coalesce(consent_by_channel.is_email_sendable, false) as is_email_sendable,
        coalesce(consent_by_channel.is_sms_sendable, false) as is_sms_sendable,
        seen.first_seen_at,
        seen.last_seen_at,
        customers.sources_present,
        customers.source_count,
        customers.record_count,
        coalesce(scored.order_count, 0) as order_count,
        cast(coalesce(scored.lifetime_revenue, 0) as decimal(14, 2)) as lifetime_revenue,
        cast(coalesce(scored.revenue_last_12_months, 0) as decimal(14, 2)) as revenue_last_12_months,
        cast(coalesce(scored.orders_last_12_months, 0) as bigint) as orders_last_12_months,
        cast(scored.lifetime_revenue / nullif(scored.order_count, 0) as decimal(14, 2)) as average_basket,
        cast(scored.lifetime_margin as decimal(14, 2)) as lifetime_margin,
        cast(scored.cost_known_revenue as decimal(14, 2)) as margin_revenue_basis,
        scored.first_order_at,
        scored.last_order_at,
        scored.recency_days,
        {{ score_from_boundaries('scored.recency_days', var('rfm_recency_days'), lower_is_better=true) }}
            as recency_score,
        -- a prospect has 0 orders and 0 EUR: scored 1, as documented (recency stays null)
        {{ score_from_boundaries('coalesce(scored.order_count, 0)', var('rfm_frequency_orders')) }} as frequency_score,
        {{ score_from_boundaries('coalesce(scored.lifetime_revenue, 0)', var('rfm_monetary_eur')) }} as monetary_score,
        -- method: docs block "clv_method" (models/marts/_marts.md)
        cast(
            coalesce(
                scored.lifetime_revenue / nullif(scored.order_count, 0)
                * scored.order_count * 365.0 / greatest(scored.tenure_days, {{ var('clv_min_tenure_days') }})
                * {{ var('clv_horizon_days') }} / 365.0
                * exp(-1.0 * scored.recency_days / {{ var('dormancy_days') }}),
                0
            ) as decimal(14, 2)
        ) as predicted_clv,
        scored.preferred_channel,
        scored.preferred_store_id,
        scored.top_categories,
        cast(coalesce(engagement_metrics.emails_sent, 0) as bigint) as emails_sent,
        engagement_metrics.email_open_rate,
        engagement_metrics.email_click_rate,
        engagement_metrics.last_email_opened_at,
        -- an unsubscription a later opt-in superseded is no longer in force
        (
            coalesce(engagement_metrics.is_email_unsubscribed, false)
            and not coalesce(consent_by_channel.is_email_consent_granted, false)
        ) as is_email_unsubscribed,
        coalesce(engagement_metrics.has_email_bounced, false) as has_email_bounced,
        cast(coalesce(engagement_metrics.sms_sent, 0) as bigint) as sms_sent,
        engagement_metrics.sms_click_rate,
        coalesce(engagement_metrics.web_sessions, 0) as web_sessions,
        engagement_metrics.last_web_visit_at,
        coalesce(engagement_metrics.products_viewed_not_bought_count, 0) as products_viewed_not_bought_count,
        engagement_metrics.products_viewed_not_bought,
        coalesce(engagement_metrics.callcenter_contacts, 0) as callcenter_contacts,
        engagement_metrics.last_contact_at,
        engagement_metrics.last_contact_reason,
        engagement_metrics.average_csat,
        coalesce(engagement_metrics.has_open_complaint, false) as has_open_complaint,
        feedback_metrics.last_feedback_at,
        coalesce(feedback_metrics.feedback_messages_12m, 0) as feedback_messages_12m,
        coalesce(feedback_metrics.negative_feedback_12m, 0) as negative_feedback_12m,
        feedback_metrics.feedback_score_12m,
        case
            when feedback_metrics.feedback_score_12m < -0.15 then 'negative'
            when feedback_metrics.feedback_score_12m > 0.2 then 'positive'
            when feedback_metrics.feedback_score_12m is not null then 'neutral'
        end as feedback_sentiment_12m,
        coalesce(feedback_metrics.is_detractor, false) as is_detractor,
        cast(coalesce(scored.email_attributed_revenue, 0) as decimal(14, 2)) as email_attributed_revenue,
        cast(
            coalesce(scored.email_attributed_revenue, 0) / nullif(scored.lifetime_revenue, 0) as decimal(6, 4)
        ) as email_attributed_revenue_share,
        reporting_date.as_of_date
    from customers
    cross join reporting_date
    left join golden_records
        on customers.customer_id = golden_records.customer_id
    left join consent_by_channel
        on customers.customer_id = consent_by_channel.customer_id
    left join seen
        on customers.customer_id = seen.customer_id
    left join scored
        on customers.customer_id = scored.customer_id
    left join engagement_metrics
        on customers.customer_id = engagement_metrics.customer_id
    left join feedback_metrics
        on customers.customer_id = feedback_metrics.customer_id
)

select * from final
