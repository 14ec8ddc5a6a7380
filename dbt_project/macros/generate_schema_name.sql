{#- Schemas are named for the layer alone (staging, intermediate, marts), not prefixed with
    the target schema, so analysts read `marts.customer_profile` in every environment. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
