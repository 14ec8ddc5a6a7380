{#- Keep one row per natural key: the latest load wins (later export files re-send rows).
    Plain row_number() in a subquery rather than `qualify`, so the SQL ports to warehouses
    without it. The helper column `_row_rank` is dropped by the caller's explicit select. -#}
{% macro deduplicate_latest(relation, partition_by, order_by='_loaded_at desc, _source_file desc, _source_row desc') -%}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as _row_rank
        from {{ relation }}
    ) as ranked
    where _row_rank = 1
{%- endmacro %}
