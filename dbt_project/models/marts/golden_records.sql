{#- Survivorship: per customer and attribute, the candidates are the values of the
    customer's records, ranked by the attribute's trust order (config/identity.yml
    `survivorship`, written by each identity run as identity.survivorship_trust; identity
    types it does not list rank last), then the most recent record, then the most frequent
    value, then the value, its display form and the record id (so a tie gives one answer).
    The winner keeps the identity type it came from, that record's last_seen_at and that
    record's display form. -#}
{%- set attributes = ['first_name', 'last_name', 'email', 'phone', 'birth_date', 'address_line', 'postcode', 'city'] -%}
{%- set displayed = ['first_name', 'last_name', 'email', 'address_line', 'city'] -%}
{%- set unlisted_rank = 1000 -%}

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
        from member_records
        where {{ attribute }} is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

weighed as (
    select
        candidates.*,
        coalesce(survivorship_trust.trust_rank, {{ unlisted_rank }}) as trust_rank,
        count(*) over (
            partition by candidates.customer_id, candidates.attribute_name, candidates.attribute_value
        ) as value_frequency
    from candidates
    left join survivorship_trust
        on
            candidates.attribute_name = survivorship_trust.attribute_name
            and candidates.identity_type = survivorship_trust.identity_type
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id, attribute_name
            order by
                trust_rank asc,
                coalesce(last_seen_at, cast('1900-01-01' as timestamp)) desc,
                value_frequency desc,
                attribute_value asc,
                display_value asc,
                record_id asc
        ) as survivor_rank
    from weighed
),

survivors as (
    select
        customer_id,
    {%- for attribute in attributes %}
        {%- set picked = "case when attribute_name = '" ~ attribute ~ "' then " %}
        {%- if attribute == 'birth_date' %}
            cast(max({{ picked }}attribute_value end) as date) as {{ attribute }},
        {%- else %}
            max({{ picked }}attribute_value end) as {{ attribute }},
        {%- endif %}
        {%- if attribute in displayed %}
            max({{ picked }}display_value end) as {{ attribute }}_display,
        {%- endif %}
        max({{ picked }}identity_type end) as {{ attribute }}_source,
        max({{ picked }}last_seen_at end) as {{ attribute }}_updated_at{{ "," if not loop.last }}
    {%- endfor %}
    from ranked
    where survivor_rank = 1
    group by customer_id
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
