-- Every identified customer has exactly one segment row, and no segment row lacks a
-- profile. Returns the offending customers.
with

profiles as (
    select customer_id from {{ ref('customer_profile') }}
),

segments as (
    select customer_id, count(*) as segment_rows
    from {{ ref('customer_segments') }}
    group by customer_id
),

final as (
    select
        coalesce(profiles.customer_id, segments.customer_id) as customer_id,
        coalesce(segments.segment_rows, 0) as segment_rows
    from profiles
    full outer join segments
        on profiles.customer_id = segments.customer_id
    where profiles.customer_id is null
        or segments.customer_id is null
        or segments.segment_rows <> 1
)

select * from final
