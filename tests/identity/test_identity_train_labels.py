"""`cdp identity train --labels` on a real warehouse and Splink: m from labelled matches, the
threshold from the labelled precision-recall curve, used by the next run."""

from __future__ import annotations

import json

import pytest
from identity_rows import query
from typer.testing import CliRunner

import identity
from cdp.cli import app
from core.warehouse import connect
from identity._decisions import record_decision


def test_train_with_cluster_labels_picks_the_threshold_the_next_run_uses(
    warehouse, base_data, monkeypatch
):
    from bench.identity_synthetic import write_truth

    truth = warehouse.truth_dir / "identity_truth.csv"
    write_truth(truth, base_data["truth"])
    monkeypatch.setenv("CDP_DATA_DIR", str(warehouse.data_dir))
    monkeypatch.setenv("CDP_SOURCES_DIR", str(warehouse.sources_dir))
    trained = CliRunner().invoke(app, ["identity", "train", "--labels", str(truth)])
    assert trained.exit_code == 0, trained.output
    assert "labelled pairs; threshold" in trained.output
    meta = json.loads((warehouse.model_dir / "identity_model.meta.json").read_text())
    chosen = meta["labels"]
    assert chosen["matches"] > 0 and chosen["non_matches"] > 0
    assert 0 < chosen["match_threshold"] < 1 and chosen["f1"] > 0.9  # on its own labels
    identity.resolve(warehouse, full=True, approve_churn=True)
    (used,) = query(warehouse, "select match_threshold from identity.runs")
    assert used == (chosen["match_threshold"],)


# Slow; by default the cluster-labels test covers train --labels end to end.
@pytest.mark.slow
def test_train_with_labelled_pairs_counts_the_stewards_decisions(warehouse, tmp_path):
    identity.resolve(warehouse)
    a, b, c = (
        r[0]
        for r in query(
            warehouse,
            "select record_id from identity.identity_records where identity_type = "
            "'web_account' order by record_id limit 3",
        )
    )
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"record_id_l,record_id_r,is_match\n{a},{b},0\n", encoding="utf-8")
    with connect(warehouse) as con:
        record_decision(con, "cannot-link", a, c, "ann", "two people")
    result = identity.train(warehouse, labels=pairs)
    # the file's pair and the steward's: both non-matches, so no threshold can be picked
    assert result["labelled_pairs"] == 2
    assert result["labels"] is None
