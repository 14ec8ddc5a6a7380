"""An unsubscribe loaded after the last build is answered by the API before the next build.

The snapshot comes from a real pipeline run (conftest); the unsubscribe is a real e-mail
activity file loaded by the ingest step the DAGs call, which publishes the refusals since
the build beside the snapshot; the API applies them with the exports' rule.
"""

from __future__ import annotations

import re

import pyarrow.parquet as pq
from api_consent import ACTIVITY_HEADER, land_unsubscribe, members, write_unsubscribe
from api_snapshot import snapshot_rows


def _sendable_subscriber(settings) -> tuple[str, str, str]:
    """(customer, e-mail as the subscriber list typed it, segment) of someone e-mail may
    reach at the build."""
    return snapshot_rows(
        settings,
        """select c.customer_id, r.source_key, s.segment from marts.customer_consent c
join identity.customer_records r on r.customer_id = c.customer_id
  and r.identity_type = 'email_subscriber'
join marts.customer_segments s on s.customer_id = c.customer_id
where c.channel = 'email' and c.is_sendable order by 1 limit 1""",
    )[0]


def _console_consent_row(client, key: str, customer_id: str, channel: str) -> str:
    page = client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/console/login", data={"username": "", "secret": key, "csrf": csrf})
    html = client.get(f"/console/customers/{customer_id}").text
    consent = html[html.index("<h2>Consent</h2>") :]
    return re.search(rf"<tr><td>{channel}</td>.*?</tr>", consent, re.S).group(0)


def test_an_unsubscribe_loaded_after_the_build_is_answered_before_the_next_build(
    client, keys, api_settings
):
    from activation.consent_published import refusals_path
    from activation.consent_since_build import consent_for_sending
    from core.warehouse import connect

    customer_id, email, segment = _sendable_subscriber(api_settings)
    headers = {"X-API-Key": keys["reader"]}
    before = client.get(f"/v1/customers/{customer_id}", headers=headers).json()
    assert before["consent"]["email"]["sendable"] and before["consent"]["email"]["granted"]
    assert customer_id in members(client, headers, segment, "email")
    everyone_else = [c for c in members(client, headers, segment, "email") if c != customer_id]

    land_unsubscribe(api_settings, email)

    after = client.get(f"/v1/customers/{customer_id}", headers=headers).json()
    assert after["run_id"] == "run-1"  # no build and no publish since
    assert after["consent"]["email"]["granted"] is False
    assert after["consent"]["email"]["sendable"] is False
    assert after["consent"]["email"]["source"] == "email.activity.unsubscribe"
    assert after["consent"]["sms"] == before["consent"]["sms"]
    assert members(client, headers, segment, "email") == everyone_else
    assert "not sendable" in _console_consent_row(client, keys["reader"], customer_id, "email")
    # the exports read the same rule over the warehouse, and answer the same
    with connect(api_settings) as con:
        relation = consent_for_sending(con, api_settings, "the test")
        exported = con.execute(
            f"select is_consent_granted, is_sendable from {relation} "
            "where customer_id = ? and channel = 'email'",
            [customer_id],
        ).fetchone()
    assert exported == (False, False)
    # beside the snapshot: customer, channel, time and source, no e-mail or record id
    published = pq.read_table(refusals_path(api_settings))
    assert published.column_names == ["customer_id", "channel", "decided_at", "source"]
    assert email not in str(published.to_pylist())


def test_a_refusal_older_than_the_consent_in_force_changes_no_answer(client, keys, api_settings):
    from cdp import pipeline

    customer_id, email, segment = _sendable_subscriber(api_settings)
    headers = {"X-API-Key": keys["reader"]}
    before = client.get(f"/v1/customers/{customer_id}", headers=headers).json()
    folder = api_settings.landing_dir / "email"
    (folder / "activity_19990101.csv").write_text(  # a late file of very old activity
        f"{ACTIVITY_HEADER}\nc-old,Old,{email},unsubscribe,1999-01-01 10:00:00,,\n",
        encoding="utf-8",
    )
    assert pipeline.ingest_sources(api_settings, ["email"])["files_loaded"] == 1

    assert client.get(f"/v1/customers/{customer_id}", headers=headers).json() == before
    assert customer_id in members(client, headers, segment, "email")


def test_cdp_ingest_run_by_hand_publishes_the_refusal_for_the_api(api_settings, monkeypatch):
    from typer.testing import CliRunner

    from activation.consent_published import refusals_path
    from cdp.cli import app

    customer_id, email, _ = _sendable_subscriber(api_settings)
    write_unsubscribe(api_settings, email)
    monkeypatch.setenv("CDP_DATA_DIR", str(api_settings.data_dir))

    result = CliRunner().invoke(app, ["ingest", "--source", "email"])

    assert result.exit_code == 0, result.output
    published = pq.read_table(refusals_path(api_settings)).to_pylist()
    assert {(r["customer_id"], r["channel"]) for r in published} == {(customer_id, "email")}
