-- One row per customer and campaign: what the customer did with it. A customer holding
-- two subscriptions counts once per campaign.
with

email_activity as (
    select * from {{ ref('int_email_activity_attached') }}
    where customer_id is not null
),

final as (
    select
        {{ dbt.concat(["customer_id", "':'", "campaign_id"]) }} as customer_campaign_id,
        customer_id,
        campaign_id,
        max(campaign_name) as campaign_name,
        min(case when activity_type = 'sent' then activity_at end) as sent_at,
        max(case when activity_type = 'sent' then 1 else 0 end) = 1 as was_sent,
        max(case when activity_type = 'delivered' then 1 else 0 end) = 1 as was_delivered,
        max(case when activity_type = 'open' then 1 else 0 end) = 1 as was_opened,
        max(case when activity_type = 'click' then 1 else 0 end) = 1 as was_clicked,
        max(case when activity_type = 'bounce' then 1 else 0 end) = 1 as was_bounced,
        max(case when activity_type = 'unsubscribe' then 1 else 0 end) = 1 as was_unsubscribed,
        max(case when activity_type = 'complaint' then 1 else 0 end) = 1 as was_complained,
        min(case when activity_type = 'open' then activity_at end) as first_opened_at,
        max(case when activity_type = 'open' then activity_at end) as last_opened_at,
        min(case when activity_type = 'click' then activity_at end) as first_clicked_at
    from email_activity
    group by customer_id, campaign_id
)

select * from final
