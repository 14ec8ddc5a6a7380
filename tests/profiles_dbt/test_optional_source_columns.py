"""The optional dbt sources declare the columns their writers write.

`sms.activity` (written by ingestion from `config/sources/sms.yml`) and
`feedback.message_analysis` (written by `voice`) may be absent when dbt runs: the Spark
target then stands in an empty table built from the columns their `_sources.yml` declares,
and the SMS staging model an empty select of the same columns. Each writer here creates its
real table in an empty DuckDB, and the declared names and types must be the ones it wrote.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import yaml

ROOT = Path(__file__).resolve().parents[2]
STAGING = ROOT / "dbt_project" / "models" / "staging"
# DuckDB's type names as the sources' `data_type:` spells them (Spark SQL's names)
SPARK_TYPES = {
    "VARCHAR": "string",
    "TIMESTAMP": "timestamp",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "INTEGER": "int",
    "BOOLEAN": "boolean",
    "DATE": "date",
}


def _declared(sources_yml: Path, source: str, table: str) -> list[tuple[str, str]]:
    (entry,) = [s for s in yaml.safe_load(sources_yml.read_text("utf-8"))["sources"]
                if s["name"] == source]  # fmt: skip
    (found,) = [t for t in entry["tables"] if t["name"] == table]
    return [(c["name"], c["data_type"]) for c in found["columns"]]


def _written(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    described = con.execute(f"describe {table}").fetchall()
    return [(name, SPARK_TYPES.get(kind, kind.lower())) for name, kind, *_ in described]


def test_sms_activity_columns_are_the_ones_ingestion_writes():
    from ingestion.definitions import load_definition
    from ingestion.ledger import ensure_raw_table
    from ingestion.policy import entity_rules

    definition = load_definition(ROOT / "config" / "sources" / "sms.yml")
    con = duckdb.connect()
    con.execute("create schema raw")
    ensure_raw_table(
        con, definition.raw_table("activity"), entity_rules(definition.entities["activity"])
    )

    written = _written(con, definition.raw_table("activity"))
    declared = _declared(STAGING / "sms" / "_sms__sources.yml", "sms", "activity")
    assert declared == written
    # the DuckDB stand-in of the staging model, `null::<type> as <name>`, lists them too
    stand_in = re.findall(
        r"null::(\w+) as (\w+)", (STAGING / "sms" / "stg_sms__activity.sql").read_text("utf-8")
    )
    assert [(name, SPARK_TYPES[kind.upper()]) for kind, name in stand_in] == written


def test_message_analysis_columns_are_the_ones_voice_writes():
    from voice.analyse import SCHEMA, TABLE, persist

    con = duckdb.connect()
    persist(con, [])  # the writer's own DDL, for no message

    written = _written(con, f"{SCHEMA}.{TABLE}")
    declared = _declared(STAGING / "feedback" / "_feedback__sources.yml", SCHEMA, TABLE)
    assert declared == written
