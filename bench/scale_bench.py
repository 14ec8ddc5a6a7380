"""Scale curve of identity resolution on both engines: `python -m bench.scale_bench`.

For each size (identity records, about 3.2 per synthetic person of `bench.identity_synthetic`):
1. DuckDB engine: the raw tables are written, the model trained (stage `train`) and every
   record resolved (`identity.resolve(full=True)`);
2. Spark engine: the same raw tables (a copy of the warehouse taken before the DuckDB run)
   resolved with the model the DuckDB run saved, on a standalone cluster started on
   127.0.0.1 from the installed pyspark (`core.spark_cluster`), or on `--spark-master`.

Each run is its own process; its peak memory is the sum of the resident memory of that
process, its children (Spark's driver JVM) and, on the standalone cluster, the worker's
executors, sampled every 0.2 s. Wall seconds per stage come from the run's summary. A run
still going when the command's `--budget` (default 470 s) is spent is stopped and reported
as a timeout.

    python -m bench.scale_bench                       # 20k records, both engines
    python -m bench.scale_bench --records 100000 1000000 --engines duckdb spark
    python -m bench.scale_bench --records 100000 --engines duckdb --workdir data/bench/scale
    python -m bench.scale_bench --records 100000 --engines spark --workdir data/bench/scale
    python -m bench.scale_bench --records 10000000 --generate-only --workdir data/bench/scale
    python -m bench.scale_bench --records 10000000 --engines spark --duckdb-run train \
        --executor-memory 6g --shuffle-partitions 128 --workdir data/bench/scale --budget 8000

`--duckdb-run train` only trains the model on DuckDB (no resolution there): the Spark run
then needs neither DuckDB's 17 minutes at 10M nor a model trained elsewhere. Spark's sizing
(`--driver-memory`, `--executor-memory`, the worker's memory with it, `--shuffle-partitions`,
`--spark-local-dir` for shuffle spill) is given on the command line. Each stage's end, and
every minute the run's CPU seconds and resident memory, go to stderr as they happen: a run
stopped early still says how far it got.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from bench._process_tree import progress, run_sampled
from bench._stage_reports import report_splink_steps, report_stages

RECORDS_PER_PERSON = 3.16  # measured on the synthetic generator (bench.identity_synthetic)
# Postcodes per synthetic city (12 cities: 6,000 codes, about France's count). With the
# generator's default of one per city, blocking on first name and postcode is quadratic in
# the records: 1.3 of the 1.5 million candidate pairs at 100k records, hours at 10M. A
# national retailer's customers spread over the country's postcodes.
POSTCODES = 500
STAGES = (
    "standardise",
    "splink input",
    "train",
    "predict",
    "cluster",
    "stable ids",
    "persist",
    "lake",
)


def spark_conf(args: argparse.Namespace) -> dict[str, str]:
    """The Spark run's properties from the command line (`CDP_SPARK_CONF` of a deployment)."""
    conf = {
        "spark.driver.memory": args.driver_memory,
        "spark.executor.memory": args.executor_memory,
    }
    if args.shuffle_partitions:
        conf["spark.sql.shuffle.partitions"] = str(args.shuffle_partitions)
    if args.spark_local_dir:
        # the driver's; the executors' come from the worker (`LocalCluster.local_dir`)
        conf["spark.local.dir"] = str(args.spark_local_dir)
    return conf


def _settings(root: Path, engine: str, master: str | None, conf: dict[str, str] | None = None):
    from core.settings import Settings

    conf = conf or {"spark.driver.memory": "2g", "spark.executor.memory": "2g"}
    extra: dict[str, Any] = {"spark_master": master} if master else {}
    sources = Path(__file__).resolve().parents[1] / "config" / "sources"
    # DuckDB's memory ceiling comes from CDP_DUCKDB_MEMORY_LIMIT (`--memory-limit`); what
    # exceeds it spills here. Nothing here reads rows in insertion order: let them stream.
    built = Settings(
        data_dir=root / engine,
        sources_dir=sources,
        engine=engine,
        spark_conf=conf,
        duckdb_temp_directory=str(root / engine / "spill"),
        duckdb_preserve_insertion_order=False,
        **extra,
    )
    built.ensure_dirs()
    return built


def _generate(records: int, root: Path) -> float:
    """Write the raw tables of a size's DuckDB warehouse (once: a later call reads the seconds
    it took from the note beside it); seconds spent."""
    from bench.identity_synthetic_sql import write_people
    from core.warehouse import connect

    note = root / "generated.json"
    if note.exists():
        return json.loads(note.read_text())["seconds"]
    settings = _settings(root, "duckdb", None)
    start = time.perf_counter()
    people = int(records / RECORDS_PER_PERSON)
    # in SQL, straight into the raw tables: the Python generator's dicts took 48 s per
    # million records on an idle machine, 75 minutes for 10M under load
    with connect(settings) as con:
        written = write_people(con, people, seed=3, postcodes=POSTCODES, batch_id="bench-1")
    progress(generated_people=people, rows=written)
    seconds = round(time.perf_counter() - start, 1)
    note.write_text(json.dumps({"seconds": seconds}))
    return seconds


def _one(
    engine: str, records: int, root: Path, master: str | None, conf: dict[str, str], run: str
) -> dict:
    """One resolution in this process (the child side); its figures. ``run`` ``train``: the
    DuckDB run only trains the model the Spark run uses."""
    import identity

    settings = _settings(root, engine, master, conf)
    setup = 0.0
    if engine == "duckdb":
        setup = _generate(records, root)
        # the Spark run resolves the same raw tables with the model trained here
        spark_dir = root / "spark" / "warehouse"
        spark_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(settings.duckdb_path, spark_dir / settings.duckdb_path.name)
    else:
        shutil.copytree(root / "duckdb" / "models", settings.model_dir, dirs_exist_ok=True)
        report_splink_steps()
    report_stages()
    start = time.perf_counter()
    if engine == "duckdb" and run == "train":
        trained = identity.train(settings)
        wall = round(time.perf_counter() - start, 1)
        return {
            "wall": wall,
            "setup": round(setup, 1),
            "records": trained["records"],
            "customers": None,
            "stages": {"train": wall},
        }
    summary = identity.resolve(settings, full=True)
    return {
        "wall": round(time.perf_counter() - start, 1),
        "setup": round(setup, 1),
        "records": summary["records"],
        "customers": summary["customers"],
        "stages": summary["stage_seconds"],
    }


def _measure(
    engine: str,
    records: int,
    root: Path,
    master: str | None,
    daemons: list[int],
    timeout: float,
    args: argparse.Namespace,
) -> dict:
    """Run `_one` in a child process; its figures with the peak memory and CPU seconds of its
    tree and of the cluster's ``daemons``."""
    command = [
        sys.executable,
        "-m",
        "bench.scale_bench",
        "--child",
        engine,
        str(records),
        str(root),
        "--duckdb-run",
        args.duckdb_run,
        "--driver-memory",
        args.driver_memory,
        "--executor-memory",
        args.executor_memory,
        "--shuffle-partitions",
        str(args.shuffle_partitions or 0),
    ] + (["--spark-master", master] if master else [])
    if args.spark_local_dir:
        command += ["--spark-local-dir", str(args.spark_local_dir)]
    out = root / f"{engine}-{records}.json"
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", BENCH_OUT=str(out))
    env["CDP_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
    run = run_sampled(
        command, env, daemons, timeout, pulse=partial(progress, engine=engine, records=records)
    )
    figures = (
        json.loads(out.read_text())
        if run.code == 0 and out.exists()
        else {"error": "timeout" if run.code is None else f"exit {run.code}"}
    )
    figures["peak_mb"] = round(run.peak_bytes / 2**20)
    # CPU seconds of the run's processes (driver, executors): steadier than wall time when
    # the machine is shared, as it was for every figure in docs/scale.md
    figures["cpu_s"] = run.cpu_seconds
    figures["load"] = round(os.getloadavg()[0], 1)
    return figures


def _table(rows: list[tuple[int, str, dict]]) -> str:
    head = ["records", "engine", *STAGES, "wall s", "cpu s", "peak MB", "customers", "load"]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for records, engine, f in rows:
        if "error" in f:
            lines.append(
                " | ".join(
                    [f"{records:,}", engine, *["-"] * len(STAGES), f["error"], "-", "-", "-", "-"]
                )
            )
            continue
        stages = [f"{f['stages'].get(s, 0):.1f}" if s in f["stages"] else "-" for s in STAGES]
        customers = f"{f['customers']:,}" if f.get("customers") is not None else "-"
        lines.append(
            " | ".join(
                [
                    f"{f['records']:,}",
                    engine,
                    *stages,
                    f"{f['wall']:.1f}",
                    f"{f.get('cpu_s', 0):.0f}",
                    f"{f['peak_mb']:,}",
                    customers,
                    f"{f.get('load', 0):.0f}",
                ]
            )
        )
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    """The command line (a function: the tests read Spark's settings from it)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[20_000])
    parser.add_argument(
        "--engines",
        nargs="+",
        default=["duckdb", "spark"],
        choices=["duckdb", "spark"],
        help="DuckDB always runs: it writes the data and trains the model",
    )
    parser.add_argument("--spark-master", help="default: a standalone cluster started here")
    parser.add_argument("--cores", type=int, default=2, help="the local worker's cores")
    parser.add_argument(
        "--budget",
        type=float,
        default=470,
        help="seconds for the whole command: a run "
        "still going when they are spent is stopped and reported as a timeout",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep data, models and warehouses there (default: a "
        "temporary folder); a size whose DuckDB run is there already is not run again, so "
        "`--engines spark` can follow `--engines duckdb` in another command",
    )
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="only write the sizes' raw tables into --workdir (a later run there reuses them)",
    )
    parser.add_argument(
        "--memory-limit",
        default="12GB",
        help="DuckDB's memory ceiling in each run (beyond it DuckDB spills to disk): half of "
        "this machine's 24 GiB, which other work shares",
    )
    parser.add_argument(
        "--duckdb-run",
        choices=["resolve", "train"],
        default="resolve",
        help="train: the DuckDB run only trains the model the Spark run uses",
    )
    parser.add_argument("--driver-memory", default="2g", help="Spark driver's heap")
    parser.add_argument(
        "--executor-memory", default="2g", help="Spark executor's heap (and the local worker's)"
    )
    parser.add_argument(
        "--shuffle-partitions",
        type=int,
        default=0,
        help="spark.sql.shuffle.partitions (0: core.spark's default); large runs: keep "
        "the blocking's partitions under the 64 MB hash-join limit",
    )
    parser.add_argument(
        "--spark-local-dir",
        type=Path,
        help="where Spark's driver and the local worker's executors spill shuffles "
        "(default: the system's temporary folder); it needs tens of GB at 10M",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    return parser


def main() -> None:
    cli = parser()
    args = cli.parse_args()
    if args.generate_only:
        if not args.workdir:
            cli.error("--generate-only needs --workdir")
        os.environ["CDP_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
        for records in args.records:
            _generate(records, args.workdir / str(records))
        return
    if args.child:
        engine, records, root = args.child
        figures = _one(
            engine, int(records), Path(root), args.spark_master, spark_conf(args), args.duckdb_run
        )
        Path(os.environ["BENCH_OUT"]).write_text(json.dumps(figures))
        return

    import signal

    from core.spark_cluster import LocalCluster

    # stopped from outside (kill, timeout): exit through `finally`, which stops the cluster
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rows = []
    deadline = time.monotonic() + args.budget
    with tempfile.TemporaryDirectory(prefix="scale_bench_") as scratch:
        tmp = str(args.workdir or scratch)
        cluster = None
        master = args.spark_master
        if "spark" in args.engines and master is None:
            cluster = LocalCluster(
                Path(tmp) / "cluster",
                cores=args.cores,
                memory=args.executor_memory,
                local_dir=args.spark_local_dir,
            ).start()
            master = cluster.master_url
        try:
            for records in args.records:
                root = Path(tmp) / str(records)
                for engine in ("duckdb", "spark"):  # DuckDB first: it writes data and model
                    if engine not in args.engines and (
                        engine == "spark" or (root / "spark" / "warehouse").exists()
                    ):
                        continue
                    pids = cluster.pids if (engine == "spark" and cluster) else []
                    figures = _measure(
                        engine,
                        records,
                        root,
                        master if engine == "spark" else None,
                        pids,
                        max(deadline - time.monotonic(), 1),
                        args,
                    )
                    rows.append((records, engine, figures))
                    print(json.dumps({"records": records, "engine": engine, **figures}), flush=True)
                if not args.workdir:
                    shutil.rmtree(root, ignore_errors=True)
        finally:
            if cluster:
                cluster.stop()
    print(_table(rows))
    print(f"load: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
