{#- A struct of the given columns, each field named after its column. Structs compare field
    by field in order, so one is a composite ordering key for min_by/max_by (a rank in one
    aggregate, where row_number() would need a window sort per partition). Keep NULLs out
    of a key: DuckDB orders a NULL field last, Spark first. -#}
{% macro struct_of(columns) -%}
    {{ return(adapter.dispatch('struct_of', 'cdp_profiles')(columns)) }}
{%- endmacro %}

{% macro duckdb__struct_of(columns) -%}
    struct_pack({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__struct_of(columns) -%}
    struct({{ columns | join(', ') }})
{%- endmacro %}
