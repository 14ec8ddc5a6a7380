"""`cdp profiles docs`: an index.html that works from disk, served on 127.0.0.1 with --serve,
and the exposures (golden-record export, audiences, API) in the lineage."""

from __future__ import annotations

import json
import threading
import urllib.request

# docs_folder (conftest.py): `cdp profiles docs`, run once per session on the built warehouse


def test_index_html_opens_from_disk(docs_folder):
    index = (docs_folder / "index.html").read_text(encoding="utf-8")

    # dbt's dynamic page fetches manifest.json, which file:// refuses; this one inlines it
    assert index == (docs_folder / "static_index.html").read_text(encoding="utf-8")
    assert "customer_profile" in index and "golden_record_export" in index


def test_serve_binds_loopback_and_serves_the_site(docs_folder):
    from profiles.dbt_docs import serve_docs

    server = serve_docs(docs_folder, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        with urllib.request.urlopen(f"http://{host}:{port}/index.html", timeout=10) as page:
            body = page.read().decode("utf-8")
    finally:
        server.shutdown()
        server.server_close()

    assert host == "127.0.0.1"
    assert "customer_profile" in body


def test_exposures_name_what_reads_the_marts(docs_folder):
    manifest = json.loads((docs_folder / "manifest.json").read_text(encoding="utf-8"))
    exposures = {e["name"]: e["depends_on"]["nodes"] for e in manifest["exposures"].values()}

    assert set(exposures) == {"golden_record_export", "audiences", "customer_api"}
    assert "model.cdp_profiles.golden_records" in exposures["golden_record_export"]
    assert "model.cdp_profiles.customer_segments" in exposures["audiences"]
    assert "model.cdp_profiles.customer_timeline" in exposures["customer_api"]
