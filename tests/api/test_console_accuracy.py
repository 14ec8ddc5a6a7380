"""The identity health page shows precision, recall and F1 when labels exist (a truth file
evaluated by `cdp identity evaluate`, or the stewards' decisions), and says how to get
them when none do."""

from __future__ import annotations

import re

import pytest
from api_snapshot import snapshot_rows, wait_for_run


@pytest.fixture
def signed_in(client, keys):
    from api.console.auth import Sessions
    from api.keys import load_keys

    settings = client.app.state.settings
    admin = next(k for k in load_keys(settings.api_keys_path) if k.name == "admin")
    sessions = Sessions(settings.console_users_path, settings.api_keys_path)
    client.cookies.set("cdp_session", sessions.issue(admin))
    return client


def _threshold(settings) -> float:
    from identity._config import load_identity_config

    return load_identity_config(settings.identity_config_path).match_threshold


def _cells(html: str, table_id: str) -> list[str]:
    table = re.search(rf'<table class="accuracy" id="{table_id}">(.*?)</table>', html, re.S)
    return re.findall(r"<td>([^<]*)</td>", table.group(1))


def test_health_page_says_how_to_get_labels_when_there_are_none(signed_in):
    page = signed_in.get("/console/health")
    assert page.status_code == 200
    assert 'id="no-labels"' in page.text and "cdp identity evaluate --truth" in page.text


def test_health_page_shows_the_latest_truth_evaluation(signed_in):
    import identity
    from core.snapshot import publish_snapshot

    settings = signed_in.app.state.settings
    metrics = identity.evaluate(settings)  # the generator's truth file
    publish_snapshot(settings, "run-evaluated")
    wait_for_run(signed_in, "run-evaluated")
    page = signed_in.get("/console/health").text
    assert 'id="no-labels"' not in page and "identity_truth.csv" in page
    row = re.search(r"<tr><td>identified</td>(.*?)</tr>", page, re.S).group(1)
    shown = re.findall(r"<td>([^<]*)</td>", row)
    figures = metrics["identified"]
    assert shown[:4] == [
        str(figures["records"]),
        f"{figures['pairwise_precision']:.4f}",
        f"{figures['pairwise_recall']:.4f}",
        f"{figures['pairwise_f1']:.4f}",
    ]
    assert f"match threshold {_threshold(settings)}" in page


def test_health_page_scores_the_stewards_decisions_as_labels(signed_in):
    from api.console import record
    from api.console.pages import pair_scores
    from api.snapshots import SnapshotPool
    from core.snapshot import publish_snapshot

    settings = signed_in.app.state.settings
    pairs = snapshot_rows(
        settings,
        "select record_id_l, record_id_r from identity.review_pairs "
        "order by match_probability desc limit 3",
    )
    decisions = list(zip(pairs, ("must-link", "cannot-link", "must-link"), strict=True))
    for (left, right), decision in decisions:
        made = record(settings, decision, left, right, "tester", "checked on the phone")
        assert made["ok"], made["message"]
    publish_snapshot(settings, "run-decided")
    wait_for_run(signed_in, "run-decided")
    page = signed_in.get("/console/health").text
    assert 'id="no-labels"' not in page and "3 record-to-record decisions" in page

    pool = SnapshotPool(settings)
    try:
        with pool.view() as view:
            scores = pair_scores(view, settings, [tuple(p) for p in pairs])
    finally:
        pool.close()
    threshold = _threshold(settings)
    called = [scores[tuple(p)]["match_probability"] >= threshold for p in pairs]
    tp = sum(c and d == "must-link" for c, (_, d) in zip(called, decisions, strict=True))
    fp = sum(c and d == "cannot-link" for c, (_, d) in zip(called, decisions, strict=True))
    fn = sum(not c and d == "must-link" for c, (_, d) in zip(called, decisions, strict=True))
    precision = f"{tp / (tp + fp):.3f}" if tp + fp else "–"
    recall = f"{tp / (tp + fn):.3f}" if tp + fn else "–"
    assert _cells(page, "steward-accuracy")[:2] == [precision, recall]
    assert _cells(page, "steward-accuracy")[3:] == [str(tp), str(fp), str(fn)]
