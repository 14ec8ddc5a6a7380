"""Where results go besides GX's store: a DuckDB table for trends, an offline HTML page."""

from __future__ import annotations

import html
from dataclasses import astuple, fields
from pathlib import Path
from typing import TYPE_CHECKING

from core.warehouse import transaction
from expectations._gx import Outcome

if TYPE_CHECKING:
    import duckdb

RESULTS_DDL = """
create schema if not exists quality;
create table if not exists quality.validation_results (
    run_id varchar not null,
    stage varchar not null,
    suite varchar not null,
    expectation varchar not null,
    severity varchar not null,          -- blocking | warning
    success boolean not null,
    unexpected_count bigint,
    unexpected_percent double,
    example_values json,
    observed_value json,
    validated_at timestamp not null,
    message varchar
);
"""
COLUMNS = [f.name for f in fields(Outcome)]


def store_outcomes(con: duckdb.DuckDBPyConnection, outcomes: list[Outcome]) -> None:
    """Append one row per expectation result (a re-run with the same run id replaces it)."""
    con.execute(RESULTS_DDL)
    if not outcomes:
        return
    keys = sorted({(o.run_id, o.stage) for o in outcomes})
    with transaction(con):
        for run_id, stage in keys:
            con.execute(
                "delete from quality.validation_results where run_id = ? and stage = ?",
                [run_id, stage],
            )
        placeholders = ", ".join("?" for _ in COLUMNS)
        con.executemany(
            f"insert into quality.validation_results ({', '.join(COLUMNS)}) "
            f"values ({placeholders})",
            [list(astuple(o)) for o in outcomes],
        )


LATEST_SQL = """
with latest as (
    select stage, arg_max(run_id, validated_at) as run_id
    from quality.validation_results group by stage
)
select r.stage, r.run_id, r.suite, r.expectation, r.severity, r.success,
       r.unexpected_count, r.unexpected_percent, r.example_values, r.observed_value,
       r.validated_at, r.message
from quality.validation_results r join latest using (stage, run_id)
order by case r.stage when 'raw' then 1 when 'identity' then 2 else 3 end,
         r.success, r.suite, r.expectation
"""

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}.fail-blocking{background:#fdd}.fail-warning{background:#ffe9b3}
.pass{color:#2a7a2a}code{font-size:12px;word-break:break-all}
"""


def write_summary(con: duckdb.DuckDBPyConnection, path: Path, docs_index: Path | None) -> Path:
    """A self-contained HTML page of each stage's latest run (no CDN: it opens offline)."""
    con.execute(RESULTS_DDL)
    rows = con.execute(LATEST_SQL).fetchall()
    body = []
    for row in rows:
        stage, run_id, suite, expectation, severity, success, count, pct, examples, observed = row[
            :10
        ]
        at = row[10]
        css = "pass" if success else f"fail-{severity}"
        status = "pass" if success else f"FAIL ({severity})"
        body.append(
            f'<tr class="{css}"><td>{html.escape(stage)}</td><td>{html.escape(run_id)}</td>'
            f"<td>{html.escape(suite)}</td><td><code>{html.escape(expectation)}</code></td>"
            f"<td>{status}</td><td>{'' if count is None else f'{count:,}'}</td>"
            f"<td>{'' if pct is None else f'{pct:.2f}%'}</td>"
            f"<td><code>{html.escape(examples or '')}</code></td>"
            f"<td><code>{html.escape(observed or '')}</code></td>"
            f"<td>{at:%Y-%m-%d %H:%M:%S}</td></tr>"
        )
    failing = sum(1 for row in rows if not row[5])
    link = (
        f'<p>Full GX Data Docs (unstyled offline): <a href="{docs_index.as_uri()}">'
        f"{html.escape(str(docs_index))}</a></p>"
        if docs_index
        else ""
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>CDP data quality</title>"
        f"<style>{STYLE}</style></head><body><h1>CDP data quality: latest run per stage</h1>"
        f"<p>{len(rows)} expectations, {failing} failing.</p>{link}<table><tr>"
        + "".join(
            f"<th>{h}</th>"
            for h in (
                "stage",
                "run",
                "suite",
                "expectation",
                "result",
                "unexpected",
                "unexpected %",
                "examples",
                "observed",
                "validated at",
            )
        )
        + "</tr>"
        + "".join(body)
        + "</table></body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
