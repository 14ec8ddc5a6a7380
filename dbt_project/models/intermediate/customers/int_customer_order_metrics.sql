-- Purchase behaviour per identified customer: revenue, margin, channel and store
-- preferences, top categories, and the revenue attributed to e-mail clicks.
with

orders as (
    select * from {{ ref('int_orders') }}
    where customer_id is not null
),

order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
    where customer_id is not null
),

attributed_orders as (
    select * from {{ ref('int_orders_attributed') }}
),

reporting_date as (
    select * from {{ ref('int_reporting_date') }}
),

totals as (
    select
        orders.customer_id,
        count(*) as order_count,
        sum(orders.revenue) as lifetime_revenue,
        sum(case
            when
                orders.ordered_at > {{ dbt.dateadd('day', -365, 'reporting_date.as_of_date') }}
                and orders.ordered_at < {{ dbt.dateadd('day', 1, 'reporting_date.as_of_date') }}
                then orders.revenue
            else 0
        end) as revenue_last_12_months,
        sum(case
            when
                orders.ordered_at > {{ dbt.dateadd('day', -365, 'reporting_date.as_of_date') }}
                and orders.ordered_at < {{ dbt.dateadd('day', 1, 'reporting_date.as_of_date') }}
                then 1
            else 0
        end) as orders_last_12_months,
        sum(orders.margin) as lifetime_margin,
        sum(orders.cost_known_revenue) as cost_known_revenue,
        min(orders.ordered_at) as first_order_at,
        max(orders.ordered_at) as last_order_at,
        sum(case when orders.order_channel = 'store' then 1 else 0 end) as store_order_count,
        sum(case when orders.order_channel = 'web' then 1 else 0 end) as web_order_count
    from orders
    cross join reporting_date
    group by orders.customer_id
),

store_ranks as (
    select
        customer_id,
        store_id,
        row_number() over (
            partition by customer_id order by count(*) desc, max(ordered_at) desc, store_id
        ) as store_rank
    from orders
    where store_id is not null
    group by customer_id, store_id
),

category_ranks as (
    select
        customer_id,
        category,
        row_number() over (
            partition by customer_id order by sum(line_revenue) desc, category
        ) as category_rank
    from order_lines
    where category is not null
    group by customer_id, category
),

top_categories as (
    select
        customer_id,
        {{ dbt.listagg("category", "', '", "order by category_rank") }} as top_categories
    from category_ranks
    where category_rank <= {{ var('top_categories_count') }}
    group by customer_id
),

attribution as (
    select
        customer_id,
        sum(revenue) as email_attributed_revenue
    from attributed_orders
    group by customer_id
),

final as (
    select
        totals.*,
        case
            when totals.web_order_count > totals.store_order_count then 'web'
            else 'store'
        end as preferred_channel,
        store_ranks.store_id as preferred_store_id,
        top_categories.top_categories,
        coalesce(attribution.email_attributed_revenue, 0) as email_attributed_revenue
    from totals
    left join store_ranks
        on
            totals.customer_id = store_ranks.customer_id
            and store_ranks.store_rank = 1
    left join top_categories
        on totals.customer_id = top_categories.customer_id
    left join attribution
        on totals.customer_id = attribution.customer_id
)

select * from final
