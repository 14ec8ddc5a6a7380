-- Per e-mail campaign: reach, opens, clicks (unique recipients) and the revenue of the
-- orders attributed to its clicks (last click within var('attribution_window_days')).
with

email_activity as (
    select * from {{ ref('int_email_activity_attached') }}
),

attributed_orders as (
    select * from {{ ref('int_orders_attributed') }}
),

recipients as (
    select
        campaign_id,
        max(campaign_name) as campaign_name,
        min(case when activity_type = 'sent' then activity_at end) as first_sent_at,
        count(distinct case when activity_type = 'sent' then email_subscriber_key end) as recipients,
        count(distinct case when activity_type = 'delivered' then email_subscriber_key end) as delivered,
        count(distinct case when activity_type = 'open' then email_subscriber_key end) as unique_opens,
        count(distinct case when activity_type = 'click' then email_subscriber_key end) as unique_clicks,
        count(distinct case when activity_type = 'bounce' then email_subscriber_key end) as bounces,
        count(distinct case when activity_type = 'unsubscribe' then email_subscriber_key end) as unsubscribes,
        count(distinct case when activity_type = 'click' then customer_id end) as clicking_customers
    from email_activity
    group by campaign_id
),

revenue as (
    select
        campaign_id,
        count(*) as attributed_orders,
        sum(revenue) as attributed_revenue
    from attributed_orders
    group by campaign_id
),

final as (
    select
        recipients.campaign_id,
        recipients.campaign_name,
        recipients.first_sent_at,
        recipients.recipients,
        recipients.delivered,
        recipients.unique_opens,
        recipients.unique_clicks,
        recipients.bounces,
        recipients.unsubscribes,
        cast(recipients.unique_opens * 1.0 / nullif(recipients.delivered, 0) as decimal(6, 4)) as open_rate,
        cast(recipients.unique_clicks * 1.0 / nullif(recipients.delivered, 0) as decimal(6, 4)) as click_rate,
        cast(recipients.unique_clicks * 1.0 / nullif(recipients.unique_opens, 0) as decimal(6, 4))
            as click_to_open_rate,
        recipients.clicking_customers,
        coalesce(revenue.attributed_orders, 0) as attributed_orders,
        cast(coalesce(revenue.attributed_revenue, 0) as decimal(14, 2)) as attributed_revenue
    from recipients
    left join revenue
        on recipients.campaign_id = revenue.campaign_id
)

select * from final
