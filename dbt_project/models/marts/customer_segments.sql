-- Lifecycle segments: the one place their rules live (documented in _marts.md,
-- "segment_rules"). Rules are tried in order; the first that holds wins, and the last one
-- catches everything left, so each customer is in exactly one segment.
--   1. prospect  no order yet (identity known through an account, subscription, ...)
--   2. dormant   last order more than var('dormancy_days') ago            -> win-back
--   3. at_risk   last order more than var('at_risk_days') ago
--   4. vip       revenue over the last 12 months >= var('vip_min_revenue_12m')
--   5. new       a single order, or a first order within var('new_customer_days')
--   6. loyal     every other active customer: repeat buyers past their first weeks
with

profiles as (
    select * from {{ ref('customer_profile') }}
),

milestones as (
    select * from {{ ref('int_customer_order_milestones') }}
),

reporting_date as (
    select * from {{ ref('int_reporting_date') }}
),

measured as (
    select
        profiles.customer_id,
        profiles.order_count,
        profiles.revenue_last_12_months,
        profiles.first_seen_at,
        profiles.first_order_at,
        profiles.last_order_at,
        {{ dbt.datediff('profiles.last_order_at', 'reporting_date.as_of_date', 'day') }} as days_since_last_order,
        {{ dbt.datediff('profiles.first_order_at', 'reporting_date.as_of_date', 'day') }} as days_since_first_order,
        milestones.second_order_at,
        milestones.last_reactivated_at,
        milestones.vip_threshold_reached_at,
        reporting_date.as_of_date
    from profiles
    cross join reporting_date
    left join milestones
        on profiles.customer_id = milestones.customer_id
),

assigned as (
    select
        *,
        case
            when order_count = 0 or last_order_at is null then 'prospect'
            when days_since_last_order > {{ var('dormancy_days') }} then 'dormant'
            when days_since_last_order > {{ var('at_risk_days') }} then 'at_risk'
            when revenue_last_12_months >= {{ var('vip_min_revenue_12m') }} then 'vip'
            when order_count = 1 or days_since_first_order <= {{ var('new_customer_days') }} then 'new'
            else 'loyal'
        end as segment
    from measured
),

final as (
    select
        customer_id,
        segment,
        cast(
            case segment
                -- a customer with no dated touchpoint (known only by a review author name
                -- or an API call) enters on the reporting date
                when 'prospect' then coalesce(first_seen_at, as_of_date)
                when 'dormant' then {{ dbt.dateadd('day', var('dormancy_days'), 'last_order_at') }}
                when 'at_risk' then {{ dbt.dateadd('day', var('at_risk_days'), 'last_order_at') }}
                when 'vip' then coalesce(vip_threshold_reached_at, last_order_at)
                when 'new' then first_order_at
                else greatest(
                    coalesce(second_order_at, first_order_at),
                    {{ dbt.dateadd('day', var('new_customer_days'), 'first_order_at') }},
                    coalesce(last_reactivated_at, first_order_at)
                )
            end as date
        ) as segment_entered_at,
        order_count,
        revenue_last_12_months,
        days_since_last_order
    from assigned
)

select * from final
