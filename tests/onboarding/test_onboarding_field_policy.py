"""Field-level policy (required, default:, on_invalid) and re-loading a file after a fix."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import ingestion
from core.warehouse import connect
from ingestion.definitions import DefinitionError

CONTACTS = """
source: members
entities:
  contacts:
    contract: contact
    files: members/members_*.csv
    format: csv
    date_formats: ["%d/%m/%Y"]
    columns:
      contact_id: id
      first_name: first
      birth_date: {birth}
      country: {{column: country, default: FR}}
"""
# 4 members: m2's birth date is in the US order, m3's is impossible, m4 has no country.
MEMBERS_CSV = """id,first,born,country
m1,Anne,14/07/1985,FR
m2,Bob,07/28/1961,GB
m3,Chloé,31/02/1990,FR
m4,Dan,01/01/1970,
"""


def _setup(settings, birth: str = "born") -> None:
    for definition in settings.sources_dir.glob("*.yml"):
        definition.unlink()
    text = CONTACTS.format(birth=birth)
    (settings.sources_dir / "members.yml").write_text(text, encoding="utf-8")
    folder = settings.landing_dir / "members"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "members_2024-03-01.csv").write_text(MEMBERS_CSV, encoding="utf-8")


def _counts(settings) -> tuple[int, int, list[tuple[str, str]]]:
    with connect(settings) as con:
        return (
            con.execute("select count(*) from raw.members__contacts").fetchone()[0],
            con.execute("select count(*) from ops.quarantine").fetchone()[0],
            con.execute(
                "select status, coalesce(error, '') from ops.load_ledger order by started_at"
            ).fetchall(),
        )


def test_an_invalid_optional_value_is_nulled_by_default_and_quarantines_when_asked(settings):
    _setup(settings)
    report = ingestion.ingest(settings)
    (result,) = report.files
    # m2 and m3 lose their birth date, and are kept
    assert (result.rows_accepted, result.rows_quarantined) == (4, 0)
    assert result.field_issues == {"birth_date: not a valid DATE in formats ['%d/%m/%Y']": 2}

    # the same export, where a birth date that cannot be read quarantines the member
    settings.duckdb_path.unlink()
    _setup(settings, "{column: born, on_invalid: quarantine}")
    (result,) = ingestion.ingest(settings).files
    assert (result.rows_accepted, result.rows_quarantined) == (2, 2)


def test_a_default_fills_what_the_export_leaves_empty(settings):
    _setup(settings)
    ingestion.ingest(settings)
    with connect(settings) as con:
        countries = dict(
            con.execute("select contact_id, country from raw.members__contacts").fetchall()
        )
    assert countries == {"m1": "FR", "m2": "GB", "m3": "FR", "m4": "FR"}


def test_a_required_field_cannot_be_nulled(settings):
    _setup(settings)
    path = settings.sources_dir / "members.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("contact_id: id", "contact_id: {column: id, on_invalid: null}"), "utf-8"
    )
    with pytest.raises(DefinitionError, match="drop `on_invalid: null`"):
        ingestion.ingest(settings)


def test_sql_over_a_column_the_export_lacks_names_it(settings):
    _setup(settings)
    path = settings.sources_dir / "members.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("first_name: first", "first_name: {sql: \"concat_ws(' ', first, middle)\"}"),
        "utf-8",
    )
    with pytest.raises(ingestion.IngestionError, match='"middle"'):
        ingestion.ingest(settings)


def test_reloading_after_a_fix_replaces_the_files_rows_in_one_go(settings):
    _setup(settings)
    ingestion.ingest(settings)
    # the fix: the export writes dates both ways; read US dates too
    path = settings.sources_dir / "members.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('["%d/%m/%Y"]', '["%d/%m/%Y", "%m/%d/%Y"]'), "utf-8")

    assert ingestion.ingest(settings).files[0].status == "skipped_duplicate"
    reloading = ingestion.ReloadRequest(sources=frozenset({"members"}))
    (result,) = ingestion.ingest(settings, reloading=reloading).files

    assert (result.status, result.rows_accepted, result.rows_replaced) == ("loaded", 4, 4)
    assert result.field_issues == {"birth_date: not a valid DATE in formats "
                                   "['%d/%m/%Y', '%m/%d/%Y']": 1}  # fmt: skip
    rows, quarantined, ledger = _counts(settings)
    assert (rows, quarantined) == (4, 0)  # replaced, not added
    assert [status for status, _ in ledger] == ["replaced", "skipped_duplicate", "loaded"]
    assert ledger[0][1].startswith("replaced by ")
    with connect(settings) as con:
        born = con.execute("select birth_date from raw.members__contacts where contact_id = 'm2'")
        assert str(born.fetchone()[0]) == "1961-07-28"
        issues = con.execute("select count(distinct batch_id) from ops.field_issues").fetchone()
        assert issues[0] == 1  # the replaced batch's counts went with its rows


def test_a_reload_that_fails_keeps_the_previous_load(settings):
    _setup(settings)
    ingestion.ingest(settings)
    path = settings.sources_dir / "members.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("first_name: first", "first_name: given")
    )

    with pytest.raises(ingestion.IngestionError, match="given"):
        ingestion.ingest(settings, reloading=ingestion.ReloadRequest(files=frozenset(
            {"members/members_2024-03-01.csv"})))  # fmt: skip

    rows, _, ledger = _counts(settings)
    assert rows == 4 and [status for status, _ in ledger] == ["loaded", "failed"]


def test_cdp_ingest_reload_shows_replaced_rows_and_nulled_values(settings, monkeypatch):
    from cdp.cli import app

    _setup(settings)
    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CDP_CONFIG_DIR", str(settings.config_dir))
    runner = CliRunner()
    assert runner.invoke(app, ["ingest"]).exit_code == 0

    shown = runner.invoke(app, ["ingest", "--reload", "members"], env={"COLUMNS": "200"})

    assert shown.exit_code == 0, shown.output
    assert "values nulled, rows kept" in shown.output
    assert "birth_date: not a valid DATE" in shown.output
    row = next(line for line in shown.output.splitlines() if "members_2024-03-01" in line)
    # read, accepted, quarantined, suppressed, nulled, replaced
    assert [cell.strip() for cell in row.split("│")[4:10]] == ["4", "4", "0", "0", "2", "4"]
