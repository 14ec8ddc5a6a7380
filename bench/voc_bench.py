"""Voice-of-the-customer benchmark on hand-labelled French messages.

    python -m bench.voc_bench [--fixture tests/fixtures/voc_messages.tsv]

Rows whose position is a multiple of three are the dev third: the only rows the sentiment
weights and thresholds are tuned on. Figures are printed for the other two thirds (held out),
beside a rating-only baseline (1-2 negative, 3 neutral, 4-5 positive, no rating neutral).
Topics are discovered without labels on all texts; purity is measured on the held-out rows.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score

from voice._text import prepare
from voice.config import load_feedback_config
from voice.sentiment import LABELS, SentimentModel, SentimentParams
from voice.topics import discover_topics

FIXTURE = Path("tests/fixtures/voc_messages.tsv")
CONFIG = Path("config/feedback.yml")


def _rating(value: str) -> float | None:
    return float(value) if value.strip() else None


def rating_only(rating: float | None) -> str:
    if rating is None:
        return "neutral"
    return "negative" if rating <= 2 else "positive" if rating >= 4 else "neutral"


def purity(gold: list[str], clusters: list[int]) -> float:
    groups: dict[int, Counter[str]] = defaultdict(Counter)
    for label, cluster in zip(gold, clusters, strict=True):
        groups[cluster][label] += 1
    return sum(c.most_common(1)[0][1] for c in groups.values()) / len(gold)


def _scores(gold: list[str], predicted: list[str]) -> tuple[float, float]:
    return accuracy_score(gold, predicted), f1_score(
        gold, predicted, labels=LABELS, average="macro"
    )


def tune(model: SentimentModel, messages, ratings, gold) -> SentimentParams:
    """Grid search on the dev rows only."""
    best, best_f1 = model.params, -1.0
    grid = itertools.product(
        (0.0, 0.15, 0.3, 0.5), (0.0, 0.15, 0.3, 0.45), (-0.25, -0.15, -0.08), (0.1, 0.2, 0.3)
    )
    for clf, rating, neg, pos in grid:
        model.params = SentimentParams(clf, rating, neg, pos)
        f1 = _scores(gold, [s.label for s in model.score(messages, ratings)])[1]
        if f1 > best_f1:
            best, best_f1 = model.params, f1
    model.params = best
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    args = parser.parse_args()
    with args.fixture.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    config = load_feedback_config(CONFIG)
    started = time.perf_counter()
    messages = prepare([r["text"] for r in rows])
    ratings = [_rating(r["rating"]) for r in rows]
    dev = [i for i in range(len(rows)) if i % 3 == 0]
    held = [i for i in range(len(rows)) if i % 3 != 0]

    def pick(items, idx):
        return [items[i] for i in idx]

    gold = [r["sentiment"] for r in rows]
    model = SentimentModel(config.sentiment.params()).fit(messages)  # self-trained: no labels
    configured = [s.label for s in model.score(messages, ratings)]
    tuned = tune(model, pick(messages, dev), pick(ratings, dev), pick(gold, dev))
    predicted = [s.label for s in model.score(messages, ratings)]
    rules_only = replace(tuned, classifier_weight=0.0, rating_weight=0.0)
    model.params = rules_only
    lexicon = [s.label for s in model.score(messages, ratings)]
    baseline = [rating_only(r) for r in ratings]
    topics = discover_topics(messages, config.topics.count, config.topics.names)
    elapsed = time.perf_counter() - started

    held_gold = pick(gold, held)
    rated = [i for i in held if ratings[i] is not None]
    print(
        f"{len(rows)} messages: dev {len(dev)}, held out {len(held)} "
        f"({len(rated)} with a rating); analysed in {elapsed:.1f} s"
    )
    print(f"tuned on dev: {tuned}")
    print(f"{'held-out sentiment':34} {'accuracy':>9} {'macro-F1':>9}")
    for name, labels in (
        ("rating-only baseline", baseline),
        ("lexicon rules, no rating", lexicon),
        ("config/feedback.yml weights", configured),
        ("tuned on dev (rules+clf+rating)", predicted),
    ):
        accuracy, f1 = _scores(held_gold, pick(labels, held))
        print(f"{name:34} {accuracy:9.3f} {f1:9.3f}")
    no_rating = [i for i in held if ratings[i] is None]
    accuracy, f1 = _scores(pick(gold, no_rating), pick(predicted, no_rating))
    print(f"{'  of which without a rating':34} {accuracy:9.3f} {f1:9.3f}")
    held_labels = pick([r["topic"] for r in rows], held)
    one_topic = Counter(held_labels).most_common(1)[0][1] / len(held)
    topic_purity = purity(held_labels, pick(list(topics.assignments), held))
    print(
        f"topic purity (held out, {len(topics.topics)} topics): {topic_purity:.3f} "
        f"(one-topic baseline {one_topic:.3f})"
    )
    for topic in topics.topics:
        print(f"  {topic.label:28} {' '.join(topic.top_terms[:6])}")


if __name__ == "__main__":
    main()
