{#- On Spark, the sources are the Parquet lake (docs/scale.md): before a run, each source
    table becomes `<schema>.<identifier>` over `<lake>/<schema>/<identifier>/`, where the
    engine's writers put it (`raw/<table>/batch_id=<batch>/`, `identity/<table>/`, and the
    consent and feedback tables the profiles build publishes). A view over the files sees
    every batch written since, partitions included. A source whose columns are declared
    with their data_type (one that may not exist yet) becomes a table with that schema over
    the same location instead (its batch folders read as plain files): empty until its
    files arrive. Only the sources the selected nodes read (and the optional ones) are
    registered. Nothing happens on DuckDB, whose sources are the warehouse's own tables. -#}
{% macro register_lake_sources() -%}
    {%- if target.type == 'spark' and execute -%}
        {%- set lake = env_var('CDP_LAKE_URI', '../data/lake').rstrip('/') -%}
        {#- the sources the selected nodes read (a partial build's upstream views exist) -#}
        {%- set needed = [] -%}
        {%- for unique_id in selected_resources if unique_id in graph.nodes -%}
            {%- do needed.extend(graph.nodes[unique_id].depends_on.nodes) -%}
        {%- endfor -%}
        {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- set relation = node.schema ~ '.' ~ node.identifier -%}
            {%- set location = lake ~ '/' ~ node.schema ~ '/' ~ node.identifier -%}
            {%- set declared = node.columns.values() | selectattr('data_type') | list -%}
            {#- an optional source is read only when adapter.get_relation finds it, so no node
                depends on it in the graph: it is always declared -#}
            {%- if declared or node.unique_id in needed or not selected_resources -%}
            {%- do run_query('create schema if not exists ' ~ node.schema) -%}
            {%- if declared -%}
                {%- set columns = [] -%}
                {%- for column in declared -%}
                    {%- do columns.append(column.name ~ ' ' ~ column.data_type) -%}
                {%- endfor -%}
                {%- do run_query('drop table if exists ' ~ relation) -%}
                {%- do run_query(
                    'create table ' ~ relation ~ ' (' ~ columns | join(', ') ~ ') using parquet'
                    ~ " options (recursiveFileLookup 'true') location '" ~ location ~ "'"
                ) -%}
                {#- dbt cached the schemas' tables before this hook: tell it about this one -#}
                {%- do adapter.cache_added(api.Relation.create(
                    schema=node.schema, identifier=node.identifier, type='table'
                )) -%}
            {%- else -%}
                {%- do run_query(
                    'create or replace view ' ~ relation ~ ' as select * from parquet.`' ~ location ~ '`'
                ) -%}
            {%- endif -%}
            {%- do log('lake source ' ~ relation ~ ' <- ' ~ location) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
