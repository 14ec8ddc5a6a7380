"""The console in a real headless Chromium (Debian's, driven by Playwright) over a live server.

Search a customer by e-mail and open their page; approve a review pair, resolve, see both
records in one customer; refuse a linked pair, resolve, see them apart; the health page
draws its charts; no request leaves 127.0.0.1. With CDP_REFRESH_SCREENSHOTS=1 the pages are
saved as the PNGs docs/console.md shows.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from api_snapshot import snapshot_rows, wait_for_run

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"


@pytest.fixture
def live_server(api_settings):
    import uvicorn

    from api.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(api_settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Chromium missing: `make browser` (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        yield launched
        launched.close()


def _shot(page, name: str, element: str | None = None) -> None:
    """The viewport, or one element of the page, as docs/console/<name>.png."""
    if os.environ.get("CDP_REFRESH_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        if element:
            page.locator(element).first.screenshot(path=str(SHOTS / f"{name}.png"))
        else:
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def _resolve_and_publish(settings, run_id: str) -> None:
    import identity
    from core.snapshot import publish_snapshot

    identity.resolve(settings, approve_churn=True)
    identity.evaluate(settings)  # against the generator's truth: accuracy on the health page
    publish_snapshot(settings, run_id)


def _customer_of(settings, record_id: str) -> str:
    return snapshot_rows(
        settings,
        "select customer_id from identity.customer_records where record_id = ?",
        [record_id],
    )[0][0]


def test_console_search_review_health_in_chromium(api_settings, keys, live_server, browser):
    requested: list[str] = []
    page = browser.new_page(viewport={"width": 1100, "height": 720})
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{live_server}/console/")
    _shot(page, "sign_in")
    page.fill("#secret", keys["admin"])
    page.click("button[type=submit]")
    customer_id, email = snapshot_rows(
        api_settings,
        "select customer_id, email from marts.customer_profile where email is not null "
        "order by lifetime_revenue desc limit 1",
    )[0]
    page.fill("#q", email.upper())
    page.click("text=Search")
    page.click(f"a:has-text('{customer_id}')")
    assert page.text_content("#customer-id") == customer_id
    assert page.locator("text=Golden record").count() == 1
    _shot(page, "customer_360")
    if page.locator("details.score").count():  # a customer held by a probabilistic link
        assert page.locator("details.score svg.waterfall").count() >= 1
        _shot(page, "customer_360_waterfall", "ol.chain")

    queue = snapshot_rows(
        api_settings,
        "select record_id_l, record_id_r from identity.review_pairs order by match_probability",
    )
    apart = [
        q for q in queue if _customer_of(api_settings, q[0]) != _customer_of(api_settings, q[1])
    ]
    linked = [
        q for q in queue if _customer_of(api_settings, q[0]) == _customer_of(api_settings, q[1])
    ]
    assert apart and linked, "the sample's review band holds pairs both apart and linked"
    page.goto(f"{live_server}/console/review")
    _shot(page, "review_queue")
    page.click("article.pair >> nth=0 >> text=why: match-weight waterfall")
    assert page.locator("svg.waterfall rect").count() >= 3
    assert page.locator("text=Weighed against").count() == 1
    _shot(page, "review_pair")
    page.goto(f"{live_server}/console/review")
    for (left, right), decision in ((apart[0], "Must link"), (linked[0], "Cannot link")):
        pair = page.locator("article.pair").filter(has_text=left).filter(has_text=right).first
        pair.locator("input[name=reason]").fill("checked by phone with the customer")
        pair.locator(f"button:has-text('{decision}')").click()
        pair.locator(".outcome .ok").wait_for()
        assert "recorded" in pair.locator(".outcome").text_content()

    _resolve_and_publish(api_settings, "run-2")
    wait_for_run(httpx.Client(base_url=live_server), "run-2")
    joined = _customer_of(api_settings, apart[0][0])
    assert joined == _customer_of(api_settings, apart[0][1])
    page.goto(f"{live_server}/console/customers/{joined}")
    text = page.text_content("main")
    assert apart[0][0] in text and apart[0][1] in text
    separated = _customer_of(api_settings, linked[0][0])
    assert separated != _customer_of(api_settings, linked[0][1])
    page.goto(f"{live_server}/console/customers/{separated}")
    assert linked[0][1] not in page.text_content("main")

    page.goto(f"{live_server}/console/health")
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart rect").count() > 5
    # the two decisions above are labels: the model's precision/recall on them is shown
    accuracy = page.text_content("#accuracy")
    assert "identity_truth.csv" in accuracy and "2 record-to-record decisions" in accuracy
    _shot(page, "identity_health")

    assert requested and all(url.startswith(live_server) for url in requested), [
        u for u in requested if not u.startswith(live_server)
    ]


def test_data_docs_render_offline_from_the_app_alone(api_settings, keys, live_server, browser):
    from cdp import pipeline
    from core.snapshot import publish_snapshot

    pipeline.check(api_settings, "marts")  # GX validates and builds its Data Docs site
    publish_snapshot(api_settings, "run-checked")  # the results reach the quality page
    wait_for_run(httpx.Client(base_url=live_server), "run-checked")
    context = browser.new_context(viewport={"width": 1100, "height": 720})
    outside: list[str] = []

    def only_loopback(route):
        if route.request.url.startswith(live_server):
            route.continue_()
        else:  # what would have gone to a CDN, or anywhere else, fails here
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto(f"{live_server}/console/quality")
    page.fill("#secret", keys["reader"])
    page.click("button[type=submit]")
    assert page.locator("td.no, td.ok").count() > 0
    _shot(page, "data_quality")
    page.click("#data-docs")
    page.wait_for_load_state("networkidle")
    # the index lists the validation runs in bootstrap-table's table, styled by Bootstrap
    assert page.evaluate("typeof jQuery === 'function' && !!jQuery.fn.bootstrapTable")
    assert page.locator("table tbody tr").count() >= 3
    assert "marts.customer_profile" in page.text_content("body")
    assert page.evaluate("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
    _shot(page, "data_docs")
    # a row opens its validation result (bootstrap-table's click handler, jQuery)
    row = page.locator("tbody tr", has_text="cdp_warehouse-marts.customer_profile").first
    row.locator("td").nth(1).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("text=Expectation Validation Result").count() == 1
    assert page.locator("table").count() >= 2
    assert not outside, outside
    assert not failed, failed
