"""run_checks on a real DuckDB file: a clean warehouse passes; each corruption fails the right
expectation with a message naming the suite, the expectation and a failing value."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from core.settings import Settings
from expectations import BlockingQualityError, run_checks
from tests.expectations.quality_warehouse import build_clean_warehouse

TODAY = date(2026, 11, 22)  # the clean data ends 2026-10-31 at the latest


@pytest.fixture(scope="module")
def clean_file(tmp_path_factory):
    return build_clean_warehouse(tmp_path_factory.mktemp("clean") / "cdp.duckdb")


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory):
    # one GX context (suites, checkpoints, results store, Data Docs) for the whole module
    return tmp_path_factory.mktemp("reports")


@pytest.fixture
def settings(clean_file, reports_dir, tmp_path):
    """Settings on a private copy of the clean warehouse, which a test may corrupt."""
    copy = tmp_path / "cdp.duckdb"
    shutil.copy(clean_file, copy)
    return Settings(data_dir=tmp_path, duckdb_path=copy, reports_dir=reports_dir)


def corrupt(settings: Settings, sql: str) -> None:
    import duckdb

    con = duckdb.connect(str(settings.duckdb_path))
    try:
        con.execute(sql)
    finally:
        con.close()


def stored(settings: Settings, run_id: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return con.execute(
            "select suite, expectation, severity, success, unexpected_count, example_values "
            "from quality.validation_results where run_id = ? order by suite, expectation",
            [run_id],
        ).fetchall()
    finally:
        con.close()


def blocking_failure(settings: Settings, stage: str) -> BlockingQualityError:
    with pytest.raises(BlockingQualityError) as caught:
        run_checks(settings, stage, today=TODAY)
    return caught.value


@pytest.mark.parametrize("stage", ["raw", "identity", "marts"])
def test_clean_warehouse_passes_every_suite_and_records_each_expectation(settings, stage):
    report = run_checks(settings, stage, today=TODAY)

    assert report.success and not report.warnings, [o.message for o in report.outcomes]
    rows = stored(settings, report.run_id)
    assert len(rows) == len(report.outcomes) > 0
    assert all(success for _, _, _, success, _, _ in rows)
    suites = {suite for suite, *_ in rows}
    expected = {
        "raw": {
            "raw.pos__receipt_lines",
            "raw.pos__receipt_lines.schema",
            "raw.pos__receipt_lines.volume",
            "raw.web__events",
            "raw.web__accounts",
            "raw.email__subscribers",
            "raw.email__activity",
            "raw.callcenter__tickets",
        },
        "identity": {
            "identity.one_customer_per_record",
            "identity.cluster_size",
            "identity.multi_source_share",
            "identity.alias_targets",
        },
        "marts": {
            "marts.customer_profile",
            "marts.customer_segments",
            "marts.profile_reconciles_with_orders",
        },
    }[stage]
    assert expected <= suites
    assert report.summary_page.is_file() and report.docs_index.is_file()
    # GX's own store holds one result file per suite for this run (run name = our run id)
    gx_store = settings.reports_dir / "gx" / "gx" / "uncommitted" / "validations"
    run_dirs = [p for p in gx_store.rglob(report.run_id) if p.is_dir()]
    assert len(run_dirs) == len(suites)


def test_dropped_column_fails_the_schema_suite_naming_the_column(settings):
    corrupt(settings, "alter table raw.pos__receipt_lines drop column payment_method")

    error = blocking_failure(settings, "raw")

    failed = {(o.suite, o.expectation) for o in error.report.blocking_failures}
    assert (
        "raw.pos__receipt_lines.schema",
        "expect_column_values_to_not_be_null(actual_type)",
    ) in failed
    assert '"column_name": "payment_method"' in str(error)


def test_negative_prices_fail_the_price_range_with_file_and_row(settings):
    # rows i = 0, 100, ..., 500: 6 of 600 lines at -4.99
    corrupt(
        settings, "update raw.pos__receipt_lines set unit_price = -4.99 where _source_row % 100 = 1"
    )

    error = blocking_failure(settings, "raw")

    [failure] = error.report.blocking_failures
    assert failure.suite == "raw.pos__receipt_lines"
    assert failure.expectation == "expect_column_values_to_be_between(unit_price)"
    assert failure.unexpected_count == 6
    example = json.loads(failure.example_values)[0]
    assert example == {
        "unit_price": -4.99,
        "_source_file": "pos/pos_receipts_20261003.csv",
        "_source_row": 1,
    }
    assert "-4.99" in str(error) and "raw.pos__receipt_lines" in str(error)


def test_future_dates_fail_the_date_range(settings):
    corrupt(
        settings,
        "update raw.web__events set event_at = timestamp '2027-01-15 10:00' where _source_row <= 3",
    )

    error = blocking_failure(settings, "raw")

    [failure] = error.report.blocking_failures
    assert (failure.suite, failure.expectation) == (
        "raw.web__events",
        "expect_column_values_to_be_between(event_at)",
    )
    assert failure.unexpected_count == 3
    assert "2027-01-15" in str(error)


def test_halved_volume_against_previous_load_fails_the_volume_suite(settings):
    corrupt(
        settings,
        "insert into ops.load_ledger values ('b4', 'pos', 'receipt_lines', "
        "'pos/pos_receipts_20261010.csv', 550, timestamp '2026-10-11 02:00', "
        "550, 'loaded')",
    )

    error = blocking_failure(settings, "raw")

    [failure] = error.report.blocking_failures
    assert (failure.suite, failure.expectation) == (
        "raw.pos__receipt_lines.volume",
        "expect_column_values_to_be_between(volume_ratio)",
    )
    example = json.loads(failure.example_values)[0]
    assert example["volume_ratio"] == 0.5 and example["file_path"].endswith("20261010.csv")


def test_collapsed_identity_cluster_fails_cluster_size(settings):
    # the records of C0001..C0075 (60 * 4 + 15 = 255) all end up on C0001: 255 > 50
    corrupt(
        settings,
        "update identity.customer_records set customer_id = 'C0001' where customer_id <= 'C0075'",
    )

    error = blocking_failure(settings, "identity")

    [failure] = error.report.blocking_failures
    assert (failure.suite, failure.expectation) == (
        "identity.cluster_size",
        "expect_column_values_to_be_between(record_count)",
    )
    assert json.loads(failure.example_values) == [{"record_count": 255, "customer_id": "C0001"}]


def test_record_without_customer_and_dangling_alias_fail_identity(settings):
    corrupt(
        settings,
        "delete from identity.customer_records where record_id = 'web_cookie:web7';"
        "update identity.customer_aliases set customer_id = 'C0999'",
    )

    error = blocking_failure(settings, "identity")

    failed = {o.suite for o in error.report.blocking_failures}
    assert failed == {"identity.one_customer_per_record", "identity.alias_targets"}
    assert "web_cookie:web7" in str(error) and "C0101" in str(error)


def test_profile_that_does_not_reconcile_with_orders_fails_marts(settings):
    corrupt(
        settings,
        "update marts.customer_profile set lifetime_revenue = lifetime_revenue + 5 "
        "where customer_id = 'C0042'",
    )

    error = blocking_failure(settings, "marts")

    [failure] = error.report.blocking_failures
    assert failure.suite == "marts.profile_reconciles_with_orders"
    assert failure.expectation == "expect_column_values_to_be_between(revenue_gap)"
    assert "C0042" in str(error)


def test_warning_failure_lets_the_run_continue_and_is_recorded(settings):
    # 60 of 600 POS e-mails lose their @: 90 % valid, under the 95 % `mostly` (warning)
    corrupt(
        settings,
        "update raw.pos__receipt_lines set customer_email = 'pas-un-email' "
        "where _source_row % 10 = 0",
    )

    report = run_checks(settings, "raw", today=TODAY)

    assert report.success
    [warning] = report.warnings
    assert warning.expectation == "expect_column_values_to_match_regex(customer_email)"
    assert warning.unexpected_count == 60
    rows = stored(settings, report.run_id)
    assert (
        "raw.pos__receipt_lines",
        "expect_column_values_to_match_regex(customer_email)",
        "warning",
        False,
        60,
    ) in [row[:5] for row in rows]


def test_unknown_expectation_type_is_a_config_error_naming_the_suite(settings, tmp_path):
    from expectations import QualityConfigError

    config = tmp_path / "quality.yml"
    config.write_text(
        "suites: {marts.odd: {stage: marts, table: marts.customer_profile, "
        "expectations: [{type: expect_profile_to_be_nice, column: customer_id}]}}"
    )
    settings = settings.model_copy(update={"quality_config_path": config})

    with pytest.raises(
        QualityConfigError, match="suite marts.odd: expectation expect_profile_to_be_nice"
    ):
        run_checks(settings, "marts", today=TODAY)


def test_data_docs_add_each_runs_pages_and_leave_the_earlier_ones(clean_file, tmp_path):
    """A run renders its own results' pages and the index, not every stored result again
    (that grew with every run); the index still lists the earlier runs."""
    copy = tmp_path / "cdp.duckdb"
    shutil.copy(clean_file, copy)
    settings = Settings(data_dir=tmp_path, duckdb_path=copy, reports_dir=tmp_path / "reports")
    first = run_checks(settings, "marts", today=TODAY)
    site = first.docs_index.parent
    first_pages = {p: p.stat().st_mtime_ns for p in site.rglob(f"*/{first.run_id}/**/*.html")}
    assert first_pages

    second = run_checks(settings, "marts", today=TODAY)

    assert list(site.rglob(f"*/{second.run_id}/**/*.html"))
    assert {p: p.stat().st_mtime_ns for p in first_pages} == first_pages
    index = second.docs_index.read_text()
    assert first.run_id in index and second.run_id in index
