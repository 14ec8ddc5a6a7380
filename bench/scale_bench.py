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
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RECORDS_PER_PERSON = 3.16  # measured on the synthetic generator (bench.identity_synthetic)
STAGES = ("standardise", "train", "predict", "cluster", "persist", "lake")


def _settings(root: Path, engine: str, master: str | None):
    from core.settings import Settings

    conf = {"spark.driver.memory": "2g", "spark.executor.memory": "2g"}
    extra = {"spark_master": master} if master else {}
    sources = Path(__file__).resolve().parents[1] / "config" / "sources"
    built = Settings(
        data_dir=root / engine, sources_dir=sources, engine=engine, spark_conf=conf, **extra
    )
    built.ensure_dirs()
    return built


def _one(engine: str, records: int, root: Path, master: str | None) -> dict:
    """One resolution in this process (the child side); its figures."""
    import identity
    from core.warehouse import connect

    settings = _settings(root, engine, master)
    setup = 0.0
    if engine == "duckdb":
        from bench.identity_synthetic import generate, write_raw

        start = time.perf_counter()
        data = generate(int(records / RECORDS_PER_PERSON), seed=3)
        with connect(settings) as con:
            write_raw(con, data, batch_id="bench-1")
        del data
        setup = time.perf_counter() - start
        # the Spark run resolves the same raw tables with the model trained here
        spark_dir = root / "spark" / "warehouse"
        spark_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(settings.duckdb_path, spark_dir / settings.duckdb_path.name)
    else:
        shutil.copytree(root / "duckdb" / "models", settings.model_dir, dirs_exist_ok=True)
    start = time.perf_counter()
    summary = identity.resolve(settings, full=True)
    return {
        "wall": round(time.perf_counter() - start, 1),
        "setup": round(setup, 1),
        "records": summary["records"],
        "customers": summary["customers"],
        "stages": summary["stage_seconds"],
    }


def _tree_rss(pids: list[int]) -> int:
    import psutil

    total = 0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                total += process.memory_info().rss
        except psutil.Error:
            continue
    return total


def _measure(engine: str, records: int, root: Path, master: str | None, extra_pids, timeout):
    """Run `_one` in a child process; its figures with the peak memory of its tree."""
    command = [
        sys.executable,
        "-m",
        "bench.scale_bench",
        "--child",
        engine,
        str(records),
        str(root),
    ] + (["--spark-master", master] if master else [])
    out = root / f"{engine}-{records}.json"
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", BENCH_OUT=str(out))
    process = subprocess.Popen(command, env=env)
    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.2):
            peak = max(peak, _tree_rss([process.pid, *extra_pids]))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        code = None
    done.set()
    sampler.join()
    if code != 0 or not out.exists():
        return {"error": "timeout" if code is None else f"exit {code}"}
    figures = json.loads(out.read_text())
    figures["peak_mb"] = round(peak / 2**20)
    return figures


def _table(rows: list[tuple[int, str, dict]]) -> str:
    head = ["records", "engine", *STAGES, "wall s", "peak MB", "customers"]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for records, engine, f in rows:
        if "error" in f:
            lines.append(
                " | ".join([f"{records:,}", engine, *["-"] * len(STAGES), f["error"], "-", "-"])
            )
            continue
        stages = [f"{f['stages'].get(s, 0):.1f}" if s in f["stages"] else "-" for s in STAGES]
        lines.append(
            " | ".join(
                [
                    f"{f['records']:,}",
                    engine,
                    *stages,
                    f"{f['wall']:.1f}",
                    f"{f['peak_mb']:,}",
                    f"{f['customers']:,}",
                ]
            )
        )
    return "\n".join(lines)


def main() -> None:
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
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, records, root = args.child
        figures = _one(engine, int(records), Path(root), args.spark_master)
        Path(os.environ["BENCH_OUT"]).write_text(json.dumps(figures))
        return

    from core.spark_cluster import LocalCluster

    rows = []
    deadline = time.monotonic() + args.budget
    with tempfile.TemporaryDirectory(prefix="scale_bench_") as scratch:
        tmp = str(args.workdir or scratch)
        cluster = None
        master = args.spark_master
        if "spark" in args.engines and master is None:
            cluster = LocalCluster(Path(tmp) / "cluster", cores=args.cores, memory="2g").start()
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
