"""Where a Spark identity run spends its time: `python -m bench.spark_profile SIZE_DIR`.

Resolves a scale-bench size again on Spark (`bench.scale_bench --workdir DIR` wrote
`DIR/<records>/`: the raw warehouse copied before the DuckDB run, and the model that run
trained), on a fresh copy of that warehouse, and times every SQL step Splink sends to Spark
(its templated table name: `__splink__df_predict`, `__splink__representatives`, ...) in
wall seconds and in CPU seconds of the JVMs (driver, and the executors of a standalone
cluster started here), which a shared machine's load does not inflate. With `--plans DIR`,
each step's SQL and Spark's formatted physical plan are written there.

    python -m bench.spark_profile data/bench/scale/100000
    python -m bench.spark_profile data/bench/scale/100000 --conf '{"spark.cores.max": "2"}'
    python -m bench.spark_profile data/bench/scale/20000 --master 'local[2]' --plans logs/plans
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def _jvm_cpu(pids: list[int], role: str = "") -> float:
    """CPU seconds (user + system) of the Java processes among ``pids`` and descendants;
    with ``role``, only the driver's (`SparkSubmit`) or the executors' JVMs."""
    import psutil

    from bench._process_tree import processes

    total = 0.0
    for process in processes(pids):
        try:
            if not process.name().startswith("java"):
                continue
            command = " ".join(process.cmdline())
            if role == "driver" and "SparkSubmit" not in command:
                continue
            if role == "executor" and "CoarseGrainedExecutorBackend" not in command:
                continue
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


def _step_name(templated: str) -> str:
    """A step's name without the per-iteration or per-rule suffix Splink adds."""
    return re.sub(r"_\d+$", "", templated)


def profile(size_dir: Path, master: str | None, conf: dict, plans: Path | None) -> dict:
    """Resolve ``size_dir``'s records on Spark with every Splink step timed; the figures."""
    from splink.internals.spark.database_api import SparkAPI

    import identity
    from bench._stage_reports import report_stages
    from bench.scale_bench import _settings
    from core.spark_cluster import LocalCluster, free_port

    root = Path(tempfile.mkdtemp(prefix="spark_profile_", dir=size_dir))
    cluster = None
    original = SparkAPI._sql_to_splink_dataframe
    try:
        if master is None:
            cluster = LocalCluster(root / "cluster", cores=2, memory="2g").start()
            master = cluster.master_url
        settings = _settings(root, "spark", master)
        settings.spark_conf.update(conf)
        if plans is not None:  # the UI's REST API serves the executions' plans (loopback)
            settings.spark_conf.update(
                {"spark.ui.enabled": "true", "spark.ui.port": str(free_port())}
            )
        shutil.copytree(
            size_dir / "spark" / "warehouse", settings.duckdb_path.parent, dirs_exist_ok=True
        )
        shutil.copytree(size_dir / "duckdb" / "models", settings.model_dir, dirs_exist_ok=True)
        pids = [os.getpid(), *(cluster.pids if cluster else [])]
        steps: list[dict] = []

        def timed(self, sql, templated_name, physical_name):
            wall, cpu = time.perf_counter(), _jvm_cpu(pids)
            result = original(self, sql, templated_name, physical_name)
            steps.append(
                {
                    "step": templated_name,
                    "wall": round(time.perf_counter() - wall, 2),
                    "cpu": round(_jvm_cpu(pids) - cpu, 2),
                }
            )
            print(json.dumps(steps[-1]), file=sys.stderr, flush=True)
            if plans is not None:
                (plans / f"{len(steps):03d}_{templated_name}.sql").write_text(sql)
            return result

        if plans is not None:
            plans.mkdir(parents=True, exist_ok=True)
        # Splink marks it final for subclasses; here it is wrapped for one run, then restored
        setattr(SparkAPI, "_sql_to_splink_dataframe", timed)  # noqa: B010
        report_stages()
        start, cpu0 = time.perf_counter(), _jvm_cpu(pids) + time.process_time()
        summary = identity.resolve(settings, full=True)
        wall = time.perf_counter() - start
        cpu = _jvm_cpu(pids) + time.process_time() - cpu0
        driver, executor = _jvm_cpu(pids, "driver"), _jvm_cpu(pids, "executor")
        if plans is not None:
            from pyspark.sql import SparkSession

            _sql_executions(SparkSession.getActiveSession(), plans / "sql_executions.json")
        return {
            "records": summary["records"],
            "customers": summary["customers"],
            "wall": round(wall, 1),
            "cpu": round(cpu, 1),
            "driver_cpu": round(driver, 1),
            "executor_cpu": round(executor, 1),
            "stages": summary["stage_seconds"],
            "steps": steps,
        }
    finally:
        from core.spark import stop_spark_session

        setattr(SparkAPI, "_sql_to_splink_dataframe", original)  # noqa: B010
        stop_spark_session()
        if cluster:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def _sql_executions(spark, out: Path) -> None:
    """Spark's own record of every SQL execution of the session (duration, final adaptive
    plan, rows per operator), from the UI's REST API, into ``out`` as JSON."""
    from urllib.request import urlopen

    ui = spark.sparkContext.uiWebUrl
    app = spark.sparkContext.applicationId
    api = f"{ui}/api/v1/applications/{app}"
    with urlopen(f"{api}/sql?details=true&planDescription=true&length=100000") as r:
        out.write_bytes(r.read())
    with urlopen(f"{api}/stages") as r:  # executor run and CPU time, GC, per stage
        out.with_name("stages.json").write_bytes(r.read())


def _table(steps: list[dict]) -> str:
    grouped: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for s in steps:
        g = grouped[_step_name(s["step"])]
        g[0] += 1
        g[1] += s["wall"]
        g[2] += s["cpu"]
    lines = ["step | queries | wall s | JVM CPU s", "--- | ---: | ---: | ---:"]
    for name, (n, wall, cpu) in sorted(grouped.items(), key=lambda kv: -kv[1][2]):
        lines.append(f"{name} | {n} | {wall:.1f} | {cpu:.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size_dir", type=Path, help="a scale-bench size folder (DuckDB run done)")
    parser.add_argument("--master", help="default: a standalone cluster (2 cores) started here")
    parser.add_argument("--conf", default="{}", help="Spark/Splink properties, JSON")
    parser.add_argument("--plans", type=Path, help="write each step's SQL and plan here")
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    figures = profile(args.size_dir, args.master, json.loads(args.conf), args.plans)
    print(json.dumps({k: v for k, v in figures.items() if k != "steps"}))
    print(_table(figures["steps"]))
    print(f"load: {os.getloadavg()[0]:.1f} (1 min)", file=sys.stderr)


if __name__ == "__main__":
    main()
