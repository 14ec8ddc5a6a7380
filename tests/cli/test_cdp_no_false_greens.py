"""A step with nothing to do says so and exits non-zero; a misspelt setting is named."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cdp.cli import app
from core.settings import describe_unknown, unknown_environment
from core.warehouse import connect


@pytest.fixture
def cli_env(settings, monkeypatch):
    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CDP_CONFIG_DIR", str(settings.config_dir))
    return settings


@pytest.mark.parametrize("stage", ["raw", "identity", "marts"])
def test_quality_check_of_an_empty_stage_fails_saying_nothing_to_check(cli_env, stage):
    outcome = CliRunner().invoke(app, ["quality", "check", "--stage", stage])

    assert outcome.exit_code == 1, outcome.output
    assert f"nothing to check at stage '{stage}'" in outcome.output


def test_a_raw_table_without_rows_is_nothing_to_check(cli_env):
    from expectations import NothingToCheckError, run_checks

    with connect(cli_env) as con:
        con.execute(
            "create schema raw; create table raw.email__subscribers (email varchar, "
            "status varchar, opted_in_at timestamp, status_changed_at timestamp)"
        )
    with pytest.raises(NothingToCheckError, match="raw.email__subscribers: no rows"):
        run_checks(cli_env, "raw")


def test_a_misspelt_setting_is_reported_with_the_closest_name(cli_env, monkeypatch):
    monkeypatch.setenv("CDP_DUCKDB_PTH", "/tmp/elsewhere.duckdb")
    monkeypatch.setenv("CDP_ZZZ", "1")

    assert unknown_environment({"CDP_DUCKDB_PTH": "x", "CDP_DATA_DIR": "y"}) == [
        ("CDP_DUCKDB_PTH", "CDP_DUCKDB_PATH")
    ]
    assert "did you mean" not in describe_unknown("CDP_ZZZ", None)
    outcome = CliRunner().invoke(app, ["sql", "select 1"])
    assert outcome.exit_code == 2
    assert "CDP_DUCKDB_PTH is not a cdp setting" in outcome.output
    assert "did you mean CDP_DUCKDB_PATH?" in outcome.output
    assert "CDP_ZZZ" in outcome.output


def test_version_is_printed(cli_env):
    outcome = CliRunner().invoke(app, ["--version"])

    assert outcome.exit_code == 0 and outcome.output.startswith("cdp-rcu ")
