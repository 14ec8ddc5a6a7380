"""`cdp identity model`: the trained model's levels, untrained ones flagged, offline charts."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from cdp.cli import app


def test_model_command_shows_levels_flags_untrained_and_writes_offline_charts(
    warehouse, monkeypatch
):
    from identity._model_report import describe

    report = describe(warehouse)
    levels = {(row["comparison"], row["level"]): row for row in report["levels"]}
    name_made = levels[("email", "same name-made username, other domain")]
    assert name_made["fixed"] and name_made["match_weight"] == 0
    # the base population has no phone typos: that level falls back to the stated prior
    assert levels[("phone", "one digit off")]["untrained"]
    assert levels[("email", "same email")]["match_weight"] > 10

    monkeypatch.setenv("CDP_DATA_DIR", str(warehouse.data_dir))
    monkeypatch.setenv("CDP_SOURCES_DIR", str(warehouse.sources_dir))
    out = warehouse.data_dir / "model.html"
    result = CliRunner().invoke(app, ["identity", "model", "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "untrained" in result.output and "one digit off" in result.output
    page = out.read_text(encoding="utf-8")
    assert "Match weights per comparison level" in page
    assert not re.search(r"<script[^>]+src=[\"']?https?:", page)  # works offline
