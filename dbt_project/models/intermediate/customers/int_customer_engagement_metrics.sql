-- E-mail, SMS, web and call-center behaviour per identified customer.
with

customers as (
    select * from {{ ref('int_customers_identified') }}
),

campaign_engagement as (
    select * from {{ ref('int_email_engagement_by_campaign') }}
),

subscriptions as (
    select * from {{ ref('int_email_subscriptions_current') }}
),

sessions as (
    select * from {{ ref('int_web_sessions') }}
),

item_views as (
    select * from {{ ref('int_web_items_unnested') }}
    where
        event_name = 'view_item'
        and customer_id is not null
),

order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
    where customer_id is not null
),

contacts as (
    select * from {{ ref('int_callcenter_contacts') }}
    where customer_id is not null
),

sms_activity as (
    select * from {{ ref('int_sms_activity_attached') }}
    where customer_id is not null
),

email_metrics as (
    select
        customer_id,
        sum(case when was_sent then 1 else 0 end) as emails_sent,
        (
            sum(case when was_opened then 1 else 0 end) * 1.0
            / nullif(sum(case when was_delivered or was_opened then 1 else 0 end), 0)
        ) as email_open_rate,
        (
            sum(case when was_clicked then 1 else 0 end) * 1.0
            / nullif(sum(case when was_delivered or was_opened then 1 else 0 end), 0)
        ) as email_click_rate,
        max(last_opened_at) as last_email_opened_at,
        max(case when was_unsubscribed then 1 else 0 end) = 1 as has_unsubscribe_action,
        max(case when was_bounced then 1 else 0 end) = 1 as has_bounce_action
    from campaign_engagement
    group by customer_id
),

sms_metrics as (
    select
        customer_id,
        count(*) filter (where activity_type = 'sent') as sms_sent,
        (
            count(distinct case when activity_type = 'click' then campaign_id end) * 1.0
            / nullif(count(distinct case when activity_type = 'delivered' then campaign_id end), 0)
        ) as sms_click_rate
    from sms_activity
    group by customer_id
),

subscription_metrics as (
    select
        customer_id,
        max(case when subscriber_status = 'unsubscribed' then 1 else 0 end) = 1 as has_unsubscribed_status,
        max(case when subscriber_status = 'cleaned' then 1 else 0 end) = 1 as has_cleaned_status
    from subscriptions
    group by customer_id
),

web_metrics as (
    select
        customer_id,
        count(*) as web_sessions,
        max(started_at) as last_web_visit_at
    from sessions
    group by customer_id
),

products_bought as (
    select distinct
        customer_id,
        sku
    from order_lines
    where sku is not null
),

viewed_not_bought as (
    select
        item_views.customer_id,
        item_views.sku,
        max(item_views.product_name) as product_name,
        max(item_views.event_at) as last_viewed_at
    from item_views
    left join products_bought
        on
            item_views.customer_id = products_bought.customer_id
            and item_views.sku = products_bought.sku
    where products_bought.sku is null
    group by item_views.customer_id, item_views.sku
),

viewed_not_bought_ranked as (
    select
        *,
        row_number() over (partition by customer_id order by last_viewed_at desc, sku asc) as view_rank
    from viewed_not_bought
),

viewed_not_bought_metrics as (
    select
        customer_id,
        count(*) as products_viewed_not_bought_count,
        {{ dbt.listagg(
            "case when view_rank <= " ~ var('products_viewed_not_bought_count') ~ " then product_name end",
            "', '", "order by view_rank"
        ) }} as products_viewed_not_bought
    from viewed_not_bought_ranked
    group by customer_id
),

contact_ranks as (
    select
        *,
        row_number() over (partition by customer_id order by opened_at desc, ticket_id desc) as contact_rank
    from contacts
),

contact_metrics as (
    select
        customer_id,
        count(*) as callcenter_contacts,
        max(opened_at) as last_contact_at,
        max(case when contact_rank = 1 then contact_reason end) as last_contact_reason,
        cast(avg(csat) as decimal(4, 2)) as average_csat,
        max(case when is_open_complaint then 1 else 0 end) = 1 as has_open_complaint
    from contact_ranks
    group by customer_id
),

final as (
    select
        customers.customer_id,
        email_metrics.emails_sent,
        cast(email_metrics.email_open_rate as decimal(6, 4)) as email_open_rate,
        cast(email_metrics.email_click_rate as decimal(6, 4)) as email_click_rate,
        email_metrics.last_email_opened_at,
        (
            coalesce(email_metrics.has_unsubscribe_action, false)
            or coalesce(subscription_metrics.has_unsubscribed_status, false)
        ) as is_email_unsubscribed,
        (
            coalesce(email_metrics.has_bounce_action, false)
            or coalesce(subscription_metrics.has_cleaned_status, false)
        ) as has_email_bounced,
        sms_metrics.sms_sent,
        cast(sms_metrics.sms_click_rate as decimal(6, 4)) as sms_click_rate,
        web_metrics.web_sessions,
        web_metrics.last_web_visit_at,
        viewed_not_bought_metrics.products_viewed_not_bought_count,
        viewed_not_bought_metrics.products_viewed_not_bought,
        contact_metrics.callcenter_contacts,
        contact_metrics.last_contact_at,
        contact_metrics.last_contact_reason,
        contact_metrics.average_csat,
        contact_metrics.has_open_complaint
    from customers
    left join email_metrics
        on customers.customer_id = email_metrics.customer_id
    left join subscription_metrics
        on customers.customer_id = subscription_metrics.customer_id
    left join sms_metrics
        on customers.customer_id = sms_metrics.customer_id
    left join web_metrics
        on customers.customer_id = web_metrics.customer_id
    left join viewed_not_bought_metrics
        on customers.customer_id = viewed_not_bought_metrics.customer_id
    left join contact_metrics
        on customers.customer_id = contact_metrics.customer_id
)

select * from final
