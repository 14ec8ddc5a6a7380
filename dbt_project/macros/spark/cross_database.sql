{#- Spark versions of dbt's cross-database macros the models use, found first through the
    `dispatch` search order in dbt_project.yml. dbt-spark's own versions assert that their
    arguments are not null (a prospect's last order is), drop sub-second precision in
    dateadd, and ignore the order of listagg; Spark 3.3+ and 4 have the functions that keep
    DuckDB's semantics. Dateparts the models do not use fall back to dbt-spark's macros. -#}

{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'day' -%}
        {#- day boundaries crossed, as DuckDB's date_diff('day', ...) counts them -#}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif datepart == 'microsecond' -%}
        (unix_micros(cast({{ second_date }} as timestamp)) - unix_micros(cast({{ first_date }} as timestamp)))
    {%- else -%}
        {{ return(dbt_spark.spark__datediff(first_date, second_date, datepart)) }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- if datepart in ['day', 'hour', 'minute', 'second'] -%}
        {#- timestamp without time zone, like the lake's timestamps and DuckDB's date + interval -#}
        timestampadd({{ datepart }}, {{ interval }}, cast({{ from_date_or_timestamp }} as timestamp_ntz))
    {%- else -%}
        {{ return(dbt_spark.spark__dateadd(datepart, interval, from_date_or_timestamp)) }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ return(dbt_spark.spark__listagg(measure, delimiter_text, order_by_clause, limit_num)) }}
    {%- endif -%}
    {%- set expression = measure | trim -%}
    {%- if expression[:9] | lower == 'distinct ' -%}
        {#- Spark 4.3 fails (ClassCastException) on listagg(distinct ...) beside another distinct
            aggregate; the distinct values sorted ascending are the same string -#}
        {%- set expression = expression[9:] | trim -%}
        {%- if order_by_clause and (order_by_clause | lower | replace(' ', '')) not in [
            'orderby' ~ (expression | lower | replace(' ', '')),
            'orderby' ~ (expression | lower | replace(' ', '')) ~ 'asc'
        ] -%}
            {{ exceptions.raise_compiler_error(
                "listagg(distinct ...) on Spark orders by the aggregated expression only, got "
                ~ order_by_clause
            ) }}
        {%- endif -%}
        {#- no value: null, as listagg (and DuckDB's string_agg) give, not '' -#}
        case when count({{ expression }}) > 0
            then array_join(array_sort(collect_set({{ expression }})), {{ delimiter_text }})
        end
    {%- else -%}
        listagg({{ measure }}, {{ delimiter_text }})
        {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
    {%- endif -%}
{%- endmacro %}
