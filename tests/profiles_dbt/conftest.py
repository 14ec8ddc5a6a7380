"""One built fixture warehouse for the session: dbt build takes seconds, not milliseconds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory):
    """Settings over the hand-made warehouse, after a successful `dbt build`."""
    from dbt_fixture_warehouse import create_warehouse

    from core.settings import Settings
    from profiles import build_profiles

    settings = Settings(data_dir=tmp_path_factory.mktemp("dbt") / "data")
    settings.ensure_dirs()
    create_warehouse(settings.duckdb_path)
    build_profiles(settings)
    return settings


@pytest.fixture(scope="session")
def docs_folder(built_settings):
    """`cdp profiles docs` run once on the built warehouse: the folder it wrote.

    One docs generate for the session: on the built project dbt re-parses nothing, where a
    fresh data folder costs a whole parse.
    """
    from typer.testing import CliRunner

    from cdp.cli import app

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_DATA_DIR", str(built_settings.data_dir))
        result = CliRunner().invoke(app, ["profiles", "docs"])
    assert result.exit_code == 0, result.output
    return built_settings.data_dir / "dbt" / "target"
