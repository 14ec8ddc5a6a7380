{#- One row per element of a JSON array of objects, as a struct column named `as_name`
    (`select ..., {{ json_array_elements('items_json', {...}) }} as item` then `item.price`).
    `fields` maps each member to its SQL type (varchar, integer, decimal(12,2)). -#}
{% macro json_array_elements(json_column, fields) -%}
    {{ return(adapter.dispatch('json_array_elements', 'cdp_profiles')(json_column, fields)) }}
{%- endmacro %}

{% macro duckdb__json_array_elements(json_column, fields) -%}
    {%- set members = [] -%}
    {%- for name, type in fields.items() -%}
        {%- do members.append('"' ~ name ~ '": "' ~ (type | upper) ~ '"') -%}
    {%- endfor -%}
    unnest(from_json({{ json_column }}, '[{{ "{" ~ members | join(", ") ~ "}" }}]'))
{%- endmacro %}

{% macro spark__json_array_elements(json_column, fields) -%}
    {%- set members = [] -%}
    {%- for name, type in fields.items() -%}
        {%- do members.append(name ~ ': ' ~ ('string' if type | lower == 'varchar' else type | lower)) -%}
    {%- endfor -%}
    explode(from_json({{ json_column }}, 'array<struct<{{ members | join(", ") }}>>'))
{%- endmacro %}
