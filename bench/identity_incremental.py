"""The +1% incremental identity run on a reused warehouse, and its outputs' fingerprint.

`python -m bench.identity_incremental prepare --records 1000000 --dir data/idbench/1m`
builds the synthetic raw tables (``bench.identity_synthetic_sql``), runs the full
resolution and adds a +1% batch once; then
`python -m bench.identity_incremental run --dir data/idbench/1m` copies that prepared
state, runs the incremental resolution on the copy and prints its CPU seconds and a hash of
each identity output table, so two versions of the code can be compared row for row.
`--full` runs the full resolution on the copy instead (after the batch); `--profile 40` adds
the 40 costliest SQL statements in CPU seconds (``bench._sql_profile``).
`python -m bench.identity_incremental compare --dir data/idbench/1m` runs, back to back on
one copy, the full resolution with a fresh model (training included) and bare Splink with the
same settings on the records it standardised (``bench.identity_bench``), and prints both
figures and their ratios: the whole run, and train + predict + cluster alone (wall seconds,
and CPU seconds per stage), and the full run's digest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import time
from pathlib import Path

RECORDS_PER_PERSON = 3.16  # as bench.identity_bench
# Postcodes per synthetic city, as the scale bench (6,000 in all, about France's count). With
# one per city (twelve in all), blocking on first name and postcode is quadratic in the
# records: at 1M the full run scored for 25 minutes and a +1% batch met 406k of the existing
# records (2.6M candidate pairs), what a retailer of a dozen postcodes meets before it drops
# that rule (docs/scale.md).
POSTCODES = 500


def prepare(records: int, base: Path, postcodes: int) -> None:
    """Raw tables of ``records`` synthetic records (written by DuckDB SQL: no row passes
    through Python), a full resolution, then a +1% batch of new people."""
    import identity
    from bench.identity_synthetic_sql import write_people
    from core.settings import Settings
    from core.warehouse import connect

    settings = Settings(data_dir=base / "prepared", run_id="bench-prepare")
    settings.ensure_dirs()
    people = int(records / RECORDS_PER_PERSON)
    with connect(settings) as con:
        write_people(con, people, seed=3, postcodes=postcodes, batch_id="bench-1")
    identity.resolve(settings, full=True)
    with connect(settings) as con:
        batch = max(1, people // 100)
        write_people(con, batch, seed=4, offset=people, postcodes=postcodes, batch_id="bench-2")


def outputs(settings) -> dict[str, str]:
    """A hash of each identity table's rows, order-free (floats rounded to 1e-6)."""
    from core.warehouse import connect, one_row

    hashes = {}
    with connect(settings) as con:
        tables = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'identity' and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        for (table,) in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'identity' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            skip = {
                "run_id",
                "resolved_at",
                "created_at",
                "updated_at",
                "started_at",
                "finished_at",
                "seconds",
                "stage_seconds",
                "recorded_at",
                "changed_at",
                "model_path",  # the copy's folder
            }
            kept = [
                f"round({c}, 6)" if t in ("DOUBLE", "FLOAT") else f'"{c}"'
                for c, t in columns
                if c not in skip and "TIMESTAMP" not in t
            ]
            if not kept:
                continue
            row = one_row(
                con,
                f"select count(*), coalesce(sum(hash({', '.join(kept)})), 0) from identity.{table}",
            )
            hashes[table] = f"{row[0]}:{row[1]}"
    return hashes


def _copy(base: Path):
    from core.settings import Settings

    work = base / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base / "prepared", work)
    return Settings(data_dir=work, run_id="bench-incremental")  # run ids in the hashed rows


def run(base: Path, full: bool, profile: int = 0) -> dict:
    """The resolution on a copy of the prepared state: its CPU and wall seconds, the
    outputs' hashes; with ``profile``, that many costliest SQL statements (``_sql_profile``)."""
    from contextlib import nullcontext

    import identity
    from bench import _sql_profile

    settings = _copy(base)
    with _sql_profile.statements() if profile else nullcontext() as statements:
        start, cpu = time.perf_counter(), time.process_time()
        summary = identity.resolve(settings, full=full)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    result = {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "stages": summary.get("stage_seconds"),
        "stages_cpu": summary.get("stage_cpu_seconds"),
        "records": summary.get("records"),
    }
    if statements is not None:
        result["sql_cpu_seconds"] = round(statements.total_cpu, 2)
        result["statements"] = statements.top(profile)
    result["tables"] = outputs(settings)
    result["digest"] = digest(result["tables"])
    return result


def digest(tables: dict[str, str]) -> str:
    """One hash of every table's hash (``outputs``): equal when every table is."""
    return hashlib.sha256(json.dumps(tables, sort_keys=True).encode()).hexdigest()[:16]


def compare(base: Path) -> dict:
    """The full run (its model deleted first: trained again) and bare Splink, back to back."""
    import os

    import identity
    from bench.identity_bench import _bare_splink, _PeakRss

    settings = _copy(base)
    for model in settings.model_dir.glob("*.json"):
        model.unlink()
    results: dict = {}
    with _PeakRss() as rss:
        with rss.phase(results, "full"):
            summary = identity.resolve(settings, full=True)
        results["full"]["stages"] = summary["stage_seconds"]
        results["full"]["stages_cpu"] = summary["stage_cpu_seconds"]
        results["full"]["records"] = summary["records"]
        results["load_after_full"] = os.getloadavg()[0]
        # the full run's outputs, outside its timing: two versions compare row for row
        results["full"]["digest"] = digest(outputs(settings))
        _bare_splink(settings, results, rss)
    results["load_after_bare"] = os.getloadavg()[0]
    full, bare = results["full"], results["bare_splink"]
    comparable = sum(full["stages"].get(k, 0.0) for k in ("train", "predict", "cluster"))
    results["full_over_bare"] = round(full["seconds"] / bare["seconds"], 2)
    results["full_cpu_over_bare_cpu"] = round(full["cpu_seconds"] / bare["cpu_seconds"], 2)
    results["train_predict_cluster_over_bare"] = round(comparable / bare["seconds"], 2)
    # the same in CPU seconds (the bare side's timed stages are its whole run)
    comparable_cpu = sum(full["stages_cpu"].get(k, 0.0) for k in ("train", "predict", "cluster"))
    bare_cpu = sum(bare["stages_cpu"].values())
    results["train_predict_cluster_cpu_over_bare_cpu"] = round(comparable_cpu / bare_cpu, 2)
    # bare Splink's input (derived columns made, people counts zero) is built before its
    # timer; ours is timed as "splink input": the same ratio with it counted in
    shaping = full["stages_cpu"].get("splink input", 0.0)
    results["train_predict_cluster_and_input_cpu_over_bare_cpu"] = round(
        (comparable_cpu + shaping) / bare_cpu, 2
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["prepare", "run", "compare"])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--full", action="store_true")
    parser.add_argument(
        "--profile", type=int, default=0, help="run: list this many costliest SQL statements"
    )
    parser.add_argument("--postcodes", type=int, default=POSTCODES, help="per city (prepare)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.action == "prepare":
        prepare(args.records, args.dir, args.postcodes)
    elif args.action == "compare":
        print(json.dumps(compare(args.dir), indent=1))
    else:
        print(json.dumps(run(args.dir, args.full, args.profile), indent=1))


if __name__ == "__main__":
    main()
