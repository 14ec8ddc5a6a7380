"""Access never hands a requester the data of a namesake identity merged into their customer."""

from __future__ import annotations

import json

from privacy_scan import rewritten_person

from core.warehouse import connect
from privacy.access import access


def _wrongly_merge_a_stranger(settings, customer_id: str) -> tuple[str, str]:
    """Move another customer's subscriber record into ``customer_id``, as an over-merge
    would; returns the stranger's record id and e-mail."""
    with connect(settings) as con:
        record_id, email = con.execute(
            "select record_id, r.email from identity.customer_records m "
            "join identity.identity_records r using (record_id) "
            "where m.customer_id <> ? and m.identity_type = 'email_subscriber' "
            "order by record_id limit 1",
            [customer_id],
        ).fetchone()
        con.execute(
            "update identity.customer_records set customer_id = ? where record_id = ?",
            [customer_id, record_id],
        )
    return record_id, email


def test_access_lists_a_namesake_record_without_its_data_and_asks_for_review(resolved):
    customer_id, raw_email = rewritten_person(resolved)
    stranger, stranger_email = _wrongly_merge_a_stranger(resolved, customer_id)

    document = json.loads(access(resolved, raw_email.upper()).read_text(encoding="utf-8"))

    assert document["needs_review"] is True
    assert document["unverified_records"] == [
        {"record_id": stranger, "identity_type": "email_subscriber", "data": "withheld"}
    ]
    assert document["customer_ids"] == [customer_id]
    assert "golden_record" not in document and "profile" not in document
    assert "withheld" in document["customer_level_data"]
    own = {r["record_id"] for r in document["source_identities"]}
    assert own and stranger not in own
    assert any(r["identity_type"] == "web_cookie" for r in document["source_identities"])
    text = json.dumps(document).lower()
    assert stranger_email.lower() not in text  # not in identities, raw rows or quarantine


def test_access_without_namesake_answers_in_full(resolved):
    customer_id, raw_email = rewritten_person(resolved)

    document = json.loads(access(resolved, raw_email).read_text(encoding="utf-8"))

    assert document["needs_review"] is False and document["unverified_records"] == []
    assert document["golden_record"][0]["customer_id"] == customer_id
    assert document["raw"]["raw.web__events"]  # her cookie's events, found through the account
