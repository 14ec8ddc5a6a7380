"""A model trained on Spark is the same saved model on DuckDB, and an incremental run on Spark
gives the DuckDB engine's customer ids.

One warehouse per engine receives the same two raw batches (``bench.identity_synthetic``):
the model is trained on Spark from the first batch and copied to the DuckDB side; both
resolve the first batch (full), then the second (incremental: 30 new people). After each
run, every record has the same customer id on both engines. (A model trained on DuckDB and
used on Spark: ``test_spark_identity_engine.py``.)

Slow: a Spark training (u sampling, EM sessions) and four resolutions (two on Spark).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from spark_samples import SMALL_SPARK, resolution

import identity
from bench.identity_synthetic import generate, write_raw
from core.settings import PROJECT_DIR, Settings
from core.warehouse import connect

pytestmark = pytest.mark.slow

FIRST, SECOND = generate(300, seed=21), generate(30, seed=22, offset=300)


def _settings(root, **overrides) -> Settings:
    built = Settings(
        data_dir=root / "data", sources_dir=PROJECT_DIR / "config" / "sources", **overrides
    )
    built.ensure_dirs()
    return built


def _load(settings: Settings, batch: dict, batch_id: str) -> None:
    with connect(settings) as con:
        write_raw(con, batch, batch_id=batch_id)


def test_spark_trained_model_and_incremental_spark_run_give_duckdb_ids(tmp_path):
    spark = _settings(
        tmp_path / "spark", engine="spark", spark_master="local[1]", spark_conf=SMALL_SPARK
    )
    duck = _settings(tmp_path / "duckdb")
    for settings in (spark, duck):
        _load(settings, FIRST, "b1")

    trained = identity.train(spark)
    model = json.loads(Path(trained["model_path"]).read_text())
    assert model["sql_dialect"] == "spark"  # trained there: its SQL is Spark's
    for path in spark.model_dir.iterdir():
        shutil.copy(path, duck.model_dir / path.name)

    full = {name: identity.resolve(s) for name, s in (("spark", spark), ("duckdb", duck))}
    assert full["spark"]["mode"] == full["duckdb"]["mode"] == "full"
    assert resolution(spark) == resolution(duck)

    for settings in (spark, duck):
        _load(settings, SECOND, "b2")
    again = {name: identity.resolve(s) for name, s in (("spark", spark), ("duckdb", duck))}

    assert again["spark"]["mode"] == again["duckdb"]["mode"] == "incremental"
    assert again["spark"]["reread_records"] == len(SECOND["truth"])  # only the new batch
    assert again["spark"]["customers"] > full["spark"]["customers"]
    assert resolution(spark) == resolution(duck)
