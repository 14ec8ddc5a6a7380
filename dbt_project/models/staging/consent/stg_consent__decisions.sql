with

source as (
    select * from {{ source('consent', 'history') }}
),

final as (
    select
        {{ dbt.concat([
            "record_id", "':'", "channel", "':'", "cast(decided_at as varchar)", "':'",
            "source", "':'", "cast(is_granted as varchar)"
        ]) }} as consent_decision_id,
        customer_id,
        channel,
        is_granted,
        decided_at,
        source as decision_source,
        record_id
    from source
)

select * from final
