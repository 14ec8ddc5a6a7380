"""Fixtures for the export and privacy tests; the data lives in profiles_warehouse.py."""

from __future__ import annotations

import shutil

import pytest
from profiles_warehouse import MARTS_SQL, RAW_SQL, build_identity


@pytest.fixture
def warehouse(settings):
    """Settings whose DuckDB file holds the tiny warehouse of profiles_warehouse.py.

    exports.yml is a private copy of the project's, so tests may rewrite it freely.
    """
    from core.warehouse import connect

    config = settings.data_dir.parent / "exports.yml"
    shutil.copy(settings.exports_config_path, config)
    settings = settings.model_copy(update={"exports_config_path": config})
    with connect(settings) as con:
        con.execute(RAW_SQL)
        build_identity(con)
        con.execute(MARTS_SQL)
    return settings
