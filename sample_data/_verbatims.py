"""What callers and SMS recipients write, built with the reviews' machinery (``_reviews_text``).

A call-center verbatim starts from the ticket's reason and often drifts to a second or third
topic; it is typed by the customer (chat, e-mail) or noted by the agent in their shorthand.
An SMS reply is short: a STOP in any spelling, thanks, or a complaint in SMS spelling.
"""

from __future__ import annotations

import random

from sample_data._reviews_text import (
    ASPECTS,
    SENTIMENT_OF_TONE,
    compose,
    remarks_for,
    rough,
)

# what callers talk about beyond what reviewers do (tone -> remarks; {n}: a number)
_CALL_REMARKS = {
    "phone": {
        "pos": [
            "conseillère très aimable, à l'écoute",
            "problème réglé en un seul appel",
            "on m'a rappelée comme promis",
            "l'agent a tout de suite retrouvé ma commande",
        ],
        "neg": [
            "{n} minutes d'attente au téléphone",
            "on m'a raccroché au nez",
            "c'est mon {n}e appel pour le même problème",
            "personne ne rappelle jamais",
            "chaque conseiller me dit autre chose",
        ],
    },
    "account": {
        "pos": ["mot de passe réinitialisé en deux minutes", "adresse enfin mise à jour"],
        "neg": [
            'impossible de me connecter, "mot de passe incorrect"',
            "mon compte a été bloqué sans raison",
            "je ne reçois pas le mail de confirmation",
        ],
    },
    "data": {
        "pos": ["désinscription de la newsletter bien prise en compte"],
        "neg": [
            "je reçois {n} mails par semaine, désinscrivez-moi",
            "je veux que vous supprimiez mes données personnelles",
            "je n'ai jamais donné mon accord pour recevoir vos sms",
        ],
    },
}
# ticket reason (sample_data._reference.CALL_REASONS) -> the aspect it is first about
_REASON_ASPECTS = {
    "Suivi de commande": "delivery",
    "Retour produit": "product",
    "Remboursement": "refund",
    "Carte de fidélité": "loyalty",
    "Réclamation magasin": "store",
    "Question produit": "product",
    "Désinscription newsletter": "data",
    "Modification de compte": "account",
    "Livraison en retard": "delivery",
}
_CALL_ASPECTS = (*ASPECTS, *_CALL_REMARKS)
_CALL_OPENERS = {
    "pos": ["", "Bonjour,", "Appel rapide :", "Cliente satisfaite :", "Merci à Sandrine !"],
    "neg": [
        "",
        "Bonjour,",
        "Client mécontent :",
        "Relance :",
        "C'est inadmissible.",
        "Je vous écris pour la troisième fois.",
    ],
    "neutral": ["", "Bonjour,", "Appel pour deux choses :", "Cliente appelle car"],
}
_CALL_CLOSERS = {
    "pos": ["", "Merci encore.", "Bonne journée.", "Rien d'autre à signaler."],
    "neg": [
        "",
        "J'attends un geste commercial.",
        "Je vais faire une réclamation.",
        "Sinon je résilie ma carte.",
        "Rappel demandé avant vendredi.",
        "Cordialement.",
    ],
    "neutral": ["", "À suivre.", "Dossier transmis au service concerné.", "Cordialement."],
}
# how agents note a call
_AGENT_SHORTHAND = {
    "client": "cl",
    "cliente": "cl",
    "commande": "cde",
    "remboursement": "rbt",
    "rembourser": "rbt",
    "magasin": "mag",
    "téléphone": "tel",
    "livraison": "livr",
}


def call_verbatim(rng: random.Random, reason: str, product: str, store: str) -> tuple[str, str]:
    """A verbatim for a ticket opened for ``reason`` and the sentiment it carries."""
    tone = rng.choices(("pos", "neg", "mixed"), (25, 60, 15))[0]
    first = _REASON_ASPECTS.get(reason) or rng.choice(_CALL_ASPECTS)
    aspects = [first]
    for _ in range(rng.choices((0, 1, 2), (55, 35, 10))[0]):
        aspects.append(rng.choice([a for a in _CALL_ASPECTS if a not in aspects]))
    if tone == "mixed" and len(aspects) == 1:
        aspects.append(rng.choice([a for a in _CALL_ASPECTS if a != first]))
    number = rng.choice((2, 3, 4, 5, 10, 15, 20, 25, 40, 45))
    remarks = remarks_for(rng, aspects, tone, product, store, _CALL_REMARKS, number)
    text = compose(rng, remarks, tone, _CALL_OPENERS, _CALL_CLOSERS)
    if rng.random() < 0.2:  # noted by the agent, in their shorthand
        for word, short in _AGENT_SHORTHAND.items():
            text = text.replace(word, short)
    return rough(text, rng, accents=0.15, sms=0.05, typos=0.3), SENTIMENT_OF_TONE[tone]


_STOPS = ("STOP", "Stop", "stop", "STOP !", "stop svp", "STOP merci", "Stop stop stop",
          "stp STOP", "STOP.", "stop sms")  # fmt: skip
_THANKS = ("Merci !", "merci", "Merci bcp", "ok merci", "Super merci 🙂", "Top, j'arrive",
           "Merci pour le code", "Génial merci !!")  # fmt: skip
_QUESTIONS = (
    "c'est valable en magasin à {s} ?",
    "le code marche pas sur le site",
    "jusqu'à quand la promo ?",
    "vous avez le {p} en 38 ?",
    "qui êtes vous ? je vous connais pas",
    "comment vous avez eu mon numéro ??",
)


def sms_reply(rng: random.Random, product: str, store: str) -> tuple[str, str, bool]:
    """An inbound reply to a campaign SMS: its text, its sentiment, whether it is a STOP."""
    kind = rng.choices(("stop", "stop_and_why", "thanks", "question", "remark"),
                       (35, 10, 20, 15, 20))[0]  # fmt: skip
    if kind == "stop":
        return rng.choice(_STOPS), "neutral", True
    if kind == "stop_and_why":
        why = rng.choice(
            (
                "vous envoyez trop de sms",
                "deja 3 messages cette semaine",
                "ca suffit",
                "je suis plus cliente",
                "j'ai jamais demandé ça",
            )  # fmt: skip
        )
        return rough(f"{rng.choice(('STOP', 'Stop', 'stop'))} {why}", rng), "negative", True
    if kind == "thanks":
        return rng.choice(_THANKS), "positive", False
    if kind == "question":
        text = rng.choice(_QUESTIONS).format(p=product, s=store)
        tone = "neg" if "numéro" in text or "marche pas" in text else "mixed"
        return rough(text, rng, accents=0.4, sms=0.4), SENTIMENT_OF_TONE[tone], False
    tone = rng.choice(("pos", "neg", "neg"))
    (remark,) = remarks_for(rng, [rng.choice(ASPECTS)], tone, product, store)
    return rough(remark, rng, accents=0.4, sms=0.5), SENTIMENT_OF_TONE[tone], False
