"""The +1% incremental identity run on a reused warehouse, and its outputs' fingerprint.

`python -m bench.identity_incremental prepare --records 1000000 --dir data/idbench/1m`
builds the synthetic raw tables, runs the full resolution and adds a +1% batch once; then
`python -m bench.identity_incremental run --dir data/idbench/1m` copies that prepared
state, runs the incremental resolution on the copy and prints its CPU seconds and a hash of
each identity output table, so two versions of the code can be compared row for row.
`--full` runs the full resolution on the copy instead (after the batch).
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


def _write_population(data_dir: Path, people: int, seed: int, offset: int, batch: str) -> None:
    from bench.identity_synthetic import generate, write_raw
    from core.settings import Settings
    from core.warehouse import connect

    data = generate(people, seed=seed, offset=offset)
    with connect(Settings(data_dir=data_dir)) as con:
        write_raw(con, data, batch_id=batch)


def _in_child(*args) -> None:
    """Generate and write a population in a child process: the generator's Python objects
    (~6 GB at 1M records) are freed before the resolution's own peak."""
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(target=_write_population, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"writing the synthetic population failed (exit {child.exitcode})")


def prepare(records: int, base: Path) -> None:
    import identity
    from core.settings import Settings

    settings = Settings(data_dir=base / "prepared", run_id="bench-prepare")
    settings.ensure_dirs()
    people = int(records / RECORDS_PER_PERSON)
    _in_child(settings.data_dir, people, 3, 0, "bench-1")
    identity.resolve(settings, full=True)
    _in_child(settings.data_dir, max(1, people // 100), 4, people, "bench-2")


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


def run(base: Path, full: bool) -> dict:
    import identity
    from core.settings import Settings

    work = base / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base / "prepared", work)
    settings = Settings(data_dir=work, run_id="bench-incremental")  # run ids in the hashed rows
    start, cpu = time.perf_counter(), time.process_time()
    summary = identity.resolve(settings, full=full)
    result = {
        "seconds": round(time.perf_counter() - start, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "stages": summary.get("stage_seconds"),
        "records": summary.get("records"),
    }
    result["tables"] = outputs(settings)
    digest = hashlib.sha256(json.dumps(result["tables"], sort_keys=True).encode()).hexdigest()
    result["digest"] = digest[:16]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["prepare", "run"])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.action == "prepare":
        prepare(args.records, args.dir)
    else:
        print(json.dumps(run(args.dir, args.full), indent=1))


if __name__ == "__main__":
    main()
