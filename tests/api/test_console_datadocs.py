"""Data Docs served offline: every asset GX's page templates link is shipped and rewritten,
and the docs route serves nothing outside the site."""

from __future__ import annotations

import re
from pathlib import Path

import great_expectations

TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
STATIC = Path(__file__).resolve().parents[2] / "api" / "console" / "static"


def test_every_asset_gx_templates_link_is_shipped_with_its_licence():
    from api.console.datadocs import ASSETS, offline
    from api.console.datadocs import STATIC as MOUNTED

    text = "".join(
        (TEMPLATES / name).read_text(encoding="utf-8")
        for name in ("page.j2", "index_page.j2", "page_minimal.j2", "js_script_imports.j2")
    )
    rewritten = offline(text)
    left = re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="(https?://[^"]+)"', rewritten)
    assert left == [], "a GX asset is still linked from outside: ship it and map it"
    for local in set(ASSETS.values()):
        shipped = STATIC / "datadocs" / local
        assert shipped.is_file() and shipped.stat().st_size > 0, local
        assert f"{MOUNTED}/{local}" in rewritten or local.endswith(".css")
        package = shipped.parent if shipped.parent.name != "css" else shipped.parent.parent
        assert any(package.glob("LICENSE*")), f"no licence beside {local}"
    # unminified copies and source maps are not shipped: the pages need neither
    shipped = [p for p in (STATIC / "datadocs").rglob("*") if p.suffix in (".js", ".css")]
    assert all(".min." in p.name for p in shipped), shipped


def test_docs_route_needs_a_sign_in_and_stays_inside_the_site(client, keys, api_settings):
    from api.console.datadocs import site_root

    site = site_root(api_settings.reports_dir)
    site.mkdir(parents=True, exist_ok=True)
    (site / "index.html").write_text(
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/'
        'bootstrap.min.css"/><img src="https://great-expectations-web-assets.s3.us-east-2.'
        'amazonaws.com/logo-long.png?d=1&dataContextId=x"><p>suites</p>',
        encoding="utf-8",
    )
    (site.parent / "secret.txt").write_text("outside the site", encoding="utf-8")
    assert client.get("/console/quality/docs/", follow_redirects=False).status_code == 303
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/login").text).group(1)
    client.post("/console/login", data={"secret": keys["reader"], "csrf": csrf})
    page = client.get("/console/quality/docs/")
    assert page.status_code == 200 and "suites" in page.text
    assert "/console/static/datadocs/bootstrap-4.3.1/bootstrap.min.css" in page.text
    assert "/console/quality/docs/static/images/logo-long.png" in page.text
    assert "https://" not in page.text
    assert client.get("/console/quality/docs/../secret.txt").status_code == 404
    assert client.get("/console/quality/docs/%2e%2e/secret.txt").status_code == 404
    assert 'id="data-docs"' in client.get("/console/quality").text
