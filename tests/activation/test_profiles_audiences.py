"""Audiences only hold customers a send is allowed to (marts.customer_consent.is_sendable);
the ad-platform variant holds no clear PII."""

from __future__ import annotations

import hashlib
import re

import yaml

from activation.audiences import export_audiences
from core.warehouse import connect


def _write_config(settings, audiences: dict) -> None:
    settings.exports_config_path.parent.mkdir(parents=True, exist_ok=True)
    settings.exports_config_path.write_text(yaml.safe_dump({"audiences": audiences}))


def test_latest_consent_decision_wins(warehouse):
    with connect(warehouse) as con:
        current = {
            (c, ch): g
            for c, ch, g in con.execute(
                "select customer_id, channel, is_consent_granted from marts.customer_consent"
            ).fetchall()
        }
        history = con.execute(
            "select count(*) from consent.signals "
            "where customer_id = 'cust-0002' and channel = 'email'"
        ).fetchone()

    assert current[("cust-0002", "email")] is False  # opted in 01-01, unsubscribed 03-01
    assert current[("cust-0004", "email")] is False  # POS 'O' on 01-10, 'N' on 02-10
    assert current[("cust-0003", "sms")] is False and current[("cust-0003", "email")] is True
    assert current[("cust-0001", "email")] is True and current[("cust-0001", "sms")] is True
    assert history[0] == 3  # subscriber, account, unsubscribe: every decision is kept


def test_no_audience_ever_holds_a_customer_without_consent(warehouse):
    import pandas as pd

    # every segment, no other filter: the consent rule alone decides who is left out
    everyone = ["dormant", "vip", "loyal", "new", "at_risk", "prospect"]
    _write_config(
        warehouse,
        {
            "all_email": {"channel": "email", "segments": everyone, "formats": ["csv"]},
            "all_sms": {"channel": "sms", "segments": everyone, "formats": ["parquet"]},
        },
    )
    result = export_audiences(warehouse)
    with connect(warehouse) as con:
        granted = {
            (c, ch)
            for c, ch in con.execute(
                "select customer_id, channel from marts.customer_consent where is_sendable"
            ).fetchall()
        }
    members = {
        "email": set(pd.read_csv(result.folder / "all_email.csv")["customer_id"]),
        "sms": set(pd.read_parquet(result.folder / "all_sms.parquet")["customer_id"]),
    }

    for channel, ids in members.items():
        assert all((c, channel) in granted for c in ids), channel
    # worked out from conftest's table: e-mail granted to 0001, 0003, 0005; sms to 0001 only
    assert members == {"email": {"cust-0001", "cust-0003", "cust-0005"}, "sms": {"cust-0001"}}


def test_configured_filters_narrow_the_segment(warehouse):
    import pandas as pd

    _write_config(
        warehouse,
        {
            "rich_dormant": {
                "channel": "email",
                "segments": ["dormant"],
                "filters": [{"column": "lifetime_revenue", "op": ">=", "value": 300}],
            }
        },
    )
    result = export_audiences(warehouse)

    # dormant with e-mail consent: 0001 (350) and 0003 (250); only 0001 spent >= 300
    assert list(pd.read_csv(result.folder / "rich_dormant.csv")["customer_id"]) == ["cust-0001"]


def test_hashed_audience_carries_only_sha256_of_normalised_identifiers(warehouse):
    import pandas as pd

    _write_config(
        warehouse,
        {
            "ads": {
                "channel": "email",
                "segments": ["dormant", "vip"],
                "identifiers": "hashed",
                "formats": ["csv"],
            }
        },
    )
    result = export_audiences(warehouse)
    frame = pd.read_csv(result.folder / "ads.csv", dtype=str, keep_default_na=False)
    text = (result.folder / "ads.csv").read_text()

    assert list(frame.columns) == ["email_sha256", "phone_sha256"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in frame["email_sha256"])
    assert "@" not in text and "+33" not in text and "cust-" not in text
    expected = {
        hashlib.sha256(e.encode()).hexdigest()
        for e in (
            "zebulon.quatremare@example.org",
            "paul.martin@example.org",
            "hugo.petit@example.org",
        )
    }
    assert set(frame["email_sha256"]) == expected
    # phone hashed only where SMS consent is granted too (Zébulon), as E.164
    assert set(frame["phone_sha256"]) - {""} == {hashlib.sha256(b"+33612345678").hexdigest()}
