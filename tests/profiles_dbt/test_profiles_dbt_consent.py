"""The consent in force is decided once, by dbt (marts.customer_consent), and the profile and
the audiences agree with it: the contradictions once seen on the demo (issue 18) cannot
happen. A real `dbt build` of the fixture warehouse plus three customers who would show them:

- Bruno unsubscribes (10-10), then opts in again with a new card holding his e-mail (10-20):
  consent granted, and no longer "unsubscribed";
- Denis (new card L7, no e-mail, no phone) ticks both opt-ins at the till: no consent,
  since there is no address the tick could be about;
- Chloé (opt-in at the till, card with her e-mail) also subscribed, and her address then
  bounced: consent in force, but not sendable, and in no e-mail audience.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml
from dbt_fixture_warehouse import CHLOE_EMAIL, POS_COLUMNS, create_warehouse, query

BRUNO_EMAIL = "bruno@example.org"


def _add_contradictions(con) -> None:
    pos = (
        f"insert into raw.pos__receipt_lines ({POS_COLUMNS}, customer_email, _source_row, "
        "_batch_id, _loaded_at) values (" + ", ".join(["?"] * 20) + ")"
    )
    stamp = datetime(2026, 11, 1)
    # (receipt, sold_at, card, email_opt_in, sms_opt_in, e-mail on the receipt)
    for i, (receipt, sold_at, card, e_opt, s_opt, email) in enumerate(
        [
            ("R50", datetime(2026, 10, 20, 11, 0), "L5", True, None, BRUNO_EMAIL),
            ("R70", datetime(2026, 10, 21, 11, 0), "L7", True, True, None),
        ],
        start=90,
    ):
        con.execute(
            pos,
            ["S01", receipt, 1, sold_at, "SKU9", "Gants", "Accessoires", 1, 20, 0, 5, "CB"]
            + [card, e_opt, s_opt, "pos_receipts_20261031.csv", email, i, "b-extra", stamp],
        )
    activity = (
        "insert into raw.email__activity (campaign_id, campaign_name, email, activity_type, "
        "activity_at, bounce_type, _source_file, _source_row, _batch_id, _loaded_at) "
        "values ('CMP1', 'Soldes', ?, ?, ?, ?, 'activity_20261031.csv', ?, 'b-extra', ?)"
    )
    unsubscribed, bounced = datetime(2026, 10, 10, 9, 0), datetime(2026, 10, 9, 8, 0)
    con.execute(activity, [BRUNO_EMAIL, "unsubscribe", unsubscribed, None, 90, stamp])
    con.execute(activity, [CHLOE_EMAIL, "bounce", bounced, "hard", 91, stamp])
    con.execute(
        "insert into raw.email__subscribers (email, status, opted_in_at, status_changed_at, "
        "_source_file, _source_row, _batch_id, _loaded_at) values (?, 'subscribed', ?, ?, "
        "'subscribers_20261031.csv', 90, 'b-extra', ?)",
        [CHLOE_EMAIL, datetime(2026, 3, 1), datetime(2026, 3, 1), stamp],
    )
    records = [
        ("loyalty_card", "L5", "cust-B", BRUNO_EMAIL),
        ("email_subscriber", CHLOE_EMAIL, "cust-C", CHLOE_EMAIL),
        ("loyalty_card", "L7", "cust-D", None),
    ]
    for kind, key, customer, email in records:
        con.execute(
            "insert into identity.customer_records values (?, ?, ?, ?, 'run-1')",
            [f"{kind}:{key}", kind, key, customer],
        )
        con.execute(
            "insert into identity.identity_records (record_id, identity_type, source_key, "
            "email) values (?, ?, ?, ?)",
            [f"{kind}:{key}", kind, key, email],
        )
    con.execute(
        "insert into identity.customers values ('cust-D', true, false, 1, 'run-1', 'run-1', "
        "false, ?)",
        [stamp],
    )
    con.execute(
        "update identity.customers set record_count = record_count + 1 "
        "where customer_id in ('cust-B', 'cust-C')"
    )
    # Denis's name on his card: golden records (the dbt mart) take it from there
    con.execute(
        "update identity.identity_records set first_name = 'denis', first_name_display = "
        "'Denis', last_seen_at = ? where record_id = 'loyalty_card:L7'",
        [stamp],
    )


@pytest.fixture(scope="module")
def consent_settings(tmp_path_factory):
    """The fixture warehouse with the three customers above, built by dbt."""
    import duckdb

    from core.settings import Settings
    from profiles import build_profiles

    settings = Settings(data_dir=tmp_path_factory.mktemp("consent") / "data")
    settings.ensure_dirs()
    create_warehouse(settings.duckdb_path)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        _add_contradictions(con)
    build_profiles(settings, publish=False)  # the flags-agree data test is part of the build
    return settings


def test_each_identified_customer_has_one_row_per_channel(consent_settings):
    rows = query(
        consent_settings,
        "select customer_id, count(*), count(distinct channel) from marts.customer_consent "
        "group by 1 order by 1",
    )
    assert rows == [(c, 2, 2) for c in ("cust-A", "cust-B", "cust-C", "cust-D")]


def test_a_later_opt_in_with_the_address_supersedes_an_unsubscription(consent_settings):
    consent = query(
        consent_settings,
        "select consent_status, consent_source, consent_record_id, is_sendable "
        "from marts.customer_consent where customer_id = 'cust-B' and channel = 'email'",
    )
    profile = query(
        consent_settings,
        "select is_email_consent_granted, is_email_unsubscribed from marts.customer_profile "
        "where customer_id = 'cust-B'",
    )
    assert consent == [("granted", "pos.receipt_lines", "loyalty_card:L5", True)]
    assert profile == [(True, False)]  # granted, and so no longer "unsubscribed"


def test_an_opt_in_with_no_address_is_no_consent(consent_settings):
    consent = query(
        consent_settings,
        "select channel, consent_status, has_contact_point, is_sendable "
        "from marts.customer_consent where customer_id = 'cust-D' order by channel",
    )
    assert consent == [("email", "never_asked", False, False), ("sms", "never_asked", False, False)]
    # Alice's unsubscription stays in force; her card holds her mobile, so its SMS opt-in counts
    alice = query(
        consent_settings,
        "select channel, consent_status, consent_source from marts.customer_consent "
        "where customer_id = 'cust-A' order by channel",
    )
    assert alice == [
        ("email", "refused", "email.activity.unsubscribe"),
        ("sms", "granted", "pos.receipt_lines"),
    ]


def test_a_bounced_address_keeps_its_consent_but_is_not_sendable(consent_settings):
    consent = query(
        consent_settings,
        "select is_consent_granted, is_contact_point_bounced, is_reachable, is_sendable "
        "from marts.customer_consent where customer_id = 'cust-C' and channel = 'email'",
    )
    assert consent == [(True, True, False, False)]


def test_no_customer_shows_a_contradiction(consent_settings):
    counts = query(
        consent_settings,
        """select
  count(*) filter (where is_email_consent_granted and is_email_unsubscribed),
  count(*) filter (where is_email_consent_granted and email is null),
  count(*) filter (where is_sms_consent_granted and phone is null),
  count(*) filter (where is_email_sendable and email in (
    select b.email from intermediate.int_email_addresses_bounced b
    where b.customer_id = p.customer_id))
from marts.customer_profile p""",
    )
    assert counts == [(0, 0, 0, 0)]


def test_no_bounced_address_reaches_an_email_audience(consent_settings, tmp_path):
    import pandas as pd

    from activation.audiences import export_audiences

    config = tmp_path / "exports.yml"
    everyone = ["dormant", "vip", "loyal", "new", "at_risk", "prospect"]
    config.write_text(
        yaml.safe_dump(
            {
                "audiences": {
                    "all_email": {"channel": "email", "segments": everyone, "formats": ["csv"]},
                    "all_sms": {"channel": "sms", "segments": everyone, "formats": ["csv"]},
                }
            }
        )
    )
    settings = consent_settings.model_copy(update={"exports_config_path": config})
    result = export_audiences(settings)

    email = pd.read_csv(result.folder / "all_email.csv")
    sms = pd.read_csv(result.folder / "all_sms.csv", dtype=str)
    # Bruno (granted again) only: Chloé's address bounced, Alice refused, Denis has none
    assert list(email["customer_id"]) == ["cust-B"]
    assert list(sms["customer_id"]) == ["cust-A"]
    assert CHLOE_EMAIL not in (result.folder / "all_email.csv").read_text()


def test_exports_refuse_to_run_without_the_consent_mart(consent_settings, tmp_path):
    import shutil

    from activation import export_audiences, export_golden_records
    from core.warehouse import connect
    from profiles.build import MissingMartError

    settings = consent_settings.model_copy(
        update={"duckdb_path": tmp_path / "copy.duckdb", "export_dir": tmp_path / "exports"}
    )
    shutil.copy(consent_settings.duckdb_path, settings.duckdb_path)
    with connect(settings) as con:
        con.execute("drop table marts.customer_consent")

    for export in (export_audiences, export_golden_records):
        with pytest.raises(MissingMartError, match="run `cdp profiles build`"):
            export(settings)
