{#- Survivorship: per customer and attribute, the candidates are the values of the
    customer's records, ranked by the attribute's trust order (config/identity.yml
    `survivorship`, written by each identity run as identity.survivorship_trust; identity
    types it does not list rank last), then the most recent record, then the most frequent
    value, then the value, its display form and the record id (so a tie gives one answer).
    The winner keeps the identity type it came from, that record's last_seen_at and that
    record's display form.

    How, in one pass (docs/performance.md has the figures): a customer with one record takes
    its values as they are, nothing to rank. The others' non-null values are unpivoted once,
    and each attribute's winner is a min_by over a struct of the ranking fields (macros/
    struct_of.sql), one hash aggregate per customer, where a row_number() window per customer
    and attribute sorted every candidate; value frequencies are a group-by, not a window. -#}
{%- set attributes = ['first_name', 'last_name', 'email', 'phone', 'birth_date', 'address_line', 'postcode', 'city'] -%}
{%- set displayed = ['first_name', 'last_name', 'email', 'address_line', 'city'] -%}
{%- set unlisted_rank = 1000 -%}
{%- set unknown_date = "cast('1900-01-01' as timestamp)" -%}
{%- set winner_fields = ['attribute_value', 'display_value', 'identity_type', 'last_seen_at'] -%}
{#- the ranking, in order; each field ascending and never null (see struct_of) -#}
{%- set ranking_fields = [
    'trust_order', 'recency_order', 'frequency_order',
    'value_order', 'display_missing_order', 'display_order', 'record_order'
] -%}

with

customers as (
    select * from {{ ref('stg_identity__customers') }}
),

customer_records as (
    select * from {{ ref('stg_identity__customer_records') }}
),

identity_records as (
    select * from {{ ref('stg_identity__identity_records') }}
),

survivorship_trust as (
    select * from {{ ref('stg_identity__survivorship_trust') }}
),

member_records as (
    select
        customer_records.customer_id,
        identity_records.*
    from identity_records
    inner join customer_records
        on identity_records.record_id = customer_records.record_id
),

record_counts as (
    select
        customer_id,
        count(*) as record_count
    from member_records
    group by customer_id
),

counted_records as (
    select
        member_records.*,
        record_counts.record_count
    from member_records
    inner join record_counts
        on member_records.customer_id = record_counts.customer_id
),

single_record_survivors as (
    select
        customer_id,
    {%- for attribute in attributes %}
        {%- if attribute == 'birth_date' %}
            {{ attribute }},
        {%- else %}
            cast({{ attribute }} as {{ dbt.type_string() }}) as {{ attribute }},
        {%- endif %}
        {%- if attribute in displayed %}
            case
                when {{ attribute }} is not null then {{ attribute }}_display
            end as {{ attribute }}_display,
        {%- endif %}
        case when {{ attribute }} is not null then identity_type end as {{ attribute }}_source,
        case
            when {{ attribute }} is not null then last_seen_at
        end as {{ attribute }}_updated_at{{ "," if not loop.last }}
    {%- endfor %}
    from counted_records
    where record_count = 1
),

shared_records as (
    select * from counted_records
    where record_count > 1
),

candidates as (
    {%- for attribute in attributes %}
        select
            customer_id,
            '{{ attribute }}' as attribute_name,
            cast({{ attribute }} as {{ dbt.type_string() }}) as attribute_value,
            {%- if attribute in displayed %}
                {{ attribute }}_display as display_value,
            {%- else %}
                cast(null as {{ dbt.type_string() }}) as display_value,
            {%- endif %}
            identity_type,
            record_id,
            last_seen_at
        from shared_records
        where {{ attribute }} is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

value_frequencies as (
    select
        customer_id,
        attribute_name,
        attribute_value,
        count(*) as value_frequency
    from candidates
    group by customer_id, attribute_name, attribute_value
),

ranked_candidates as (
    select
        candidates.customer_id,
        candidates.attribute_name,
        candidates.attribute_value,
        candidates.display_value,
        candidates.identity_type,
        candidates.last_seen_at,
        coalesce(survivorship_trust.trust_rank, {{ unlisted_rank }}) as trust_order,
        -- microseconds back to the unknown date: the more recent, the smaller
        {{ dbt.datediff('coalesce(candidates.last_seen_at, ' ~ unknown_date ~ ')', unknown_date, 'microsecond') }}
            as recency_order,
        -value_frequencies.value_frequency as frequency_order,
        candidates.attribute_value as value_order,
        -- a missing display form sorts after any display form
        case when candidates.display_value is null then 1 else 0 end as display_missing_order,
        coalesce(candidates.display_value, '') as display_order,
        candidates.record_id as record_order
    from candidates
    inner join value_frequencies
        on
            candidates.customer_id = value_frequencies.customer_id
            and candidates.attribute_name = value_frequencies.attribute_name
            and candidates.attribute_value = value_frequencies.attribute_value
    left join survivorship_trust
        on
            candidates.attribute_name = survivorship_trust.attribute_name
            and candidates.identity_type = survivorship_trust.identity_type
),

winners as (
    select
        customer_id,
    {%- for attribute in attributes %}
        min_by(
            {{ struct_of(winner_fields) }},
            {{ struct_of(ranking_fields) }}
        ) filter (where attribute_name = '{{ attribute }}') as {{ attribute }}_winner{{ "," if not loop.last }}
    {%- endfor %}
    from ranked_candidates
    group by customer_id
),

shared_record_survivors as (
    select
        winners.customer_id,
    {%- for attribute in attributes %}
        {%- if attribute == 'birth_date' %}
            cast({{ attribute }}_winner.attribute_value as date) as {{ attribute }},
        {%- else %}
            {{ attribute }}_winner.attribute_value as {{ attribute }},
        {%- endif %}
        {%- if attribute in displayed %}
            {{ attribute }}_winner.display_value as {{ attribute }}_display,
        {%- endif %}
        {{ attribute }}_winner.identity_type as {{ attribute }}_source,
        {{ attribute }}_winner.last_seen_at as {{ attribute }}_updated_at{{ "," if not loop.last }}
    {%- endfor %}
    from winners
),

survivors as (
    select * from single_record_survivors
    union all
    select * from shared_record_survivors
),

final as (
    select
        customers.customer_id,
    {%- for attribute in attributes %}
        survivors.{{ attribute }},
        {%- if attribute in displayed %}
            survivors.{{ attribute }}_display,
        {%- endif %}
        survivors.{{ attribute }}_source,
        survivors.{{ attribute }}_updated_at{{ "," if not loop.last }}
    {%- endfor %}
    from customers
    left join survivors
        on customers.customer_id = survivors.customer_id
    where customers.is_active
)

select * from final
