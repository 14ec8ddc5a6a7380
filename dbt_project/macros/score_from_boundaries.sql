{#- A 1-5 score from four ascending boundaries (a dbt var), so marketers tune RFM without
    touching SQL. `lower_is_better` scores recency: at most the 1st boundary scores 5.
    Otherwise (frequency, monetary) at least the 4th boundary scores 5, below the 1st 1. -#}
{% macro score_from_boundaries(expression, boundaries, lower_is_better=false) -%}
    {%- if boundaries | length != 4 -%}
        {{ exceptions.raise_compiler_error("score_from_boundaries needs 4 ascending boundaries, got " ~ boundaries) }}
    {%- endif -%}
    case
        when {{ expression }} is null then null
    {%- if lower_is_better %}
        {%- for boundary in boundaries %}
        when {{ expression }} <= {{ boundary }} then {{ 5 - loop.index0 }}
        {%- endfor %}
        else 1
    {%- else %}
        {%- for boundary in boundaries | reverse %}
        when {{ expression }} >= {{ boundary }} then {{ 5 - loop.index0 }}
        {%- endfor %}
        else 1
    {%- endif %}
    end
{%- endmacro %}
