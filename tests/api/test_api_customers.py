"""The read endpoints against a real published snapshot: keys and scopes, the golden record,
identifier lookups standardised as the pipeline does, timeline and segment pagination."""

from __future__ import annotations

from api_snapshot import snapshot_rows


def _richest(settings) -> tuple[str, str, str | None]:
    return snapshot_rows(
        settings,
        "select customer_id, email, phone from marts.customer_profile where email is not null "
        "and phone is not null order by lifetime_revenue desc, customer_id limit 1",
    )[0]


def test_no_key_is_401_unknown_key_401_and_wrong_scope_403(client, keys, api_settings):
    customer_id, _, _ = _richest(api_settings)
    url = f"/v1/customers/{customer_id}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"X-API-Key": "cdp_not-a-key"}).status_code == 401
    assert client.get(url, headers={"X-API-Key": keys["identifier"]}).status_code == 403
    assert client.get(url, headers={"X-API-Key": keys["reader"]}).status_code == 200
    assert client.get(url, headers={"Authorization": f"Bearer {keys['admin']}"}).status_code == 200
    identify = client.post("/v1/identify", json={}, headers={"X-API-Key": keys["reader"]})
    assert identify.status_code == 403


def test_keys_are_kept_only_as_hashes(keys, api_settings):
    stored = api_settings.api_keys_path.read_text(encoding="utf-8")
    assert "reader" in stored
    assert all(key not in stored for key in keys.values())


def test_customer_answers_golden_record_with_sources_profile_segment_and_consent(
    client, keys, api_settings
):
    customer_id, email, _ = _richest(api_settings)
    answer = client.get(f"/v1/customers/{customer_id}", headers={"X-API-Key": keys["reader"]})
    body = answer.json()
    golden = snapshot_rows(
        api_settings,
        "select email_source, email_updated_at from marts.golden_records where customer_id = ?",
        [customer_id],
    )[0]
    profile = snapshot_rows(
        api_settings,
        "select lifetime_revenue, average_basket, recency_score, preferred_channel, "
        "is_email_consent_granted, is_email_sendable from marts.customer_profile "
        "where customer_id = ?",
        [customer_id],
    )[0]
    segment = snapshot_rows(
        api_settings,
        "select segment from marts.customer_segments where customer_id = ?",
        [customer_id],
    )[0][0]
    assert body["run_id"] == "run-1" and body["as_of"]
    assert body["golden_record"]["email"]["value"] == email
    assert body["golden_record"]["email"]["source"] == golden[0]
    assert body["golden_record"]["email"]["updated_at"] == golden[1].isoformat()
    assert body["lifetime_value"]["lifetime_revenue"] == float(profile[0])
    assert body["average_basket"] == float(profile[1])
    assert body["rfm"]["recency_score"] == profile[2]
    assert body["preferred_channel"] == profile[3]
    assert body["consent"]["email"]["granted"] is profile[4]
    assert body["consent"]["email"]["sendable"] is profile[5]
    assert set(body["consent"]) == {"email", "sms"}
    assert body["segment"]["segment"] == segment


def test_unknown_customer_is_404(client, keys):
    answer = client.get("/v1/customers/C-NOBODY", headers={"X-API-Key": keys["reader"]})
    assert answer.status_code == 404


def test_lookup_standardises_email_and_phone_as_the_pipeline_does(client, keys, api_settings):
    customer_id, email, phone = _richest(api_settings)
    local, domain = email.split("@")
    # upper case, a +tag and spaces: the pipeline's e-mail rule folds them away
    messy_email = f"  {local.upper()}+promo@{domain.upper()} "
    national = "0" + phone[3:]  # +33612345678 -> 06 12 34 56 78
    messy_phone = " ".join(national[i : i + 2] for i in range(0, 10, 2))
    headers = {"X-API-Key": keys["reader"]}
    for params in ({"email": messy_email}, {"phone": messy_phone}):
        answer = client.get("/v1/customers", params=params, headers=headers)
        assert answer.status_code == 200, params
        assert customer_id in answer.json()["customer_ids"]
    card = snapshot_rows(
        api_settings,
        "select source_key from identity.customer_records where customer_id = ? "
        "and identity_type = 'loyalty_card' limit 1",
        [customer_id],
    )
    if card:
        answer = client.get("/v1/customers", params={"loyalty_card": card[0][0]}, headers=headers)
        assert answer.json()["customer_ids"] == [customer_id]
    assert (
        client.get(
            "/v1/customers", params={"email": "nobody@nowhere.fr"}, headers=headers
        ).status_code
        == 404
    )
    assert client.get("/v1/customers", headers=headers).status_code == 400


def test_timeline_pages_newest_first_without_gaps_or_overlaps(client, keys, api_settings):
    customer_id = snapshot_rows(
        api_settings,
        "select customer_id from marts.customer_timeline group by 1 having count(*) >= 5 "
        "order by count(*) desc, 1 limit 1",
    )[0][0]
    expected = [
        r[0]
        for r in snapshot_rows(
            api_settings,
            "select touchpoint_id from marts.customer_timeline where customer_id = ? "
            "order by occurred_at desc, touchpoint_id desc",
            [customer_id],
        )
    ]
    seen, cursor = [], None
    headers = {"X-API-Key": keys["reader"]}
    while True:
        params = {"limit": 2} | ({"before": cursor} if cursor else {})
        page = client.get(f"/v1/customers/{customer_id}/timeline", params=params, headers=headers)
        body = page.json()
        seen += [t["touchpoint_id"] for t in body["touchpoints"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == expected
    bad = client.get(
        f"/v1/customers/{customer_id}/timeline", params={"before": "garbage"}, headers=headers
    )
    assert bad.status_code == 400


def test_segment_members_are_only_the_sendable_ones(client, keys, api_settings):
    segment, consented, everyone = snapshot_rows(
        api_settings,
        "select s.segment, count(*) filter (where p.is_email_sendable), count(*) "
        "from marts.customer_segments s join marts.customer_profile p using (customer_id) "
        "group by 1 having count(*) filter (where not p.is_email_sendable) > 0 "
        "and count(*) filter (where p.is_email_sendable) > 2 order by 1 limit 1",
    )[0]
    assert consented < everyone  # the filter has someone to leave out
    members, after = [], None
    headers = {"X-API-Key": keys["reader"]}
    while True:
        params = {"channel": "email", "limit": 2} | ({"after": after} if after else {})
        body = client.get(f"/v1/segments/{segment}/members", params=params, headers=headers).json()
        members += body["customer_ids"]
        after = body["next"]
        if after is None:
            break
    expected = [
        r[0]
        for r in snapshot_rows(
            api_settings,
            "select customer_id from marts.customer_segments join marts.customer_consent "
            "using (customer_id) where segment = ? and channel = 'email' and is_sendable "
            "order by 1",
            [segment],
        )
    ]
    assert members == expected and len(members) == consented


def test_openapi_page_lists_the_v1_endpoints(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/customers/{customer_id}", "/v1/customers", "/v1/identify"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200
