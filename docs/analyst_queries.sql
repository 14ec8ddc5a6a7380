-- Analyst queries on the profile marts, read-only on the published snapshot:
-- `duckdb -readonly data/published/cdp.duckdb < docs/analyst_queries.sql` (any DuckDB 1.x/2.x CLI).
-- They run as printed: tests/profiles_dbt/test_profiles_dbt_analyst_queries.py runs them.

-- 1. Win-back list: dormant customers worth at least 200 EUR who can be e-mailed (is_email_sendable).
select
    p.customer_id,
    p.first_name,
    p.last_name,
    p.email,
    p.lifetime_revenue,
    p.last_order_at,
    s.segment_entered_at as dormant_since
from marts.customer_profile as p
inner join marts.customer_segments as s
    on p.customer_id = s.customer_id
where s.segment = 'dormant'
    and p.is_email_sendable
    and p.lifetime_revenue >= 200
order by p.lifetime_revenue desc;

-- 2. Revenue by lifecycle segment.
select
    s.segment,
    count(*) as customers,
    sum(p.lifetime_revenue) as lifetime_revenue,
    sum(p.revenue_last_12_months) as revenue_last_12_months,
    round(sum(p.lifetime_revenue) / nullif(sum(p.order_count), 0), 2) as average_basket
from marts.customer_segments as s
inner join marts.customer_profile as p
    on s.customer_id = p.customer_id
group by s.segment
order by lifetime_revenue desc;

-- 3. One customer's full timeline, found by any of their e-mail addresses.
with customer as (
    select customer_id
    from marts.customer_profile
    where lower(email) = lower('alice.martin@example.org')
    union
    select customer_id
    from identity.customer_records
    where identity_type = 'email_subscriber'
        and source_key = lower(trim('alice.martin@example.org'))
)

select
    t.occurred_at,
    t.channel,
    t.event_type,
    t.amount,
    t.detail
from marts.customer_timeline as t
inner join customer
    on t.customer_id = customer.customer_id
order by t.occurred_at, t.touchpoint_id;

-- 4. Unhappy valuable customers: detractors (recent negative feedback or CSAT <= 2) worth
--    at least 200 EUR, with what they said last.
select
    p.customer_id,
    p.first_name,
    p.last_name,
    p.lifetime_revenue,
    p.feedback_score_12m,
    f.written_at as last_feedback_at,
    f.topic as last_feedback_topic,
    f.message_text as last_feedback_text
from marts.customer_profile as p
inner join marts.customer_feedback as f
    on p.customer_id = f.customer_id
    and p.last_feedback_at = f.written_at
where p.is_detractor
    and p.lifetime_revenue >= 200
order by p.lifetime_revenue desc;
