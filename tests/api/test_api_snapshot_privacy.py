"""What the API reads and hides: one whole published run per request, retired ids redirected
to their survivor, a forgotten person gone from the next request, logs without identifiers."""

from __future__ import annotations

import logging

from api_snapshot import snapshot_rows, wait_for_run


def _two_customers(settings) -> tuple[str, str]:
    rows = snapshot_rows(
        settings,
        "select customer_id from marts.customer_profile order by lifetime_revenue desc, 1 limit 2",
    )
    return rows[0][0], rows[1][0]


def test_a_publish_during_a_request_is_not_seen_by_that_request(client, keys, api_settings):
    from core.snapshot import publish_snapshot
    from core.warehouse import connect

    gone, _ = _two_customers(api_settings)
    pool = client.app.state.pool
    with pool.view() as during:  # a request in flight
        with connect(api_settings) as con:  # the next run drops a customer from the marts
            con.execute("delete from marts.customer_profile where customer_id = ?", [gone])
        publish_snapshot(api_settings, "run-2")
        still = during.cursor.execute(
            "select count(*) from marts.customer_profile where customer_id = ?", [gone]
        ).fetchone()[0]
        assert (during.run["run_id"], still) == ("run-1", 1)
    wait_for_run(client, "run-2")  # the next requests: the new run once it is open
    after = client.get(f"/v1/customers/{gone}", headers={"X-API-Key": keys["reader"]}).json()
    assert after["run_id"] == "run-2" and after["lifetime_value"] == {}


def test_retired_id_redirects_to_the_surviving_customer(client, keys, api_settings):
    import identity
    from core.snapshot import publish_snapshot
    from core.warehouse import connect
    from identity._decisions import record_decision

    left, right = _two_customers(api_settings)
    with connect(api_settings) as con:
        record_decision(con, "must-link", left, right, by="steward", reason="same person")
    identity.resolve(api_settings, approve_churn=True)
    publish_snapshot(api_settings, "run-2")
    wait_for_run(client, "run-2")
    retired, survivor = snapshot_rows(
        api_settings,
        "select retired_customer_id, customer_id from identity.customer_aliases "
        "where retired_customer_id in (?, ?)",
        [left, right],
    )[0]
    headers = {"X-API-Key": keys["reader"]}
    moved = client.get(f"/v1/customers/{retired}", headers=headers, follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == f"/v1/customers/{survivor}"
    followed = client.get(f"/v1/customers/{retired}", headers=headers)
    assert followed.status_code == 200 and followed.json()["customer_id"] == survivor


def test_forgotten_person_is_404_right_after_forget(client, keys, api_settings):
    from privacy.erase import forget

    customer_id, email = snapshot_rows(
        api_settings,
        "select customer_id, email from marts.customer_profile where email is not null "
        "and is_email_consent_granted order by 1 limit 1",
    )[0]
    segment = snapshot_rows(
        api_settings,
        "select segment from marts.customer_segments where customer_id = ?",
        [customer_id],
    )[0][0]
    headers = {"X-API-Key": keys["reader"]}
    assert client.get(f"/v1/customers/{customer_id}", headers=headers).status_code == 200
    forget(api_settings, email)  # the snapshot is not republished: no pipeline run yet
    assert client.get(f"/v1/customers/{customer_id}", headers=headers).status_code == 404
    assert client.get("/v1/customers", params={"email": email}, headers=headers).status_code == 404
    timeline = client.get(f"/v1/customers/{customer_id}/timeline", headers=headers)
    assert timeline.status_code == 404
    members = client.get(
        f"/v1/segments/{segment}/members", params={"limit": 5000}, headers=headers
    ).json()
    assert customer_id not in members["customer_ids"]


def test_access_log_names_customer_ids_never_emails_or_phones(client, keys, api_settings, caplog):
    customer_id, email = snapshot_rows(
        api_settings,
        "select customer_id, email from marts.customer_profile where email is not null "
        "order by 1 limit 1",
    )[0]
    with caplog.at_level(logging.INFO, logger="cdp.api.access"):
        client.get("/v1/customers", params={"email": email}, headers={"X-API-Key": keys["reader"]})
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "cdp.api.access")
    assert customer_id in logged and "/v1/customers" in logged
    assert email not in logged and email.split("@")[0] not in logged
