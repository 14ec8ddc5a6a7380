"""The frames GX validates, computed in DuckDB and handed over as pandas.

GX on DuckDB through SQLAlchemy reports passing data as failing (STACK.md), so every check
reads a pandas frame: the table's needed columns, or a comparison computed in SQL (schema
against the contract, latest load against the previous one, profile totals against orders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.warehouse import columns_of, table_exists
from expectations._config import ExpectationSpec, QualityConfig, SuiteSpec, VolumeSpec

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

# Where a raw row came from: a failing value is reported with its file and line.
LINEAGE_INDEX = ["_source_file", "_source_row"]


@dataclass
class Check:
    """One GX suite to run on one frame (or a reason it could not be read)."""

    stage: str
    suite: str
    expectations: list[tuple[ExpectationSpec, str]]
    index_columns: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None
    missing: str | None = None  # why the frame could not be read
    required: bool = True
    # "rows" validates the data itself; "schema" and "volume" describe it (a table with no
    # row still has a schema), so they alone never make a stage "checked".
    kind: str = "rows"

    @property
    def has_rows(self) -> bool:
        """True when this check validates at least one row of data."""
        return self.kind == "rows" and self.frame is not None and len(self.frame) > 0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _schema_check(
    con, name: str, suite: SuiteSpec, qualified: str, columns: dict[str, str], config: QualityConfig
) -> Check:
    schema, table = qualified.split(".")
    expected = list(columns.items())
    frame = con.execute(
        "select e.column_name, e.expected_type, c.data_type as actual_type "
        "from (select unnest(?::varchar[]) as column_name, "
        "unnest(?::varchar[]) as expected_type) e "
        "left join information_schema.columns c on c.table_schema = ? and c.table_name = ? "
        "and c.column_name = e.column_name",
        [[c for c, _ in expected], [t.upper() for _, t in expected], schema, table],
    ).df()
    severity = config.default_severity
    present = ExpectationSpec(
        type="expect_column_values_to_not_be_null",
        column="actual_type",
        description="every required column is present",
    )
    typed = ExpectationSpec(
        type="expect_column_pair_values_to_be_equal",
        column_A="expected_type",
        column_B="actual_type",
        ignore_row_if="either_value_is_missing",
        description="every present column has its contract type",
    )
    return Check(
        suite.stage,
        f"{name}.schema",
        [(present, severity), (typed, severity)],
        ["column_name"],
        frame,
        kind="schema",
    )


VOLUME_SQL = """
with loads as (
    select file_path, rows_read,
           row_number() over (order by started_at, batch_id) as load_number
    from ops.load_ledger
    where source = $source and entity = $entity and status = 'loaded'
), last_two as (
    select * from loads order by load_number desc limit 2
)
select cur.file_path, prev.file_path as previous_file_path,
       cur.rows_read, prev.rows_read as previous_rows_read,
       cur.rows_read::double / prev.rows_read as volume_ratio
from last_two cur
join last_two prev on prev.load_number = cur.load_number - 1
where prev.load_number > $skip_first_loads and prev.rows_read >= $min_previous_rows
"""


def _volume_check(
    con, name: str, suite: SuiteSpec, qualified: str, volume: VolumeSpec, config: QualityConfig
) -> Check:
    source, entity = qualified.split(".")[1].split("__", 1)
    if table_exists(con, "ops", "load_ledger"):
        frame = con.execute(
            VOLUME_SQL,
            {
                "source": source,
                "entity": entity,
                "skip_first_loads": volume.skip_first_loads,
                "min_previous_rows": volume.min_previous_rows,
            },
        ).df()
        missing = None
    else:
        frame, missing = None, "table ops.load_ledger does not exist: run `cdp ingest` first"
    spec = ExpectationSpec(
        type="expect_column_values_to_be_between",
        column="volume_ratio",
        min_value=volume.min_ratio,
        max_value=volume.max_ratio,
        description="rows in the latest load compared with the previous load",
    )
    return Check(
        suite.stage,
        f"{name}.volume",
        [(spec, config.severity_of(volume))],
        ["file_path", "rows_read", "previous_rows_read"],
        frame,
        missing,
        kind="volume",
    )


def _rows_check(con, name: str, suite: SuiteSpec, config: QualityConfig) -> Check:
    specs = [(spec, config.severity_of(spec)) for spec in suite.expectations]
    check = Check(suite.stage, name, specs, list(suite.index_columns), required=suite.required)
    if suite.table is None:  # a `sql:` suite (the config allows exactly one of the two)
        check.frame = con.execute(suite.sql).df()
        return check
    available = columns_of(con, suite.table)
    if not check.index_columns:
        check.index_columns = [c for c in LINEAGE_INDEX if c in available]
    if any(spec.type.startswith("expect_table_columns") for spec in suite.expectations):
        wanted = available
    else:
        needed = {c for spec in suite.expectations for c in spec.columns} | set(check.index_columns)
        # A column the table lacks is left out: GX then fails that expectation by name,
        # and the schema suite says which column went missing.
        wanted = [c for c in available if c in needed] or available[:1]
    columns = ", ".join(_quote(c) for c in wanted)
    check.frame = con.execute(f"select {columns} from {suite.table}").df()
    return check


def read_checks(con: duckdb.DuckDBPyConnection, config: QualityConfig, stage: str) -> list[Check]:
    """Every check of ``stage``, its frame read from the warehouse."""
    import duckdb

    checks: list[Check] = []
    for name, suite in config.suites_for(stage).items():
        try:
            checks.extend(_suite_checks(con, name, suite, config))
        except duckdb.Error as error:
            problem = str(error).splitlines()[0]
            checks.append(
                Check(
                    suite.stage,
                    name,
                    [],
                    missing=f"could not read its frame: {problem} "
                    "(has the stage that writes it run?)",
                    required=suite.required,
                )
            )
    return checks


def _suite_checks(con, name: str, suite: SuiteSpec, config: QualityConfig) -> list[Check]:
    if suite.table is not None and not table_exists(con, *suite.table.split(".")):
        what = "skipped" if not suite.required else "missing"
        reason = f"table {suite.table} does not exist ({what}): run the stage that writes it first"
        return [Check(suite.stage, name, [], missing=reason, required=suite.required)]
    checks: list[Check] = []
    # `schema:` and `volume:` need a `table:` (checked when the config loads).
    if suite.table is not None and suite.schema_:
        checks.append(_schema_check(con, name, suite, suite.table, suite.schema_, config))
    if suite.table is not None and suite.volume:
        checks.append(_volume_check(con, name, suite, suite.table, suite.volume, config))
    if suite.expectations:
        checks.append(_rows_check(con, name, suite, config))
    return checks


def describe_frame(check: Check) -> dict[str, Any]:
    """Rows and columns of a check's frame, for logs."""
    if check.frame is None:
        return {"rows": 0, "columns": 0}
    return {"rows": len(check.frame), "columns": len(check.frame.columns)}
