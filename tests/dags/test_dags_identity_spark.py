"""With ``CDP_ENGINE=spark`` the identity DAG sends Splink's work to the configured Spark
master (here ``local[1]``, the same setting a cluster's ``spark://host:7077`` takes): same
customers and ids as the DuckDB engine, the engine and master in the announced summary, the
identity tables in the lake.

Slow: a Spark session and a resolution on it (several minutes on a loaded 2-core machine).
"""

from __future__ import annotations

import os
import shutil

import pytest
from dag_test_helpers import asset_events, load_dags, task_states, use_settings

import identity
from bench.identity_synthetic import generate, write_raw
from cdp.orchestration import IDENTITY_ASSET_URI
from core.settings import Settings
from core.warehouse import connect

pytestmark = pytest.mark.slow

# one shuffle partition and a JIT that stays quick: the sample is tiny (tests/spark)
SMALL_SPARK = {"spark.sql.shuffle.partitions": "1", "spark.default.parallelism": "1"}


def _resolution(settings: Settings) -> list[tuple]:
    with connect(settings) as con:
        return con.execute(
            "select record_id, customer_id from identity.customer_records order by 1"
        ).fetchall()


@pytest.fixture
def _spark_stopped():
    yield
    from core.spark import stop_spark_session

    stop_spark_session()  # the driver JVM holds ~0.5 GB: not for the rest of the suite


def test_identity_dag_submits_to_the_configured_spark_master(
    dag_settings, tmp_path, monkeypatch, _spark_stopped
):
    duck = dag_settings
    with connect(duck) as con:
        write_raw(con, generate(200, seed=31), batch_id="b1")
    identity.train(duck)  # the saved model both engines use
    for name in [n for n in os.environ if n.startswith("CDP_")]:
        monkeypatch.delenv(name)  # the DuckDB side's paths: not for the Spark side
    spark = Settings(
        data_dir=tmp_path / "spark",
        airflow_home=duck.airflow_home,
        erasure_salt=duck.erasure_salt,
        engine="spark",
        spark_master="local[1]",
        spark_conf=SMALL_SPARK,
    )
    spark.ensure_dirs()
    shutil.copy(duck.duckdb_path, spark.duckdb_path)
    shutil.copytree(duck.model_dir, spark.model_dir, dirs_exist_ok=True)
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    use_settings(monkeypatch, spark)
    before = len(asset_events(IDENTITY_ASSET_URI))

    run = load_dags().dags["cdp_identity"].test(run_conf={"full": True})

    assert set(task_states(run).values()) == {"success"}
    announced = asset_events(IDENTITY_ASSET_URI)[before:]
    assert [(e["extra"]["engine"], e["extra"]["spark_master"]) for e in announced] == [
        ("spark", "local[1]")
    ]
    assert "lake" in announced[0]["extra"]["stage_seconds"]  # identity tables written there
    identity.resolve(duck, full=True)
    assert _resolution(spark) == _resolution(duck)
