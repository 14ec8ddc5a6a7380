"""A person forgotten after the last build is answered by no endpoint, under any identifier:
neither by the generation serving when `forget` ran (the forgotten list) nor by the snapshot
`forget` republished."""

from __future__ import annotations

import re
import time

from api_consent import land_unsubscribe, members
from api_snapshot import snapshot_rows


def _person(settings) -> dict:
    """Someone with an e-mail subscription, a phone, a loyalty card and a segment."""
    row = snapshot_rows(
        settings,
        """select g.customer_id, g.email, g.phone, g.first_name, g.last_name, e.source_key,
  l.source_key, s.segment
from marts.golden_records g
join identity.customer_records e on e.customer_id = g.customer_id
  and e.identity_type = 'email_subscriber'
join identity.customer_records l on l.customer_id = g.customer_id
  and l.identity_type = 'loyalty_card'
join marts.customer_segments s on s.customer_id = g.customer_id
where g.phone like '+33%' and g.first_name is not null and g.last_name is not null
order by 1 limit 1""",
    )[0]
    names = ("customer_id", "email", "phone", "first", "last", "typed_email", "card", "segment")
    return dict(zip(names, row, strict=True))


def _wait_for_new_generation(client, timeout: float = 120) -> None:
    """Until the API serves the snapshot file `forget` republished (same run id)."""
    from api.snapshots import _stamp
    from core.snapshot import snapshot_path

    pool = client.app.state.pool
    published = _stamp(snapshot_path(pool.settings))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client.get("/v1/health")  # a request notices the new file and opens it
        if pool._current is not None and pool._current.stamp == published:
            return
        time.sleep(0.2)
    raise AssertionError("the API never opened the republished snapshot")


def _nothing_answers(client, keys, person: dict) -> None:
    reader = {"X-API-Key": keys["reader"]}
    customer_id = person["customer_id"]
    local, domain = person["typed_email"].split("@")
    national = "0" + person["phone"][3:]
    lookups = [
        {"email": person["email"]},
        {"email": f"  {local.upper()}+news@{domain.upper()} "},  # folds to the same address
        {"phone": person["phone"]},
        {"phone": " ".join(national[i : i + 2] for i in range(0, 10, 2))},
        {"loyalty_card": person["card"]},
    ]
    for params in lookups:  # 404, or only the others who share that phone or address
        answer = client.get("/v1/customers", params=params, headers=reader)
        assert answer.status_code in (200, 404), params
        assert customer_id not in answer.text, params
    assert client.get(f"/v1/customers/{customer_id}", headers=reader).status_code == 404
    assert client.get(f"/v1/customers/{customer_id}/timeline", headers=reader).status_code == 404
    for channel in ("email", "sms"):
        assert customer_id not in members(client, reader, person["segment"], channel)

    identifier = {"X-API-Key": keys["identifier"]}
    by_card = client.post("/v1/identify", json={"loyalty_card": person["card"]}, headers=identifier)
    scored = client.post(
        "/v1/identify",
        json={
            "first_name": person["first"],
            "last_name": person["last"],
            "email": person["email"],
            "phone": person["phone"],
        },
        headers=identifier,
    )
    for answer in (by_card.json(), scored.json()):
        assert answer["customer_id"] != customer_id
        assert customer_id not in str(answer) and person["card"] not in str(answer)
        assert local.lower() not in str(answer).lower()

    page = client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/console/login", data={"username": "", "secret": keys["reader"], "csrf": csrf})
    assert client.get(f"/console/customers/{customer_id}").status_code == 404
    assert customer_id not in client.get("/console/review").text
    for text in (person["email"], person["card"]):
        assert customer_id not in client.get("/console/", params={"q": text}).text


def test_forgotten_person_is_answered_by_no_endpoint_under_any_identifier(
    client, keys, api_settings
):
    from activation.consent_published import refusals_path
    from privacy.erase import forget

    person = _person(api_settings)
    reader = {"X-API-Key": keys["reader"]}
    assert client.get(f"/v1/customers/{person['customer_id']}", headers=reader).status_code == 200
    land_unsubscribe(api_settings, person["typed_email"])  # the refusals file names them
    assert refusals_path(api_settings).exists()

    forget(api_settings, person["card"])

    _nothing_answers(client, keys, person)  # the generation open when forget ran
    _wait_for_new_generation(client)
    _nothing_answers(client, keys, person)  # the snapshot forget republished
    # the refusals the API applies no longer name them (nothing else was loaded: no file)
    assert not refusals_path(api_settings).exists()
