"""Product catalogue and e-mail campaigns, drawn from the seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sample_data._reference import EVERGREEN_THEMES, SEASONAL_THEMES

# category -> (sku prefix, price range in euros, product bases, variants)
_CATEGORIES = {
    "Mode femme": (
        "MF",
        (14.99, 129.0),
        (
            "Robe d’été fleurie",
            "Blouse en lin",
            "Jupe plissée",
            "Pull col roulé",
            "Manteau en laine",
            "Jean taille haute",
            "Chemisier en soie",
            "Cardigan maille",
            "Trench beige",
            "Top à bretelles",
            "Pantalon fluide",
            "Veste en velours côtelé",
        ),
        ("noir", "écru", "bleu marine", "rose poudré", "kaki", "bordeaux"),
    ),
    "Mode homme": (
        "MH",
        (12.99, 149.0),
        (
            "Chemise Oxford",
            "Pull en cachemire",
            "Jean droit",
            "Veste de costume",
            "Polo piqué",
            "Parka imperméable",
            "Chino slim",
            "Sweat à capuche",
            "T-shirt coton bio",
            "Blouson aviateur",
        ),
        ("bleu", "gris chiné", "blanc", "vert sapin", "camel"),
    ),
    "Chaussures": (
        "CH",
        (24.99, 159.0),
        (
            "Baskets cuir",
            "Bottines à talon",
            "Mocassins",
            "Escarpins vernis",
            "Sandales d’été",
            "Chaussures de randonnée",
            "Derbies",
            "Espadrilles",
        ),
        ("noir", "marron", "blanc", "cognac", "beige", "bleu marine"),
    ),
    "Maison": (
        "MA",
        (4.99, 199.0),
        (
            "Cocotte en fonte spéciale bœuf",
            "Plaid en laine",
            "Bougie parfumée",
            "Linge de lit",
            "Vase en céramique",
            "Service à thé",
            "Coussin brodé",
            "Lampe de chevet",
            "Nappe en lin",
            "Set de couteaux",
            "Tablier de cuisine",
            "Panier en osier",
        ),
        ("naturel", "terracotta", "blanc cassé", "bleu canard"),
    ),
    "Beauté": (
        "BE",
        (5.99, 89.0),
        (
            "Crème hydratante",
            "Sérum éclat",
            "Eau de toilette",
            "Rouge à lèvres",
            "Crème mains karité",
            "Huile sèche",
            "Mascara volume",
            "Gel douche fleur d’oranger",
            "Masque à l’argile",
            "Baume à lèvres",
        ),
        ("30 ml", "50 ml", "100 ml", "édition limitée"),
    ),
    "Enfant": (
        "EN",
        (7.99, 69.0),
        (
            "Body bébé",
            "Pyjama en coton",
            "Doudou lapin",
            "Salopette en jean",
            "Ciré de pluie",
            "Chaussons en cuir",
            "Robe à smocks",
            "Sac à dos maternelle",
        ),
        ("3 mois", "12 mois", "2 ans", "4 ans", "6 ans", "8 ans"),
    ),
    "Sport": (
        "SP",
        (9.99, 119.0),
        (
            "Legging de yoga",
            "Brassière de sport",
            "Short de running",
            "Veste coupe-vent",
            "Tapis de yoga",
            "Gourde isotherme",
            "Sac de sport",
            "Chaussettes techniques",
        ),
        ("noir", "bleu", "rouge", "gris", "vert", "rose"),
    ),
    "Épicerie fine": (
        "EP",
        (3.49, 39.0),
        (
            "Terrine de bœuf aux cèpes",
            "Crème de marrons",
            "Coffret thés de l’été",
            "Confiture de figues",
            "Chocolats pralinés",
            "Caramel au beurre salé",
            "Huile d’olive vierge extra",
            "Biscuits sablés",
        ),
        ("250 g", "500 g", "coffret", "bocal", "format familial"),
    ),
}
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
GIFT_CARDS = (
    ("Carte cadeau 20 €", 20.0),
    ("Carte cadeau 50 €", 50.0),
    ("Carte cadeau 100 €", 100.0),
)


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    category: str
    price: float
    cost: float | None


@dataclass(frozen=True, slots=True)
class Campaign:
    campaign_id: str
    name: str
    sent_at: datetime


def build_catalogue(rng: random.Random, size: int = 300) -> list[Product]:
    """About ``size`` products over the categories, ~70% with a known unit cost."""
    products: list[Product] = []
    per_category = (size - len(GIFT_CARDS)) // len(_CATEGORIES)
    for category, (prefix, (low, high), bases, variants) in _CATEGORIES.items():
        combos = [(b, v) for b in bases for v in variants]
        rng.shuffle(combos)
        for number, (base, variant) in enumerate(combos[:per_category], start=1):
            price = round(int(rng.uniform(low, high)) + 0.99, 2)
            cost = round(price / 1.2 * rng.uniform(0.35, 0.6), 2) if rng.random() < 0.7 else None
            products.append(
                Product(f"{prefix}{number:05d}", f"{base} {variant}", category, price, cost)
            )
    for number, (name, price) in enumerate(GIFT_CARDS, start=1):
        products.append(Product(f"CC{number:05d}", name, "Cartes cadeaux", price, price))
    return products


def popularity_weights(rng: random.Random, products: list[Product]) -> list[float]:
    """Cumulative Zipf-like weights: a few best sellers, a long tail."""
    order = list(range(len(products)))
    rng.shuffle(order)
    # Gift cards and the labels with œ / ’ sell well: the cp1252 bytes for € œ ’ always occur.
    featured = [
        i
        for i, p in enumerate(products)
        if p.name == "Carte cadeau 50 €" or "œ" in p.name or "’" in p.name
    ][:6]
    order = featured + [i for i in order if i not in featured]
    weights = [0.0] * len(products)
    for rank, index in enumerate(order, start=1):
        weights[index] = 1.0 / rank**0.8
    total, cumulative = 0.0, []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return cumulative


def build_campaigns(rng: random.Random, start: date, end: date) -> list[Campaign]:
    """Two campaigns a month, each with a theme and a send time."""
    campaigns = []
    day, number = start + timedelta(days=3), 1
    while day <= end:
        theme = SEASONAL_THEMES[day.month] if day.day <= 15 else rng.choice(EVERGREEN_THEMES)
        sent = datetime.combine(day, time(rng.choice((8, 9, 10, 17, 18)), rng.randrange(60)))
        campaigns.append(
            Campaign(
                f"CMP{day:%Y%m%d}{number:03d}",
                f"{theme} – {_MONTHS[day.month - 1]} {day.year}",
                sent,
            )
        )
        day += timedelta(days=rng.choice((13, 14, 15, 16)))
        number += 1
    return campaigns
