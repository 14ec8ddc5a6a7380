"""Sentiment of a French customer message: lexicon rules, a self-trained classifier, the rating.

1. ``rule_score``: the lexicon with phrases, negation (a negator up to three words before
   flips and damps a word), contrast (the clause after "mais" outweighs the one before) and
   irony (praise words next to complaint facts count as complaints); requests and questions
   are damped toward neutral.
2. ``SentimentModel.fit``: a logistic regression on TF-IDF of lemmas, trained on the
   messages the rules are confident about in the corpus being analysed (no labels needed,
   nothing downloaded); it carries the rules' verdict to words the lexicon lacks.
3. A rating or CSAT moves the score by at most ``rating_weight``: a signal, not the answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from voice._text import Prepared, fold
from voice.lexicon import (
    COMPLAINT_FACTS,
    CONCESSIONS,
    CONTRASTS,
    INTENSIFIERS,
    IRONY_PRONE,
    NEGATIVE_STEMS,
    NEGATORS,
    PHRASES,
    POSITIVE_STEMS,
    QUESTION_OPENERS,
)

LABELS = ("negative", "neutral", "positive")
_STEMS = {**POSITIVE_STEMS, **NEGATIVE_STEMS}
_STEMS_LONGEST_FIRST = sorted(_STEMS, key=len, reverse=True)
# words a short stem would otherwise catch: bon-jour, cher-cher, bien-tôt
_NOT_SENTIMENT = {"bonjour", "bonsoir", "chercher", "cherche", "cherchais", "bientot", "volonte"}
_WORD = re.compile(r"[a-z0-9%€-]+")
_CONTRAST = re.compile(r"\b(?:" + "|".join(CONTRASTS) + r")\b")
_CONCESSION = re.compile(r"\b(?:" + "|".join(CONCESSIONS) + r")\b")


@dataclass(frozen=True)
class SentimentParams:
    """Weights and thresholds; tuned on the benchmark's dev third only."""

    classifier_weight: float = 0.3
    rating_weight: float = 0.15
    negative_below: float = -0.15
    positive_above: float = 0.2


@dataclass(frozen=True)
class Sentiment:
    label: str
    score: float  # -1 (very negative) .. +1 (very positive)


def _stem_weight(word: str) -> float:
    if word in _NOT_SENTIMENT:
        return 0.0
    for stem in _STEMS_LONGEST_FIRST:
        if word.startswith(stem) and (len(stem) >= 5 or len(word) - len(stem) <= 3):
            return _STEMS[stem]
    return 0.0


def _negated(words: list[str], index: int) -> bool:
    window = words[max(0, index - 3) : index]
    for offset, word in enumerate(window):
        if word == "plus":  # "plus" negates only after "ne": "plus agréable" is praise
            before = window[:offset] or words[max(0, index - 5) : index - 3]
            if "ne" in before or "n" in before:
                return True
        elif word in NEGATORS:
            return True
    return False


def _clause_score(clause: str, ironic: bool) -> float:
    words = _WORD.findall(clause)
    total = 0.0
    for index, word in enumerate(words):
        weight = _stem_weight(word)
        if not weight:
            continue
        if ironic and weight > 0 and any(word.startswith(p) for p in IRONY_PRONE):
            weight = -abs(weight)
        elif _negated(words, index):
            weight = -0.7 * weight
        if index and words[index - 1] in INTENSIFIERS:
            weight *= 1.5
        total += weight
    return total


def rule_score(text: str) -> float:
    """Lexicon score of one message in -1..1 (0 when nothing in it carries sentiment)."""
    folded = fold(text).replace("pas du tout", "pas").replace("pas vraiment", "pas")
    raw = 0.0
    for phrase in sorted(PHRASES, key=len, reverse=True):
        if phrase in folded:
            raw += PHRASES[phrase]
            folded = folded.replace(phrase, " | ")
    folded = re.sub(r"\b([jmtsnlcd])'", r"\1' ", folded)
    words = set(_WORD.findall(folded))
    complaint = any(fact in folded for fact in COMPLAINT_FACTS) or raw <= -2
    praise = any(word.startswith(p) for word in words for p in IRONY_PRONE)
    ironic = praise and complaint
    clauses = _CONTRAST.split(folded)
    conceded = _CONCESSION.split(folded, maxsplit=1)
    if len(clauses) == 1 and len(conceded) == 2:
        raw += _clause_score(conceded[0], ironic) + 0.4 * _clause_score(conceded[1], ironic)
    elif len(clauses) > 1:
        raw += sum(0.6 * _clause_score(clause, ironic) for clause in clauses[:-1])
        raw += 1.5 * _clause_score(clauses[-1], ironic)
    else:
        raw += _clause_score(folded, ironic)
    stripped = folded.strip()
    if stripped.endswith("?") or stripped.startswith(QUESTION_OPENERS):
        raw *= 0.5
    if "!!" in folded or "??" in folded:
        raw *= 1.3
    return math.tanh(raw / 3)


def rating_signal(rating: float | None) -> float:
    """A 1-5 rating or CSAT as -1..1 (0 when absent)."""
    if rating is None or (isinstance(rating, float) and math.isnan(rating)):
        return 0.0
    return max(-1.0, min(1.0, (float(rating) - 3) / 2))


def label_of(score: float, params: SentimentParams) -> str:
    if score < params.negative_below:
        return "negative"
    if score > params.positive_above:
        return "positive"
    return "neutral"


class SentimentModel:
    """Rules plus a classifier trained on the rules' confident verdicts over ``messages``."""

    def __init__(self, params: SentimentParams | None = None) -> None:
        self.params = params or SentimentParams()
        self._classifier: Any = None

    def fit(self, messages: list[Prepared]) -> SentimentModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        scores = [rule_score(m.text) for m in messages]
        docs, targets = [], []
        for message, score in zip(messages, scores, strict=True):
            if abs(score) >= 0.35 or abs(score) < 0.02:
                docs.append(" ".join(message.lemmas))
                targets.append(
                    LABELS[0] if score <= -0.35 else LABELS[2] if score >= 0.35 else LABELS[1]
                )
        if len(set(targets)) < 3:  # too few confident messages to learn from: rules alone
            return self
        self._classifier = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
            LogisticRegression(max_iter=1000, C=2.0, class_weight="balanced"),
        ).fit(docs, targets)
        return self

    def classifier_scores(self, messages: list[Prepared]) -> list[float]:
        if self._classifier is None:
            return [0.0] * len(messages)
        classes = list(self._classifier.classes_)
        probabilities = self._classifier.predict_proba([" ".join(m.lemmas) for m in messages])
        neg, pos = classes.index("negative"), classes.index("positive")
        return [float(p[pos] - p[neg]) for p in probabilities]

    def score(self, messages: list[Prepared], ratings: list[float | None]) -> list[Sentiment]:
        p = self.params
        results = []
        learned = self.classifier_scores(messages)
        for message, rating, clf in zip(messages, ratings, learned, strict=True):
            text_score = (1 - p.classifier_weight) * rule_score(
                message.text
            ) + p.classifier_weight * clf
            score = max(-1.0, min(1.0, text_score + p.rating_weight * rating_signal(rating)))
            results.append(Sentiment(label=label_of(score, p), score=round(score, 3)))
        return results
