"""Airflow for the DAG tests: a throwaway AIRFLOW_HOME with a migrated SQLite metadata DB.

Airflow reads its configuration once, at first import, so the environment is set here, when
pytest imports this conftest, before any test module imports airflow. Only ``AIRFLOW_*``
variables go global; the project's ``CDP_*`` settings are set per test (monkeypatch), since
other test areas build Settings from the environment too.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from cdp.airflow_env import environment, settings_env
from core.settings import Settings

# the privacy tests' byte scan, for the forget at the end of the real DAG flow
sys.path.insert(0, str(Path(__file__).parents[1] / "privacy"))

_HOME = Path(tempfile.mkdtemp(prefix="cdp-dag-tests-"))
# one per test process (each xdist worker imports this conftest): gone when the process ends
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
_BASE = Settings(data_dir=_HOME / "data", airflow_home=_HOME / "airflow")
os.environ.update({k: v for k, v in environment(_BASE).items() if not k.startswith("CDP_")})


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """The migrated metadata DB (with the writer pool) every dag.test() needs, and the dbt
    manifest the profiles DAG renders from."""
    from cdp.airflow_env import setup_metadata_db, write_dbt_manifest
    from cdp.orchestration import load_orchestration

    setup_metadata_db(load_orchestration(_BASE).writer_pool)
    write_dbt_manifest(_BASE)
    return _BASE.airflow_home


@pytest.fixture
def dag_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflow_db: Path) -> Settings:
    """Fresh data folders for one test, visible to the tasks dag.test() runs in-process."""
    for name in [n for n in os.environ if n.startswith("CDP_")]:
        monkeypatch.delenv(name)  # a module fixture's settings must not leak into these
    # the pipeline refuses the shipped default salt: tests set theirs (tests/conftest.py)
    built = Settings(
        data_dir=tmp_path / "data", airflow_home=airflow_db, erasure_salt="tests-only-erasure-salt"
    )
    built.ensure_dirs()
    for name, value in settings_env(built).items():
        monkeypatch.setenv(name, value)
    return built
