{%- set attributes = ['first_name', 'last_name', 'email', 'phone', 'birth_date', 'address_line', 'postcode', 'city'] -%}

with

source as (
    select * from {{ source('identity', 'golden_records') }}
),

final as (
    select
        customer_id,
    {%- for attribute in attributes %}
        {{ attribute }},
        {{ attribute }}_source,
        {{ attribute }}_updated_at{{ "," if not loop.last }}
    {%- endfor %}
    from source
)

select * from final
