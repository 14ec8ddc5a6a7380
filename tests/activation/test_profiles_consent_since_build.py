"""An unsubscribe loaded after the last profiles build stops exports before the next build.

The warehouse's consent mart comes from a real dbt build (conftest); the unsubscribe is a
real CSV file loaded by `cdp ingest`'s code into the raw table the build read.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
import yaml

import ingestion
from activation.audiences import export_audiences
from activation.export import export_golden_records
from core.warehouse import connect
from ingestion.ledger import LINEAGE_COLUMNS

ZEBULON = "cust-0001"  # e-mail subscribed 2024-01-01, sendable at the build
ZEBULON_EMAIL = "zebulon.quatremare@example.org"
ACTIVITY_HEADER = "campaign_id,campaign_name,email,action,timestamp,url,bounce_type"


def _land_activity(settings, name: str, *lines: str) -> None:
    """An e-mail platform activity file, as config/sources/email.yml reads it; the fixture's
    hand-made raw table gets the lineage columns ingestion would have given it."""
    with connect(settings) as con:
        for column, sql_type in LINEAGE_COLUMNS.items():
            con.execute(
                f"alter table raw.email__activity add column if not exists {column} {sql_type}"
            )
    folder = settings.landing_dir / "email"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join([ACTIVITY_HEADER, *lines]) + "\n", encoding="utf-8")
    report = ingestion.ingest(settings, sources=["email"])
    assert [r.status for r in report.files] == ["loaded"]


def _email_audience(settings) -> set[str]:
    segments = ["dormant", "vip", "loyal", "new", "at_risk", "prospect"]
    settings.exports_config_path.write_text(
        yaml.safe_dump(
            {
                "audiences": {
                    "all_email": {"channel": "email", "segments": segments, "formats": ["parquet"]}
                }
            }
        )
    )
    result = export_audiences(settings)
    (file,) = [f for f in result.files if f["format"] == "parquet"]
    return set(pq.read_table(result.folder / file["name"]).column("customer_id").to_pylist())


def _sendable(settings, customer: str, channel: str) -> bool:
    with connect(settings) as con:
        return con.execute(
            "select is_sendable from marts.customer_consent where customer_id = ? and channel = ?",
            [customer, channel],
        ).fetchone()[0]


def test_an_unsubscribe_loaded_after_the_build_is_never_exported_as_sendable(warehouse):
    from profiles import build_profiles

    assert _sendable(warehouse, ZEBULON, "email")  # what the last build decided
    _land_activity(
        warehouse,
        "activity_20261206.csv",
        f"c9,Noel,{ZEBULON_EMAIL},unsubscribe,2026-12-06 10:00:00,,",
    )

    assert ZEBULON not in _email_audience(warehouse)
    golden = export_golden_records(warehouse, mode="full", formats=["parquet"])
    (file,) = golden.files
    rows = pq.read_table(golden.folder / file["name"]).to_pylist()
    zebulon = next(r for r in rows if r["customer_id"] == ZEBULON)
    assert zebulon["email_consent"] is False and zebulon["sms_consent"] is True
    assert _sendable(warehouse, ZEBULON, "email")  # the mart itself is untouched until a build

    # the next build decides the same from the full rule
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_INDIRECT_SELECTION", "cautious")
        build_profiles(warehouse, select="+customer_consent", publish=False)
    assert not _sendable(warehouse, ZEBULON, "email")
    assert ZEBULON not in _email_audience(warehouse)


def test_a_refusal_older_than_the_consent_in_force_changes_nothing(warehouse):
    # a late file of old activity: he re-subscribed on 2024-01-01, after this unsubscribe
    _land_activity(
        warehouse,
        "activity_20231201.csv",
        f"c0,Old,{ZEBULON_EMAIL},unsubscribe,2023-06-01 10:00:00,,",
    )

    assert ZEBULON in _email_audience(warehouse)


def test_files_loaded_before_the_build_are_not_applied_again(warehouse):
    """Only the ledger's loads since the build's consent extraction count (UTC on both)."""
    from activation.consent_since_build import consent_for_sending, consent_read_at
    from ingestion.ledger import loaded_since
    from profiles.build import CONSENT_MART

    with connect(warehouse) as con:
        read_at = consent_read_at(con)
        assert read_at is not None and loaded_since(con, read_at) == []
        assert consent_for_sending(con, warehouse, "a test") == CONSENT_MART
