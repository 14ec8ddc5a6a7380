"""Believable French review text: aspects, tone, length, spelling and irony all vary.

A message is built from one to three aspect remarks (delivery, product, store, staff,
price, website, refund, loyalty), each positive, negative or mixed, with an opener and a
closer drawn from their own pools, then roughened: lost accents, typos, SMS spelling.
The returned sentiment is the one the text carries; ratings are drawn around it.
"""

from __future__ import annotations

import random

from sample_data._noise import typo

# aspect -> tone -> remarks ({p}: a product, {s}: a store)
_REMARKS = {
    "delivery": {
        "pos": [
            "colis arrivé avant la date prévue",
            "livraison en deux jours chrono",
            "le livreur a pris la peine d'appeler avant",
            "emballage soigné, rien d'abîmé",
        ],
        "neg": [
            "le colis a mis presque trois semaines",
            "livré chez un voisin que je ne connais pas",
            "suivi bloqué sur « en préparation » depuis dix jours",
            "carton défoncé à réception",
        ],
    },
    "product": {
        "pos": [
            "{p} conforme aux photos",
            "la matière du {p} est agréable",
            "{p} très bien fini",
            "le {p} taille juste, parfait",
        ],
        "neg": [
            "{p} décousu au bout de deux lavages",
            "le {p} ne ressemble pas du tout à la photo",
            "couleur du {p} délavée dès le premier lavage",
            "{p} arrivé avec un accroc",
        ],
    },
    "store": {
        "pos": [
            "magasin de {s} bien rangé et lumineux",
            "cabines propres à {s}",
            "pas d'attente en caisse à {s}",
        ],
        "neg": [
            "une demi-heure de queue à {s}",
            "rayons vides à {s} un samedi",
            "cabines d'essayage fermées à {s}",
        ],
    },
    "staff": {
        "pos": [
            "la vendeuse a pris le temps de me conseiller",
            "équipe souriante et disponible",
            "un conseiller m'a trouvé la bonne taille en réserve",
        ],
        "neg": [
            "personne pour renseigner",
            "vendeur désagréable quand j'ai demandé un échange",
            "on m'a fait attendre sans un mot",
        ],
    },
    "price": {
        "pos": ["prix raisonnables pour la qualité", "les soldes valent vraiment le détour"],
        "neg": ["les prix ont encore grimpé", "la remise annoncée n'a pas été appliquée"],
    },
    "website": {
        "pos": ["commande en ligne simple", "l'appli est claire et rapide"],
        "neg": [
            "le paiement en ligne a échoué deux fois",
            "impossible de modifier mon adresse sur le site",
        ],
    },
    "refund": {
        "pos": ["remboursement reçu en trois jours", "échange accepté sans discussion"],
        "neg": [
            "toujours pas remboursée après un mois",
            "on m'impose un avoir au lieu d'un remboursement",
        ],
    },
    "loyalty": {
        "pos": ["mes points sont bien crédités", "le bon anniversaire est une belle attention"],
        "neg": ["mes points fidélité ont disparu", "le bon d'achat a expiré sans prévenir"],
    },
}
_OPENERS = {
    "pos": ["", "Très contente.", "Rien à redire.", "Top !", "Client fidèle, toujours ravi."],
    "neg": ["", "Déçue.", "Franchement pas terrible.", "Je suis en colère.", "Bof."],
    "neutral": ["", "Avis mitigé.", "Bon, alors.", "Retour d'expérience :"],
}
_CLOSERS = {
    "pos": ["", "Je recommande.", "Merci !", "Je reviendrai.", "5 étoiles méritées."],
    "neg": [
        "",
        "Je ne recommande pas.",
        "Dernière commande chez vous.",
        "J'attends une réponse.",
        "Dommage.",
    ],
    "neutral": ["", "À voir la prochaine fois.", "Peut mieux faire.", "Correct sans plus."],
}
_IRONY = [
    "Bravo, vraiment.",
    "Génial, encore une fois.",
    "Super service, on s'y croirait.",
    "Merci pour cette belle expérience...",
]
_SMS = {
    "je suis": "jsuis",
    "c'est": "c",
    "toujours": "tjrs",
    "beaucoup": "bcp",
    "pas": "pa",
    "quand": "qd",
    "rien": "r1",
    "vraiment": "vrmt",
}
_ACCENTS = str.maketrans("éèêàâùûçîô", "eeeaauucio")


def rough(
    text: str, rng: random.Random, accents: float = 0.15, sms: float = 0.1, typos: float = 0.2
) -> str:
    """Roughen a message as people type it: lost accents, SMS spelling, one typo."""
    draw = rng.random()
    if draw < accents:
        text = text.translate(_ACCENTS).lower()
    elif draw < accents + sms:
        for word, short in _SMS.items():
            text = text.replace(word, short)
        text = text.lower().rstrip(".")
    if rng.random() < typos:
        words = text.split(" ")
        index = rng.randrange(len(words))
        words[index] = typo(words[index], rng) if len(words[index]) > 4 else words[index]
        text = " ".join(words)
    return text


def remarks_for(
    rng: random.Random,
    aspects: list[str],
    tone: str,
    product: str,
    store: str,
    extra: dict | None = None,
    number: int = 2,
) -> list[str]:
    """One remark per aspect; ``mixed`` alternates praise and complaint. ``extra`` adds
    aspects (tone -> remarks) a caller has and a reviewer does not; ``{n}`` is ``number``."""
    pools = {**_REMARKS, **(extra or {})}
    tones = ["pos", "neg"] if tone == "mixed" else [tone] * len(aspects)
    return [
        rng.choice(pools[aspect][tones[i % len(tones)]]).format(p=product, s=store, n=number)
        for i, aspect in enumerate(aspects)
    ]


def compose(rng: random.Random, remarks: list[str], tone: str, openers, closers) -> str:
    """Remarks joined as one message, between an opener and a closer of the message's mood;
    a complaint turns ironic now and then."""
    mood = "neutral" if tone == "mixed" else tone
    joiner = ", mais " if tone == "mixed" else rng.choice((", ", ". ", " et "))
    if joiner == ". ":
        remarks = [r[0].upper() + r[1:] for r in remarks]
    body = joiner.join(remarks)
    body = body[0].upper() + body[1:] + "."
    if tone == "neg" and rng.random() < 0.2:
        body = f"{rng.choice(_IRONY)} {body}"
    opener = rng.choice(openers[mood])
    if opener[-1:].isalpha() or opener[-1:] in (",", ":"):  # "Cliente appelle car le ..."
        body = body[0].lower() + body[1:]
    parts = [opener, body, rng.choice(closers[mood])]
    return " ".join(p for p in parts if p)


SENTIMENT_OF_TONE = {"pos": "positive", "neg": "negative", "mixed": "neutral"}
ASPECTS = tuple(sorted(_REMARKS))


def review_text(rng: random.Random, product: str, store: str) -> tuple[str, str]:
    """One message and the sentiment it carries (negative, neutral, positive)."""
    tone = rng.choices(("pos", "neg", "mixed"), (45, 40, 15))[0]
    aspects = rng.sample(ASPECTS, rng.choices((1, 2, 3), (50, 35, 15))[0])
    if tone == "mixed" and len(aspects) == 1:
        aspects.append(rng.choice([a for a in _REMARKS if a != aspects[0]]))
    remarks = remarks_for(rng, aspects, tone, product, store)
    text = rough(compose(rng, remarks, tone, _OPENERS, _CLOSERS), rng)
    return text, SENTIMENT_OF_TONE[tone]


def rating_for(sentiment: str, rng: random.Random) -> int:
    """Stars around the text's sentiment, sometimes off (people misclick, or grade kindly)."""
    centre = {"negative": 1.7, "neutral": 3.0, "positive": 4.5}[sentiment]
    return max(1, min(5, round(rng.gauss(centre, 0.8))))
