"""The profiles_dbt fixture warehouse, with call-center verbatims analysed before dbt."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "profiles_dbt"))
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def feedback_settings(tmp_path_factory):
    """Fixture warehouse -> Alice's verbatim and SMS replies -> `cdp feedback analyse` ->
    `dbt build`."""
    import duckdb
    from dbt_fixture_warehouse import create_warehouse
    from voice_messages import ALICE_VERBATIM, add_sms_activity

    from core.settings import Settings
    from profiles import build_profiles
    from voice import analyse_feedback

    settings = Settings(data_dir=tmp_path_factory.mktemp("voice") / "data")
    settings.ensure_dirs()
    create_warehouse(settings.duckdb_path)
    con = duckdb.connect(str(settings.duckdb_path))
    try:
        con.execute(
            "update raw.callcenter__tickets set verbatim = ? where ticket_id = 'T1'",
            [ALICE_VERBATIM],
        )
        add_sms_activity(con)
    finally:
        con.close()
    analyse_feedback(settings)
    build_profiles(settings)
    return settings
