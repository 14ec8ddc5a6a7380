"""dbt build benchmark: the profile marts on raw + identity tables of ``--people`` people.

    .venv/bin/python -m bench.dbt_bench [--people 100000] [--keep]

The raw and identity tables are synthesised directly in DuckDB with SQL (the generator and
Splink would take minutes at this size and are benchmarked on their own): per person on
average ~20 receipt lines, ~100 GA4 events, ~30 e-mail actions, plus accounts, subscribers,
tickets and 20% extra anonymous cookies, re-exported duplicates included. Then one
``profiles.build_profiles`` (every model, data test and unit test) is timed. Target: < 120 s.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from activation.golden_record import GOLDEN_ATTRIBUTES

SYNTH_SQL = (Path(__file__).with_name("dbt_bench_synth.sql")).read_text(encoding="utf-8")
ATTRIBUTES = GOLDEN_ATTRIBUTES  # the golden record's columns, in its order


def synthesise(settings, people: int) -> dict[str, int]:
    """Write raw + identity tables for ``people`` people; returns row counts per table."""
    from core.warehouse import connect

    displayed = ("first_name", "last_name", "email", "address_line", "city")
    email = "'p' || substr(customer_id, 2) || '@example.org'"
    attributes = ", ".join(
        (email if a == "email" else "null::date" if a == "birth_date" else "null::varchar")
        + f" as {a}"
        + (
            f", {email if a == 'email' else 'null::varchar'} as {a}_display"
            if a in displayed
            else ""
        )
        for a in ATTRIBUTES
    )
    with connect(settings) as con:
        con.execute("select setseed(0.42)")
        con.execute(SYNTH_SQL.format(people=people, attributes=attributes))
        return _counts(con, ("raw", "identity"))


def _counts(con, schemas) -> dict[str, int]:
    tables = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        f"where table_schema in {tuple(schemas)!r} and table_type = 'BASE TABLE' order by 1"
    ).fetchall()
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench warehouse")
    args = parser.parse_args()

    from core.settings import Settings
    from core.warehouse import connect
    from profiles import build_profiles

    base = Settings()
    settings = Settings(data_dir=base.data_dir / "bench" / "dbt")
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    settings.ensure_dirs()
    started = time.perf_counter()
    inputs = synthesise(settings, args.people)
    synth_seconds = time.perf_counter() - started
    print(f"synthesised {sum(inputs.values()):,} input rows in {synth_seconds:.1f} s")
    for table, rows in inputs.items():
        print(f"  {table:32s} {rows:>12,}")
    result = build_profiles(settings)
    with connect(settings) as con:
        outputs = _counts(con, ("intermediate", "marts"))
    print(f"dbt build: {result.elapsed_seconds:.1f} s (target < 120 s), nodes {result.statuses}")
    from bench._figures import record

    record(f"dbt build of the marts, {args.people:,} people", result.elapsed_seconds)
    for table, rows in outputs.items():
        if table.startswith("marts."):
            print(f"  {table:32s} {rows:>12,}")
    if not args.keep:
        shutil.rmtree(settings.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
