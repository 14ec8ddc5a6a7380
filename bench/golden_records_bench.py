"""The golden_records model alone at scale: this checkout's against a reference revision's.

    .venv/bin/python -m bench.identity_incremental prepare --records 1000000 --dir data/idbench/1m
    .venv/bin/python -m bench.golden_records_bench --prepared data/idbench/1m/prepared
    python -m bench.golden_records_bench --prepared data/idbench/100k/prepared --replicate 10

Copies the prepared warehouse (real identity tables from a full resolution), builds the
identity staging views, then builds golden_records with dbt from a copy of the project holding
the reference revision's model (``git show``) and from this checkout, back to back: dbt's own
seconds for the model, then each compiled query run alone in DuckDB (wall and CPU seconds,
CPU being the steadier figure on a shared machine). The two tables must be the same rows
(EXCEPT ALL both ways) with the same column names and types; the exit status says so.

``--replicate N`` copies the identity tables golden_records reads N times over, ids suffixed:
N copies of a real resolution's customers, for a 1M-record input without a 1M Splink run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = "dbt_project/models/marts/golden_records.sql"


# The identity tables golden_records reads, and their id columns.
REPLICATED = {
    "customers": ["customer_id"],
    "customer_records": ["record_id", "customer_id"],
    "identity_records": ["record_id"],
}


def _replicate(con, copies: int) -> None:
    for table, ids in REPLICATED.items():
        suffixed = ", ".join(f"{column} || '~' || copy as {column}" for column in ids)
        con.execute(
            f"create or replace table identity.{table} as select * exclude (copy) replace "
            f"({suffixed}) from identity.{table}, range({copies}) as copies(copy)"
        )


def _build(settings, select: str) -> dict[str, float]:
    """dbt build of ``select``, models only; seconds per model that ran."""
    from profiles import build_profiles

    os.environ["DBT_INDIRECT_SELECTION"] = "empty"  # no data or unit tests: the model alone
    result = build_profiles(settings, select=select, publish=False)
    results = json.loads((Path(result.target_path) / "run_results.json").read_text())
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]}


def _compiled(settings) -> str:
    return (
        settings.data_dir / "dbt/target/compiled/cdp_profiles/models/marts/golden_records.sql"
    ).read_text(encoding="utf-8")


def _timed(con, table: str, sql: str) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    con.execute(f"create or replace table golden_bench.{table} as {sql}")
    return time.perf_counter() - wall, time.process_time() - cpu


def _differences(con) -> dict[str, object]:
    from core.warehouse import one_row

    def count(sql: str) -> int:
        return one_row(con, f"select count(*) from ({sql})")[0]

    ref, cur = "golden_bench.reference", "golden_bench.current"
    columns = con.execute(
        "select table_name, list(column_name || ' ' || data_type order by ordinal_position) "
        "from information_schema.columns where table_schema = 'golden_bench' group by 1"
    ).fetchall()
    listed = dict(columns)
    return {
        "rows": (count(f"select * from {ref}"), count(f"select * from {cur}")),
        "reference_not_current": count(f"select * from {ref} except all select * from {cur}"),
        "current_not_reference": count(f"select * from {cur} except all select * from {ref}"),
        "same_columns": listed.get("reference") == listed.get("current"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepared", type=Path, required=True, help="a prepared data folder")
    parser.add_argument("--reference", default="main", help="git revision of the model")
    parser.add_argument("--replicate", type=int, default=1, help="identity tables N times")
    parser.add_argument("--repeat", type=int, default=1, help="direct runs of each query")
    args = parser.parse_args()

    import duckdb

    from core.settings import Settings
    from core.warehouse import one_row

    repo = Path(__file__).resolve().parent.parent
    settings = Settings(data_dir=Settings().data_dir / "bench" / "golden")
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    shutil.copytree(args.prepared, settings.data_dir)
    if args.replicate > 1:
        with duckdb.connect(str(settings.duckdb_path)) as con:
            _replicate(con, args.replicate)
    _build(settings, "path:models/staging/identity")

    reference_model = subprocess.run(
        ["git", "show", f"{args.reference}:{MODEL}"], cwd=repo, check=True, capture_output=True
    ).stdout
    seconds, sql = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "dbt_project"
        shutil.copytree(
            settings.dbt_project_dir, project, ignore=shutil.ignore_patterns("target", "logs")
        )
        (project / "models/marts/golden_records.sql").write_bytes(reference_model)
        reference = settings.model_copy(update={"dbt_project_dir": project})
        seconds["reference"] = _build(reference, "golden_records")["golden_records"]
        sql["reference"] = _compiled(reference)
    seconds["current"] = _build(settings, "golden_records")["golden_records"]
    sql["current"] = _compiled(settings)

    con = duckdb.connect(str(settings.duckdb_path))
    con.execute("create schema if not exists golden_bench")
    records = one_row(con, "select count(*) from identity.customer_records")[0]
    print(f"{records:,} customer records; load {os.getloadavg()[0]:.1f}")
    for name in ("reference", "current"):
        print(f"dbt build, {name:9s}: {seconds[name]:6.2f} s")
    for run in range(args.repeat):
        for name in ("reference", "current"):
            wall, cpu = _timed(con, name, sql[name])
            print(f"query alone, {name:9s} (run {run + 1}): wall {wall:6.2f} s, cpu {cpu:6.2f} s")
    differences = _differences(con)
    con.close()
    print(json.dumps(differences))
    same = differences["same_columns"] and not (
        differences["reference_not_current"] or differences["current_not_reference"]
    )
    print("identical" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
