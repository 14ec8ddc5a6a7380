with

source as (
    select * from {{ source('consent', 'signals') }}
),

final as (
    select
        {{ dbt.concat([
            "record_id", "':'", "channel", "':'", dbt.cast("decided_at", dbt.type_string()), "':'",
            "source", "':'", dbt.cast("is_granted", dbt.type_string())
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
