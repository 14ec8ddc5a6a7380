{%- set attributes = ['first_name', 'last_name', 'email', 'phone', 'birth_date', 'address_line', 'postcode', 'city'] -%}
{%- set displayed = ['first_name', 'last_name', 'email', 'address_line', 'city'] -%}

with

source as (
    select * from {{ source('identity', 'identity_records') }}
),

final as (
    select
        record_id,
        identity_type,
        {%- for attribute in attributes %}
            {{ attribute }},
            {%- if attribute in displayed %}
                {{ attribute }}_display,
            {%- endif %}
        {%- endfor %}
        last_seen_at
    from source
)

select * from final
