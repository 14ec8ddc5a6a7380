"""Shared fixtures: isolated settings per test, telemetry off, no network."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

if not hasattr(sys.modules["__main__"], "__file__"):
    # An xdist worker's __main__ is execnet's bootstrap, without a file: pyspark.sql.connect
    # (imported by Great Expectations) then takes itself for a doctest run and exits.
    sys.modules["__main__"].__file__ = __file__

for _name, _value in {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    # the pipeline refuses the shipped default salt; tests use their own, never a real one
    "CDP_ERASURE_SALT": "tests-only-erasure-salt",
}.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture
def settings(tmp_path: Path):
    """Settings whose data and configuration live under a fresh temporary folder.

    The configuration is copied so a test that edits a source definition or a threshold
    never touches the project's own ``config/``.
    """
    from core.settings import PROJECT_DIR, Settings

    config_dir = tmp_path / "config"
    shutil.copytree(PROJECT_DIR / "config", config_dir)
    built = Settings(data_dir=tmp_path / "data", config_dir=config_dir)
    built.ensure_dirs()
    return built


# Folders whose session fixture builds a whole warehouse (a pipeline run, a dbt build, a Spark
# cluster): under `make test`'s workers each stays on one worker, which builds it once, as a
# serial run does; elsewhere each test file is a unit of work.
WAREHOUSE_FOLDERS = {"activation", "api", "dags", "privacy", "profiles_dbt", "spark", "voice"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadscope`` (``make test``), with the warehouse folders as whole units.

    (xdist's own ``loadgroup`` cannot be used: it renames node ids, which pytest 9 ignores.)
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FolderScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            parts = path.split("/")
            if len(parts) > 2 and parts[1] in WAREHOUSE_FOLDERS:
                return "/".join(parts[:2])
            return path

    return FolderScheduling(config, log)
