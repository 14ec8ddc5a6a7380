"""What a scored pair keeps of its comparisons, and a model that does not depend on the order
of Splink's input rows."""

from __future__ import annotations

import json
import math

import duckdb
import pytest


def test_top_comparisons_keep_the_strongest_for_then_every_one_against_as_the_realtime_scorer():
    """Five comparisons, three kept for the link: phone 9 + 1 (its term frequency) = 10,
    then last_name and first_name (5 each: equal sizes fall in reverse name order), not
    email (0.5); then every comparison against it, birth_date (-3.25). The real-time scorer
    lists the same reasons from the same weights (``ModelWeights.reasons``)."""
    from identity._links import _explanations_sql
    from identity._realtime_weights import ModelWeights, _Level

    labels = {
        "first_name": {-1: "null", 0: "other", 1: "exact first name"},
        "last_name": {-1: "null", 0: "other", 1: "o'neil, typed twice"},  # a quote survives
        "phone": {-1: "null", 0: "other", 1: "same phone"},
        "birth_date": {-1: "null", 0: "another birth date", 1: "same birth date"},
        "email": {-1: "null", 0: "other", 1: "same username"},
    }
    weights = {"first_name": 5.0, "last_name": 5.0, "phone": 9.0, "birth_date": -3.25, "email": 0.5}
    gammas = {"first_name": 1, "last_name": 1, "phone": 1, "birth_date": 0, "email": 1}
    con = duckdb.connect()
    columns = [f"{w} as mw_{c}, {gammas[c]} as gamma_{c}" for c, w in weights.items()]
    con.execute(f"create table scored as select {', '.join(columns)}, 1.0 as mw_tf_adj_phone")
    described = {r[0] for r in con.execute("describe scored").fetchall()}
    explained = _explanations_sql("scored", labels, described, 3)
    text = con.execute(f"select top_comparisons from ({explained})").fetchone()
    assert text is not None
    kept = json.loads(text[0])
    assert kept == [
        {"comparison": "phone", "level": "same phone", "weight": 10.0},
        {"comparison": "last_name", "level": "o'neil, typed twice", "weight": 5.0},
        {"comparison": "first_name", "level": "exact first name", "weight": 5.0},
        {"comparison": "birth_date", "level": "another birth date", "weight": -3.25},
    ]
    levels = {c: _Level(gammas[c], labels[c][gammas[c]], None, 0.0, None) for c in labels}
    adjusted = {**weights, "phone": 10.0}
    assert ModelWeights.reasons(levels, adjusted, 3) == kept


# Slow (a model trained twice, 18 s): `make test-all`.
@pytest.mark.slow
def test_a_model_trained_on_the_same_records_in_another_order_is_the_same(warehouse, tmp_path):
    """Splink's input table is not sorted: its u sample and its prediction slices are picked
    by a hash of the record id, so the rows' order does not change the trained model: the
    same u, and m equal but for the last bits of EM's sums (added in another order)."""
    import identity
    from core.warehouse import connect
    from identity._backend import SplinkTables
    from identity._config import load_identity_config
    from identity._model import RETAINED_COLUMNS, SOURCE_DATASET, model_columns_sql
    from identity._training import train_model

    identity.resolve(warehouse)
    config = load_identity_config(warehouse.identity_config_path)
    models = []
    with connect(warehouse) as con:
        for order in ("asc", "desc"):
            with SplinkTables(con) as splink:
                splink.put(
                    "identity_records",
                    f"select {model_columns_sql()}, "
                    + ", ".join(f"0 as {c}" for c in RETAINED_COLUMNS)
                    + f", identity_type as {SOURCE_DATASET} from identity.identity_records "
                    f"where not is_anonymous order by record_id {order}",
                )
                path = tmp_path / f"model_{order}.json"
                train_model(splink, "identity_records", config, path)
                models.append(json.loads(path.read_text()))
    first, second = ({k: v for k, v in m.items() if k != "linker_uid"} for m in models)
    levels = [
        (a, b)
        for x, y in zip(first.pop("comparisons"), second.pop("comparisons"), strict=True)
        for a, b in zip(x["comparison_levels"], y["comparison_levels"], strict=True)
    ]
    assert first == second and len(levels) > 10
    for a, b in levels:
        assert a.get("u_probability") == b.get("u_probability")
        m_a, m_b = a.get("m_probability"), b.get("m_probability")
        assert (m_a is None) == (m_b is None)
        assert m_a is None or math.isclose(m_a, m_b, rel_tol=1e-9), a["sql_condition"]
