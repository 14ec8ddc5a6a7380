"""`cdp serve add-key` prints a key once and stores its hash; `cdp serve` binds 127.0.0.1
unless told otherwise."""

from __future__ import annotations

from typer.testing import CliRunner


def test_add_key_prints_the_key_once_and_stores_only_its_hash(settings, monkeypatch):
    from api.keys import find_key, load_keys
    from cdp.cli import app

    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(
        app, ["serve", "add-key", "eshop", "--scopes", "profiles:read,identify"]
    )
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[0]
    stored = settings.api_keys_path.read_text(encoding="utf-8")
    assert key.startswith("cdp_") and key not in stored
    found = find_key(load_keys(settings.api_keys_path), key)
    assert found is not None and found.scopes == ("profiles:read", "identify")
    again = CliRunner().invoke(app, ["serve", "add-key", "eshop", "--scopes", "admin"])
    assert again.exit_code == 1 and "exists" in again.output
    wrong = CliRunner().invoke(app, ["serve", "add-key", "x", "--scopes", "root"])
    assert wrong.exit_code == 1 and "profiles:read" in wrong.output


def test_serve_binds_loopback_unless_an_address_is_given(settings, monkeypatch):
    import uvicorn

    from cdp.cli import app

    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app_, **kwargs: calls.append(kwargs))
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    assert CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "9001"]).exit_code == 0
    assert (calls[0]["host"], calls[0]["port"], calls[0]["access_log"]) == (
        "127.0.0.1",
        8600,
        False,
    )
    assert (calls[1]["host"], calls[1]["port"]) == ("0.0.0.0", 9001)
