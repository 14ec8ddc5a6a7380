"""Values nulled at load (``on_invalid: null``): counted per batch, field and reason.

The row is kept; its raw ``_nulled_fields`` column names the fields that lost their value,
and ``ops.field_issues`` counts them per batch, field and reason (never the values
themselves: reasons are the contract's words, ``birth_date: must be >= 1800-01-01``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from ingestion.ledger import FileResult

FIELD_ISSUES_DDL = """
create table if not exists ops.field_issues (
    batch_id varchar not null,
    source varchar not null,
    entity varchar not null,
    file_path varchar not null,
    field varchar not null,
    reason varchar not null,
    rows_nulled bigint not null,
    recorded_at timestamp not null
)
"""
NULLED_COLUMN = "_nulled_fields"


def ensure_tables(con: duckdb.DuckDBPyConnection, table: str | None = None) -> None:
    """Create ``ops.field_issues``; give ``table`` (a raw table) its lineage column."""
    con.execute(FIELD_ISSUES_DDL)
    if table:
        con.execute(f"alter table {table} add column if not exists {NULLED_COLUMN} varchar")


def nulled_fields_sql(alias: str = "q") -> str:
    """The raw lineage value: the nulled fields' names, comma-separated (NULL when none)."""
    return (
        f"case when {alias}._nulled is not null then array_to_string(list_distinct("
        f"list_transform({alias}._nulled, lambda x: split_part(x, ':', 1))), ',') end"
    )


def summarise(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """``(field, reason, rows)`` nulled in the staged file's accepted rows."""
    return con.execute("""
        select split_part(label, ':', 1) as field,
               trim(substr(label, strpos(label, ':') + 1)) as reason, count(*) as n
        from (select unnest(_nulled) as label from _staged
              where _reason is null and not _suppressed and _nulled is not null)
        group by all order by field, reason
    """).fetchall()


def record(
    con: duckdb.DuckDBPyConnection, result: FileResult, issues: list[tuple[str, str, int]]
) -> None:
    """Append the batch's counts to ``ops.field_issues`` and keep them on ``result``."""
    from ingestion.ledger import naive_utc

    result.field_issues = {f"{field}: {reason}": n for field, reason, n in issues}
    for field, reason, n in issues:
        con.execute(
            "insert into ops.field_issues values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                result.batch_id,
                result.source,
                result.entity,
                result.file_path,
                field,
                reason,
                n,
                naive_utc(result.started_at),
            ],
        )
