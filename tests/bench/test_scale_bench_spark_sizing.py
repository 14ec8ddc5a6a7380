"""The scale bench sizes Spark from its command line, not from constants: the driver's and
executor's heaps, the shuffle partitions and where shuffles spill, for the driver
(`spark.local.dir`) and for the local worker's executors (`SPARK_LOCAL_DIRS`). A 10M run
needs a larger executor and tens of GB of spill. (No JVM is started here.)"""

from __future__ import annotations

from bench.scale_bench import parser, spark_conf
from core.settings import Settings
from core.spark import session_conf
from core.spark_cluster import LocalCluster


def test_the_spark_run_is_sized_from_the_command_line(tmp_path):
    args = parser().parse_args(
        [
            "--records",
            "10000000",
            "--engines",
            "spark",
            "--duckdb-run",
            "train",
            "--executor-memory",
            "5g",
            "--shuffle-partitions",
            "64",
            "--spark-local-dir",
            str(tmp_path / "spill"),
        ]
    )
    conf = spark_conf(args)

    built = session_conf(Settings(spark_master="spark://127.0.0.1:7077", spark_conf=conf))
    assert built["spark.executor.memory"] == "5g"
    assert built["spark.driver.memory"] == "2g"
    assert built["spark.sql.shuffle.partitions"] == "64"
    assert built["spark.local.dir"] == str(tmp_path / "spill")
    assert args.duckdb_run == "train"


def test_without_sizing_the_bench_keeps_the_small_defaults():
    conf = spark_conf(parser().parse_args([]))

    assert conf == {"spark.driver.memory": "2g", "spark.executor.memory": "2g"}
    # the shuffle partitions then follow the cores (core.spark.shuffle_partitions)
    built = session_conf(Settings(spark_master="local[2]", spark_conf=conf))
    assert built["spark.sql.shuffle.partitions"] == "4"


def test_the_local_workers_executors_spill_where_they_are_told(tmp_path, monkeypatch):
    monkeypatch.delenv("SPARK_LOCAL_DIRS", raising=False)

    env = LocalCluster(tmp_path / "cluster", local_dir=tmp_path / "spill")._env()

    assert env["SPARK_LOCAL_DIRS"] == str(tmp_path / "spill")
    assert (tmp_path / "spill").is_dir()
    # unset: the worker's default, the system's temporary folder
    assert "SPARK_LOCAL_DIRS" not in LocalCluster(tmp_path / "other")._env()
