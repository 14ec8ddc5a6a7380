"""Sentiment reads the text: a rating moves the score, a missing rating changes nothing else."""

from __future__ import annotations

from voice import FeedbackConfig, analyse_texts

TEXTS = [
    "Livraison rapide et vendeuse adorable, merci !",
    "colis jamais recu, service client injoignable. nul.",
    "Bravo, livré en 3 semaines au lieu de 3 jours. Un vrai exploit.",  # irony
    "Je ne suis pas mécontente de la robe.",  # negated complaint
    "Quel est le délai de livraison pour un canapé au magasin de Nantes ?",
]


def test_messages_without_a_rating_get_a_sentiment_and_mentions():
    results = analyse_texts(TEXTS, [None] * len(TEXTS), FeedbackConfig())
    assert [r.sentiment for r in results] == [
        "positive",
        "negative",
        "negative",
        "positive",
        "neutral",
    ]
    assert all(-1 <= r.sentiment_score <= 1 for r in results)


def test_rating_is_a_bounded_signal_not_the_answer():
    praise = [TEXTS[0]]
    without = analyse_texts(praise, [None], FeedbackConfig())[0]
    with_one_star = analyse_texts(praise, [1.0], FeedbackConfig())[0]
    # a 1/5 pulls the score down by at most rating_weight, the praise still wins
    assert with_one_star.sentiment_score < without.sentiment_score
    assert without.sentiment_score - with_one_star.sentiment_score <= 0.15 + 1e-9
    assert with_one_star.sentiment == "positive"


def test_store_and_product_named_in_the_message_are_found():
    from pathlib import Path

    from voice import load_feedback_config

    config = load_feedback_config(Path(__file__).parents[2] / "config" / "feedback.yml")
    results = analyse_texts(
        ["La robe d'été est superbe, merci au magasin de Nantes Atlantis.", "Rien reçu."],
        [5.0, None],
        config,
    )
    assert (results[0].store_code, results[0].product) == ("M008", "robe")
    assert (results[1].store_code, results[1].product) == (None, None)


def test_topics_survive_stems_cut_at_a_hyphen_or_a_typo():
    # `demi-heure` stems to `demi-`, the typo `jou.rs` to `jou.r`: each stays one term
    texts = [
        "Une demi-heure de queue en caisse.",
        "Encore une demi-heure d'attente au téléphone.",
        "Colis livré chez un voisin, livraison en retard.",
        "Livraison en retard, colis abîmé.",
        "Remboursement toujours pas reçu depuis dix jou.rs",
        "Remboursement refusé, dix jou.rs sans réponse.",
        "Mes points fidélité ont disparu.",
        "Points fidélité jamais crédités.",
    ]
    results = analyse_texts(texts, [None] * len(texts), FeedbackConfig())
    assert results[0].topic == results[1].topic
    assert "demi-heure" in results[0].topic_terms.split()
