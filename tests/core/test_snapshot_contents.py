"""What the published snapshot holds: what readers read, not the raw and dbt's inner layers."""

from __future__ import annotations

from core.snapshot import open_snapshot, publish_snapshot
from core.warehouse import connect

# A warehouse in the pipeline's shape: a source line with a person in the raw layer, dbt's
# staging view and intermediate table over it, the marts, identity and ops tables readers
# read, and two views of the marts: one over a mart, one over the raw layer.
WAREHOUSE = """
create schema raw; create schema staging; create schema intermediate; create schema marts;
create schema identity; create schema ops;
create table raw.pos__receipt_lines as
  select 'R' || range as receipt_id, 'zoe.martin@example.org' as customer_email,
    range * 10 as amount
  from range(4);
create view staging.stg_pos__receipt_lines as select * from raw.pos__receipt_lines;
create table intermediate.int_orders as select * from staging.stg_pos__receipt_lines;
create table marts.customer_profile (customer_id varchar not null, lifetime_revenue integer);
insert into marts.customer_profile values ('C1', 60);
create view marts.big_spenders as
  select customer_id from marts.customer_profile where lifetime_revenue > 50;
create view marts.receipts_loaded as select receipt_id, amount from raw.pos__receipt_lines;
create table identity.customers as select 'C1' as customer_id;
create table identity.guard_shared as
  select 'email_subscriber:zoe' as record_id, 'email' as identifier_type,
    'zoe.martin@example.org' as identifier_value;
create table ops.load_ledger as select 'b1' as batch_id, 4 as rows_read;
"""


def _catalog(con, kind: str) -> set[str]:
    name = "table_name" if kind == "tables" else "view_name"
    internal = "" if kind == "tables" else " and not internal"
    return {
        f"{schema}.{table}"
        for schema, table in con.execute(
            f"select schema_name, {name} from duckdb_{kind}() "
            f"where database_name = current_database(){internal}"
        ).fetchall()
    }


def test_the_snapshot_leaves_the_raw_staging_and_intermediate_layers_in_the_warehouse(settings):
    with connect(settings) as con:
        con.execute(WAREHOUSE)

    info = publish_snapshot(settings, "run-1")

    with open_snapshot(settings) as con:
        schemas = {
            name
            for (name,) in con.execute(
                "select schema_name from duckdb_schemas() where database_name = current_database()"
            ).fetchall()
        }
        tables = _catalog(con, "tables")
        (emails,) = con.execute(
            "select count(*) from duckdb_columns() where database_name = current_database() "
            "and column_name = 'customer_email'"
        ).fetchone()
    assert not schemas & {"raw", "staging", "intermediate"}
    assert {"marts.customer_profile", "identity.customers", "ops.load_ledger"} <= tables
    assert emails == 0  # the source line's person is nowhere in the readers' copy
    assert "identity.guard_shared" not in tables  # identity's own state between its runs
    assert not any(name.split(".")[0] in {"raw", "intermediate"} for name in info.tables)
    with connect(settings) as con:  # the warehouse itself keeps every layer
        assert con.execute("select count(*) from intermediate.int_orders").fetchone() == (4,)


def test_a_view_reading_a_left_out_schema_is_published_as_its_rows(settings):
    with connect(settings) as con:
        con.execute(WAREHOUSE)

    publish_snapshot(settings, "run-1")

    with open_snapshot(settings) as con:
        views, tables = _catalog(con, "views"), _catalog(con, "tables")
        loaded = con.execute("select * from marts.receipts_loaded order by 1").fetchall()
        big = con.execute("select * from marts.big_spenders").fetchall()
        not_null = con.execute(
            "select count(*) from duckdb_constraints() where database_name = current_database() "
            "and table_name = 'customer_profile' and constraint_type = 'NOT NULL'"
        ).fetchone()
    assert "marts.big_spenders" in views  # reads a published mart: still a view
    assert "marts.receipts_loaded" in tables  # reads the raw layer: its rows, as a table
    assert loaded == [("R0", 0), ("R1", 10), ("R2", 20), ("R3", 30)]
    assert big == [("C1",)]
    assert not_null == (1,)  # the tables keep their definitions, constraints included


def test_the_left_out_schemas_are_a_setting(settings):
    with connect(settings) as con:
        con.execute(WAREHOUSE)
    everything = settings.model_copy(
        update={"snapshot_left_out_schemas": [], "snapshot_left_out_tables": []}
    )

    info = publish_snapshot(everything, "run-1")

    assert info.tables["raw.pos__receipt_lines"] == 4
    assert info.tables["identity.guard_shared"] == 1
    assert info.tables["intermediate.int_orders"] == 4
    with open_snapshot(everything) as con:
        assert "staging.stg_pos__receipt_lines" in _catalog(con, "views")
        assert "marts.receipts_loaded" in _catalog(con, "views")
