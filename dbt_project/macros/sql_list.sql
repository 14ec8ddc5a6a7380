{#- A dbt var list rendered as a SQL literal list: ('a', 'b'). -#}
{% macro sql_list(values) -%}
    ({%- for value in values -%}{{ "'" ~ (value | replace("'", "''")) ~ "'" }}{%- if not loop.last %}, {% endif -%}{%- endfor -%})
{%- endmacro %}
