{#- Survivorship: per customer and attribute, the candidates are the values of the
    customer's records, ranked by the attribute's trust order (config/identity.yml
    `survivorship`, written by each identity run as identity.survivorship_trust; identity
    types it does not list rank last), then the most recent record, then the most frequent
    value, then the value, its display form and the record id (so a tie gives one answer).
    The winner keeps the identity type it came from, that record's last_seen_at and that
    record's display form.

    How (docs/performance.md has the figures): a customer with one record takes its values
    as they are, nothing to rank; the others' non-null values are unpivoted once, their
    frequencies counted by a group-by (a window sorted every candidate for it), and one
    row_number() ranks them. A min_by over a struct key instead of the window was 3x faster
    at 100k records and 4x slower at 1M on DuckDB 2.0: do not go back to it unmeasured. -#}
{%- set attributes = ['first_name', 'last_name', 'email', 'phone', 'birth_date', 'address_line', 'postcode', 'city'] -%}
{%- set displayed = ['first_name', 'last_name', 'email', 'address_line', 'city'] -%}
{%- set unlisted_rank = 1000 -%}
{%- set unknown_date = "cast('1900-01-01' as timestamp)" -%}

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
        row_number() over (
            partition by candidates.customer_id, candidates.attribute_name
            order by
                coalesce(survivorship_trust.trust_rank, {{ unlisted_rank }}) asc,
                coalesce(candidates.last_seen_at, {{ unknown_date }}) desc,
                value_frequencies.value_frequency desc,
                candidates.attribute_value asc,
                -- spelled out: Spark's default puts NULLs first, DuckDB's last
                candidates.display_value asc nulls last,
                candidates.record_id asc
        ) as survivor_rank
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
    select * from ranked_candidates
    where survivor_rank = 1
),

shared_record_survivors as (
    select
        customer_id,
    {%- for attribute in attributes %}
        {%- set picked = "filter (where attribute_name = '" ~ attribute ~ "')" %}
        {%- if attribute == 'birth_date' %}
            cast(max(attribute_value) {{ picked }} as date) as {{ attribute }},
        {%- else %}
            max(attribute_value) {{ picked }} as {{ attribute }},
        {%- endif %}
        {%- if attribute in displayed %}
            max(display_value) {{ picked }} as {{ attribute }}_display,
        {%- endif %}
        max(identity_type) {{ picked }} as {{ attribute }}_source,
        max(last_seen_at) {{ picked }} as {{ attribute }}_updated_at{{ "," if not loop.last }}
    {%- endfor %}
    from winners
    group by customer_id
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
