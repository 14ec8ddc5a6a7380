"""Console sign-in: local users (scrypt hashes written by `cdp console add-user`) and API
keys, a signed session cookie, one message for every failure, scopes enforced per page."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

PASSWORD = "correct horse battery"


def _csrf(client) -> str:
    page = client.get("/console/login")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def _sign_in(client, username: str, secret: str):
    return client.post(
        "/console/login",
        data={"username": username, "secret": secret, "csrf": _csrf(client)},
        follow_redirects=False,
    )


@pytest.fixture
def users(api_settings):
    from api.console.auth import add_user

    add_user(api_settings.console_users_path, "ana", ["profiles:read"], PASSWORD)
    add_user(api_settings.console_users_path, "sam", ["admin"], PASSWORD + "!")
    return api_settings.console_users_path


def test_add_user_cli_reads_the_password_from_stdin_and_stores_only_a_salted_hash(
    settings, monkeypatch
):
    from api.console.auth import load_users, verify_password
    from cdp.cli import app

    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    for name in ("ana", "bob"):
        result = runner.invoke(
            app,
            ["console", "add-user", name, "--scopes", "profiles:read,admin"],
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output
    stored = settings.console_users_path.read_text(encoding="utf-8")
    assert PASSWORD not in stored and "scrypt$" in stored
    users = load_users(settings.console_users_path)
    assert users["ana"].scopes == ("profiles:read", "admin")
    # the same password, two salts: two different hashes, both verify
    assert users["ana"].password_hash != users["bob"].password_hash
    assert verify_password(PASSWORD, users["bob"].password_hash)
    assert not verify_password(PASSWORD + "x", users["bob"].password_hash)
    again = runner.invoke(app, ["console", "add-user", "ana", "--scopes", "admin"], input="x" * 12)
    assert again.exit_code == 1 and "exists" in again.output
    reset = runner.invoke(
        app, ["console", "add-user", "ana", "--scopes", "admin", "--replace"], input="y" * 12
    )
    assert reset.exit_code == 0, reset.output
    ana = load_users(settings.console_users_path)["ana"]
    assert ana.scopes == ("admin",) and verify_password("y" * 12, ana.password_hash)
    assert len(load_users(settings.console_users_path)) == 2
    short = runner.invoke(app, ["console", "add-user", "cy", "--scopes", "admin"], input="short\n")
    assert short.exit_code == 1 and "characters" in short.output


def test_local_user_signs_in_with_a_signed_httponly_strict_session(client, users):
    answer = _sign_in(client, "ana", PASSWORD)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "cdp_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert PASSWORD not in cookie
    page = client.get("/console/")
    assert page.status_code == 200 and "Customer 360" in page.text and "ana" in page.text
    # the session also opens the API's read endpoints, within the user's scopes
    assert client.get("/v1/health").status_code == 200
    # a cookie whose payload was altered (another name) fails its signature
    import base64
    import json

    body, signature = client.cookies.get("cdp_session").rsplit(".", 1)
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**payload, "name": "sam"}).encode()).decode()
    client.cookies.clear()
    client.cookies.set("cdp_session", forged.rstrip("=") + "." + signature)
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_user_get_the_same_answer(client, users):
    wrong_password = _sign_in(client, "ana", PASSWORD + "x")
    unknown_user = _sign_in(client, "nobody", PASSWORD)
    unknown_key = _sign_in(client, "", "cdp_not-a-key")
    assert wrong_password.status_code == unknown_user.status_code == unknown_key.status_code == 401
    message = re.search(r'id="error">([^<]+)<', wrong_password.text).group(1)
    assert message == re.search(r'id="error">([^<]+)<', unknown_user.text).group(1)
    assert message == re.search(r'id="error">([^<]+)<', unknown_key.text).group(1)
    assert "cdp_session" not in client.cookies
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_read_only_user_gets_403_on_decisions_and_admin_does_not(client, users):
    from api_snapshot import snapshot_rows

    pair = snapshot_rows(
        client.app.state.settings, "select record_id_l, record_id_r from identity.review_pairs"
    )[0]
    form = {
        "record_id_l": pair[0],
        "record_id_r": pair[1],
        "decision": "must-link",
        "reason": "same person on the phone",
    }
    assert _sign_in(client, "ana", PASSWORD).status_code == 303
    review = client.get("/console/review")
    assert review.status_code == 200 and "Must link" not in review.text
    refused = client.post("/console/review/decide", data={**form, "csrf": _csrf(client)})
    assert refused.status_code == 403
    assert _sign_in(client, "sam", PASSWORD + "!").status_code == 303
    assert "Must link" in client.get("/console/review").text
    accepted = client.post("/console/review/decide", data={**form, "csrf": _csrf(client)})
    assert accepted.status_code == 200 and "recorded" in accepted.text


def test_api_key_sign_in_still_works_and_a_removed_key_ends_its_session(client, keys):
    assert _sign_in(client, "", keys["reader"]).status_code == 303
    assert client.get("/console/").status_code == 200
    settings = client.app.state.settings
    text = settings.api_keys_path.read_text(encoding="utf-8")
    settings.api_keys_path.write_text(text.replace("name: reader", "name: gone"), "utf-8")
    assert client.get("/console/", follow_redirects=False).status_code == 303
