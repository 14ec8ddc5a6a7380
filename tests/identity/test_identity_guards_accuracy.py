"""Accuracy floors on the generator's data: generate, ingest, resolve, evaluate, end to end.

The floors sit a little below the figures measured when they were set (see each test), so a
regression fails while run-to-run noise does not. The 5000-person run takes about 8 s.
"""

from __future__ import annotations

import pytest

import identity


def _resolve_generated(settings, people: int) -> dict:
    from ingestion.load import ingest
    from sample_data.generate import generate

    generate(settings, people=people, seed=42)
    ingest(settings)
    identity.resolve(settings, full=True)
    return identity.evaluate(settings)


def test_accuracy_floor_on_small_generated_data(settings):
    result = _resolve_generated(settings, people=800)
    metrics = result["identified"]
    # Measured (800 people, seed 42): precision 0.997, recall 0.893, F1 0.942. Since the
    # sample carries reviews and social mentions (issue 19), recall counts authors known only
    # by a handle and a display name, which nothing links to their other records (a name
    # alone is no evidence): before them, precision 0.978, recall 0.946, F1 0.962.
    # With SMS recipients (a phone alone, some of it a household's) and the match threshold
    # raised to 0.93 for namesake-dense populations (issue 12): precision 0.992, recall
    # 0.876, F1 0.930. With typo'd copies told from household members (issue 12, behaviour
    # 5: swapped names either way round, two records bearing one's name and the other's
    # birth date): unchanged here, precision 0.992, recall 0.876, F1 0.930, B-cubed 0.956.
    assert metrics["pairwise_precision"] >= 0.97
    assert metrics["pairwise_f1"] >= 0.925
    assert result["false_merge_pairs_by_case"]["same_household"] <= 10


# Slow (5000 people); the 800-person floor above runs by default.
@pytest.mark.slow
def test_accuracy_target_on_default_generated_data(settings):
    result = _resolve_generated(settings, people=5000)
    metrics = result["identified"]
    # Measured (5000 people, seed 42): precision 0.9967, recall 0.9069, F1 0.9497, B-cubed
    # F1 0.968; 37 wrongly merged pairs inside households. Recall counts the social-mention
    # authors known only by a handle (see above); before the review and social sources:
    # precision 0.9954, recall 0.9557, F1 0.9751, B-cubed F1 0.984, 27 household pairs.
    # With SMS recipients and the 0.93 threshold (see above): F1 0.931, B-cubed F1 0.955,
    # 45 household pairs (SMS recipients known by a household's phone). With typo'd copies
    # told from household members (see above): precision 0.996, recall 0.875, F1 0.932,
    # B-cubed F1 0.955, 45 household pairs: the F1 floor back to 0.93. With a record
    # without a first name placed on one person only where the home, phone or e-mail it
    # shares is known to hold one first name (issue 12, `household_evidence_only`):
    # precision 0.9968, recall 0.8747, F1 0.9318, B-cubed 0.955, 38 household pairs.
    assert metrics["pairwise_precision"] >= 0.99
    assert metrics["pairwise_f1"] >= 0.93
    assert metrics["bcubed_f1"] >= 0.95
    assert result["false_merge_pairs_by_case"]["same_household"] <= 40
    # the planted junk (test@test.com on 40 accounts, 0000000000, the stores' numbers, the
    # till's default card) is blocked or refused, and merges no junk user with another
    assert result["false_merge_pairs_by_case"].get("junk_identifier", 0) <= 10
