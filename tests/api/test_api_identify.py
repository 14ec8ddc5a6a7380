"""POST /v1/identify: the saved Splink model scores a person against the snapshot's records;
`record: true` queues the contact so the next ingest + resolve take it in."""

from __future__ import annotations

from api_snapshot import snapshot_rows


def _known_person(settings) -> dict:
    row = snapshot_rows(
        settings,
        """select m.customer_id, r.first_name, r.last_name, r.email, r.phone, r.postcode
from identity.identity_records r join identity.customer_records m using (record_id)
where r.first_name is not null and r.last_name is not null and r.email is not null
  and r.phone is not null and r.identity_type = 'web_account'
order by r.record_id limit 1""",
    )[0]
    return dict(
        zip(("customer_id", "first", "last", "email", "phone", "postcode"), row, strict=True)
    )


def test_identify_names_the_customer_with_probability_and_reasons(client, keys, api_settings):
    person = _known_person(api_settings)
    body = {  # as a call-center agent would type it
        "first_name": person["first"].upper(),
        "last_name": person["last"].title(),
        "email": person["email"].upper(),
        "phone": "0" + person["phone"][3:],
    }
    answer = client.post("/v1/identify", json=body, headers={"X-API-Key": keys["identifier"]})
    result = answer.json()
    assert answer.status_code == 200
    assert result["customer_id"] == person["customer_id"]
    assert result["match_probability"] > 0.99
    assert {r["comparison"] for r in result["reasons"]} & {"email", "phone"}
    assert result["run_id"] == "run-1"
    assert "queued_ticket_id" not in result


def test_identify_answers_new_for_a_stranger(client, keys):
    stranger = {"first_name": "Zéphyrin", "last_name": "Quincampoix", "postcode": "29200"}
    answer = client.post("/v1/identify", json=stranger, headers={"X-API-Key": keys["admin"]})
    assert answer.json()["customer_id"] == "new"


def test_identify_by_loyalty_card_is_deterministic(client, keys, api_settings):
    customer_id, card = snapshot_rows(
        api_settings,
        "select customer_id, source_key from identity.customer_records "
        "where identity_type = 'loyalty_card' order by 2 limit 1",
    )[0]
    answer = client.post(
        "/v1/identify", json={"loyalty_card": card}, headers={"X-API-Key": keys["identifier"]}
    ).json()
    assert answer["customer_id"] == customer_id and answer["match_probability"] == 1.0


def test_recorded_contact_joins_its_customer_at_the_next_resolve(client, keys, api_settings):
    from cdp import pipeline

    person = _known_person(api_settings)
    body = {
        "first_name": person["first"],
        "last_name": person["last"],
        "email": person["email"],
        "phone": person["phone"],
        "record": True,
    }
    answer = client.post("/v1/identify", json=body, headers={"X-API-Key": keys["identifier"]})
    ticket = answer.json()["queued_ticket_id"]
    assert list((api_settings.landing_dir / "callcenter").glob(f"tickets_*{ticket.lower()}.csv"))
    pipeline.ingest_sources(api_settings, ["callcenter"])
    pipeline.resolve_identities(api_settings)
    from core.warehouse import connect_read_only

    with connect_read_only(api_settings) as con:
        row = con.execute(
            "select customer_id from identity.customer_records where record_id = ?",
            [f"callcenter_caller:{ticket}"],
        ).fetchone()
    assert row == (person["customer_id"],)


def test_an_identifier_the_guards_blocked_identifies_nobody(client, keys, api_settings):
    blocked = snapshot_rows(
        api_settings,
        """select b.identifier_value from identity.blocked_identifiers b
join identity.identity_records r on r.email = b.identifier_value
where b.identifier_type = 'email' order by b.record_count desc limit 1""",
    )
    assert blocked, "the sample plants junk e-mails that the guards block"
    answer = client.post(
        "/v1/identify", json={"email": blocked[0][0]}, headers={"X-API-Key": keys["identifier"]}
    ).json()
    assert answer["customer_id"] == "new"
