"""Forget finds a person by any spelling of their e-mail, erases every identifier, and
re-sent exports (GA4 rows keyed only by the cookie or the account id included) stay out."""

from __future__ import annotations

import json

from privacy_scan import byte_scan, identifier_forms, other_spelling, resend_all, rewritten_person

import ingestion
from core.identifiers import configured_email_rules
from core.warehouse import connect
from privacy.erase import forget


def _ga4_rows_keyed_by_one_identifier(settings, cookie: str, account: str) -> None:
    """A new GA4 export with one event under a new cookie but her account id, and one under
    her cookie with no account id."""
    template = json.loads(
        next((settings.landing_dir / "web").glob("ga4_*.jsonl")).open().readline()
    )
    rows = [
        template | {"user_pseudo_id": "42.4242424242", "user_id": account},
        template | {"user_pseudo_id": cookie, "user_id": None},
        template | {"user_pseudo_id": "43.4343434343", "user_id": None},  # someone else
    ]
    path = settings.landing_dir / "web" / "ga4_events_20991231.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_forget_by_another_spelling_erases_every_identifier_and_resent_rows_stay_out(resolved):
    customer_id, raw_email = rewritten_person(resolved)
    forms = identifier_forms(
        resolved, customer_id, configured_email_rules(resolved.identity_config_path)
    )
    with connect(resolved) as con:
        cookie, account = con.execute(
            "select max(source_key) filter (where identity_type = 'web_cookie'), "
            "max(source_key) filter (where identity_type = 'web_account') "
            "from identity.customer_records where customer_id = ?",
            [customer_id],
        ).fetchone()
    assert byte_scan(resolved.data_dir, forms, ("landing", "truth"))  # the scan sees her

    report = forget(resolved, other_spelling(raw_email))

    assert report.identifier_kind == "email" and report.customers_erased == 1
    with connect(resolved) as con:
        kinds = {
            r[0]
            for r in con.execute("select identifier_kind from ops.erasure_tombstones").fetchall()
        }
        gone = con.execute(
            "select count(*) from identity.customers where customer_id = ?", [customer_id]
        ).fetchone()[0]
    assert gone == 0
    assert {"email", "web_account", "web_cookie"} <= kinds
    assert byte_scan(resolved.data_dir, forms, ("landing", "truth")) == []

    resend_all(resolved.landing_dir)
    _ga4_rows_keyed_by_one_identifier(resolved, cookie, account)
    loaded = [f for f in ingestion.ingest(resolved).files if f.status == "loaded"]

    for f in loaded:
        assert f.rows_read == f.rows_accepted + f.rows_quarantined + f.rows_suppressed, f
    by_file = {f.file_path: f for f in loaded}
    crafted = by_file["web/ga4_events_20991231.jsonl"]
    assert (crafted.rows_read, crafted.rows_accepted, crafted.rows_suppressed) == (3, 1, 2)
    resent_ga4 = [f for p, f in by_file.items() if p.startswith("web/ga4_events_resent")]
    assert sum(f.rows_suppressed for f in resent_ga4) > 0
    with connect(resolved) as con:
        ledger = con.execute(
            "select sum(rows_read), sum(rows_accepted + rows_quarantined + rows_suppressed), "
            "sum(rows_suppressed) from ops.load_ledger where status = 'loaded'"
        ).fetchone()
    assert ledger[0] == ledger[1] and ledger[2] == sum(f.rows_suppressed for f in loaded)
    assert byte_scan(resolved.data_dir, forms, ("landing", "truth")) == []
