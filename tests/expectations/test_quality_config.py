"""quality.yml validation: the shipped file loads, and mistakes are named with their place."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.settings import Settings
from expectations._config import QualityConfigError, load_quality_config, run_parameters


def test_shipped_config_covers_every_stage_and_takes_cluster_size_from_identity():
    settings = Settings()
    config = load_quality_config(settings.quality_config_path)

    assert {s.stage for s in config.suites.values()} == {"raw", "identity", "marts"}
    params = run_parameters(config, settings.identity_config_path, date(2026, 11, 22))
    assert params["now"] == datetime(2026, 11, 22, 23, 59, 59, 999999)
    assert params["retailer_opened_on"] == datetime(2015, 3, 1)
    assert isinstance(params["max_cluster_size"], int)


@pytest.mark.parametrize(
    ("yaml_text", "fragment"),
    [
        (
            "suites: {s: {stage: raw}}",
            "suites.s: Value error, give exactly one of `table` or `sql`",
        ),
        ("suites: {s: {stage: gold, table: raw.x}}", "suites.s.stage"),
        (
            "suites: {s: {stage: raw, table: raw.x, expectations: [{type: check_it}]}}",
            "suites.s.expectations.0.type",
        ),
        (
            "suites: {s: {stage: raw, table: raw.x, expectations: "
            "[{type: expect_column_values_to_not_be_null, column: a, severity: fatal}]}}",
            "suites.s.expectations.0.severity",
        ),
        ("suites: {s: {stage: raw, table: 'raw.x; drop table y'}}", "not a plain schema.table"),
    ],
)
def test_invalid_config_names_the_file_and_field(tmp_path, yaml_text, fragment):
    path = tmp_path / "quality.yml"
    path.write_text(yaml_text)

    with pytest.raises(QualityConfigError) as caught:
        load_quality_config(path)

    assert str(path) in str(caught.value) and fragment in str(caught.value)


def test_missing_config_says_how_to_fix(tmp_path):
    with pytest.raises(QualityConfigError, match="CDP_QUALITY_CONFIG_PATH"):
        load_quality_config(tmp_path / "absent.yml")
