"""Shared fixtures: isolated settings per test, telemetry off, no network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

for _name, _value in {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
}.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture
def settings(tmp_path: Path):
    """Settings whose every data path lives under a fresh temporary folder."""
    from cdp.settings import Settings

    built = Settings(data_dir=tmp_path / "data")
    built.ensure_dirs()
    return built
