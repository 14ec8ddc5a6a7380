"""Shared fixtures: isolated settings per test, telemetry off, no network."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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
