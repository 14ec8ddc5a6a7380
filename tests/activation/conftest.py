"""Fixtures for the export and privacy tests; the data lives in profiles_warehouse.py."""

from __future__ import annotations

import shutil

import pytest
from profiles_warehouse import MARTS_SQL, RAW_SQL, build_identity


@pytest.fixture(scope="session")
def consented_warehouse_file(tmp_path_factory):
    """The tiny warehouse with its consent decided by a real dbt build of
    ``marts.customer_consent`` (built once: every test gets a copy of the file)."""
    from core.settings import Settings
    from core.warehouse import connect
    from profiles import build_profiles

    settings = Settings(data_dir=tmp_path_factory.mktemp("consented") / "data")
    settings.ensure_dirs()
    with connect(settings) as con:
        con.execute(RAW_SQL)
        build_identity(con)
        con.execute(MARTS_SQL)
    # only the consent mart and what it reads: the other marts here are hand-made, and their
    # tests (customer_profile's, say) are not this fixture's business
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_INDIRECT_SELECTION", "cautious")
        build_profiles(settings, select="+customer_consent", publish=False)
    return settings.duckdb_path


@pytest.fixture
def warehouse(settings, consented_warehouse_file):
    """Settings whose DuckDB file holds the tiny warehouse of profiles_warehouse.py, its
    consent in force built by dbt (marts.customer_consent).

    exports.yml is a private copy of the project's, so tests may rewrite it freely.
    """
    config = settings.data_dir.parent / "exports.yml"
    shutil.copy(settings.exports_config_path, config)
    settings = settings.model_copy(update={"exports_config_path": config})
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(consented_warehouse_file, settings.duckdb_path)
    return settings
