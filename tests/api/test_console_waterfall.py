"""Each probabilistic link on Customer 360, and each review pair, shows Splink's match-weight
waterfall (prior, every comparison, final probability) drawn as server-side SVG."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import quote

import pytest
from api_snapshot import snapshot_rows


@pytest.fixture
def signed_in(client, keys):
    from api.console.auth import Sessions
    from api.keys import load_keys

    settings = client.app.state.settings
    admin = next(k for k in load_keys(settings.api_keys_path) if k.name == "admin")
    sessions = Sessions(settings.console_users_path, settings.api_keys_path)
    client.cookies.set("cdp_session", sessions.issue(admin))
    return client


def test_waterfall_adds_up_from_the_models_prior_to_the_stored_link_weight(api_settings):
    from api.console.pages import pair_scores
    from api.snapshots import SnapshotPool

    links = snapshot_rows(
        api_settings,
        "select record_id_l, record_id_r, match_weight, match_probability from identity.links "
        "where link_type = 'probabilistic' order by match_weight limit 5",
    )
    model = json.loads((api_settings.model_dir / "identity_model.json").read_text())
    prior = model["probability_two_random_records_match"]
    pool = SnapshotPool(api_settings)
    try:
        with pool.view() as view:
            scores = pair_scores(view, api_settings, [(a, b) for a, b, _, _ in links])
    finally:
        pool.close()
    assert len(scores) == len(links)
    for left, right, weight, probability in links:
        score = scores[(left, right)]
        steps = score["steps"]
        assert steps[0]["comparison"] == "Prior"
        assert steps[0]["weight"] == pytest.approx(math.log2(prior / (1 - prior)))
        # every bar is one comparison (or its term-frequency adjustment) of the model
        names = {c["output_column_name"] for c in model["comparisons"]}
        assert {s["comparison"].removeprefix("tf_") for s in steps[1:]} <= names
        assert steps[-1]["cumulative"] == pytest.approx(score["match_weight"])
        # the stored link's weight is the same, or lower where the household cap took some
        assert weight <= score["match_weight"] + 1e-6
        assert score["for"] and all(c["weight"] > 0 for c in score["for"])
        assert all(c["weight"] < 0 for c in score["against"])
        if weight == pytest.approx(score["match_weight"]):
            assert probability == pytest.approx(score["match_probability"])


def test_customer_360_draws_a_waterfall_for_each_probabilistic_link(signed_in):
    settings = signed_in.app.state.settings
    customer_id, links = snapshot_rows(
        settings,
        """select m.customer_id, count(*) from identity.links l
join identity.customer_records m on m.record_id = l.record_id_l
where l.link_type = 'probabilistic' group by 1 order by 2 desc, 1 limit 1""",
    )[0]
    page = signed_in.get(f"/console/customers/{customer_id}")
    assert page.status_code == 200
    chain = page.text.split("Why these records are one customer")[1].split("</section>")[0]
    drawn = chain.count('class="chart waterfall"')
    # the chain holds one link per record reached: at least one, at most every stored link
    assert 1 <= drawn <= links
    assert "prior (two random records match)" in chain and "final: p = " in chain
    assert "Weighed for" in chain and "Weighed against" in chain


def test_review_pair_page_shows_the_waterfall_and_both_sides_of_the_evidence(signed_in):
    settings = signed_in.app.state.settings
    left, right = snapshot_rows(
        settings,
        "select record_id_l, record_id_r from identity.review_pairs "
        "order by match_probability limit 1",
    )[0]
    queue = signed_in.get("/console/review").text
    link = f"/console/review/pair?left={quote(left)}&amp;right={quote(right)}"
    assert link in queue
    page = signed_in.get(link.replace("&amp;", "&"))
    assert page.status_code == 200
    assert page.text.count('class="chart waterfall"') == 1
    assert "Weighed for" in page.text and "Weighed against" in page.text
    assert left in page.text and right in page.text and "Must link" in page.text
    svg = re.search(r'<svg[^>]*class="chart waterfall".*?</svg>', page.text, re.S).group(0)
    assert svg.count("<rect") >= 3  # prior, at least one comparison, final
    missing = signed_in.get("/console/review/pair?left=nobody:1&right=nobody:2")
    assert missing.status_code == 404
