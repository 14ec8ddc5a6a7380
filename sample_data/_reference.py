"""Reference data of the fictional retailer: cities, stores, providers, words for free text.

Names come from Faker's fr_FR lists (read once, never through a Faker instance, so draws
stay in our seeded RNG and cost nothing per call); the rest is written here.
"""

from __future__ import annotations

import importlib


def _names(attribute: str, locales: tuple[str, ...], extra: tuple[str, ...] = ()) -> tuple:
    """Faker's name lists of several locales, first occurrence kept, in locale order."""
    seen: dict[str, None] = {}
    for locale in locales:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for name in getattr(provider, attribute):
            seen.setdefault(name, None)
    for name in extra:
        seen.setdefault(name, None)
    return tuple(seen)


# French-speaking locales give the first names; surnames also come from the countries most
# French families trace back to, as on any French customer file.
_FIRST_LOCALES = ("fr_FR", "fr_CA", "fr_CH")
_LAST_LOCALES = ("fr_FR", "fr_BE", "fr_CA", "fr_CH", "pt_PT", "es_ES", "it_IT")
FIRST_NAMES_FEMALE = _names(
    "first_names_female",
    _FIRST_LOCALES,
    (
        "Marie-Claire",
        "Marie-Hélène",
        "Anne-Sophie",
        "Marie-Christine",
        "Anne-Laure",
        "Marie-Noëlle",
        "Léa",
        "Chloé",
        "Inès",
        "Zoé",
        "Maëlle",
        "Océane",
        "Françoise",
    ),
)
FIRST_NAMES_MALE = _names(
    "first_names_male",
    _FIRST_LOCALES,
    (
        "Jean-Baptiste",
        "Jean-Pierre",
        "Jean-Marc",
        "Pierre-Yves",
        "Jean-François",
        "Jean-Luc",
        "Paul-Henri",
        "Loïc",
        "Gaël",
        "Hervé",
        "Stéphane",
        "Jérôme",
        "Benoît",
    ),
)
LAST_NAMES = _names(
    "last_names",
    _LAST_LOCALES,
    (
        "de Villiers",
        "de La Fontaine",
        "Le Bihan",
        "Le Floch",
        "Le Goff",
        "Le Gall",
        "d'Almeida",
        "d'Arcy",
        "N'Diaye",
        "Lemaître",
        "Bénard",
        "Gaillard-Rousseau",
    ),
)

# (city, postcodes, weight, store code): the store a resident shops at by default.
CITIES = (
    ("Paris", [f"750{n:02d}" for n in range(1, 21)], 22, "M001"),
    ("Boulogne-Billancourt", ["92100"], 3, "M002"),
    ("Saint-Denis", ["93200"], 2, "M003"),
    ("Versailles", ["78000"], 2, "M002"),
    ("Lyon", [f"6900{n}" for n in range(1, 10)], 8, "M004"),
    ("Villeurbanne", ["69100"], 2, "M004"),
    ("Marseille", [f"130{n:02d}" for n in range(1, 17)], 8, "M005"),
    ("Aix-en-Provence", ["13090", "13100"], 2, "M005"),
    ("Lille", ["59000", "59800"], 5, "M006"),
    ("Roubaix", ["59100"], 1, "M006"),
    ("Bordeaux", ["33000", "33100", "33200", "33300", "33800"], 5, "M007"),
    ("Mérignac", ["33700"], 1, "M007"),
    ("Nantes", ["44000", "44100", "44200", "44300"], 5, "M008"),
    ("Saint-Nazaire", ["44600"], 1, "M008"),
    ("Toulouse", ["31000", "31100", "31200", "31300", "31400", "31500"], 6, "M009"),
    ("Nice", ["06000", "06100", "06200", "06300"], 4, "M010"),
    ("Strasbourg", ["67000", "67100", "67200"], 4, "M011"),
    ("Rennes", ["35000", "35200", "35700"], 3, "M012"),
    ("Montpellier", ["34000", "34070", "34080", "34090"], 4, "M013"),
    ("Grenoble", ["38000", "38100"], 3, "M014"),
    ("Rouen", ["76000", "76100"], 2, "M015"),
    ("Dijon", ["21000"], 2, "M016"),
    ("Clermont-Ferrand", ["63000", "63100"], 2, "M017"),
    ("Tours", ["37000", "37100", "37200"], 2, "M018"),
    ("Reims", ["51100"], 2, "M019"),
    ("Brest", ["29200"], 1, "M020"),
    ("Quimper", ["29000"], 1, "M020"),
    ("Le Mans", ["72000", "72100"], 1, "M018"),
    ("Angers", ["49000", "49100"], 2, "M008"),
    ("Saint-Étienne", ["42000", "42100"], 2, "M004"),
)

# (code, name, phone): the store's own number is what some callers give instead of theirs.
STORES = (
    ("M001", "Paris Rivoli", "01 42 60 31 18"),
    ("M002", "Boulogne Les Passages", "01 46 05 22 70"),
    ("M003", "Saint-Denis Basilique", "01 48 20 11 45"),
    ("M004", "Lyon Part-Dieu", "04 78 62 90 13"),
    ("M005", "Marseille Terrasses du Port", "04 91 90 45 67"),
    ("M006", "Lille Euralille", "03 20 55 12 98"),
    ("M007", "Bordeaux Sainte-Catherine", "05 56 44 80 21"),
    ("M008", "Nantes Atlantis", "02 40 92 33 74"),
    ("M009", "Toulouse Capitole", "05 61 21 07 56"),
    ("M010", "Nice Masséna", "04 93 87 66 02"),
    ("M011", "Strasbourg Kléber", "03 88 32 14 59"),
    ("M012", "Rennes Colombia", "02 99 79 45 16"),
    ("M013", "Montpellier Polygone", "04 67 64 23 88"),
    ("M014", "Grenoble Grand’Place", "04 76 09 51 37"),
    ("M015", "Rouen Saint-Sever", "02 35 62 18 40"),
    ("M016", "Dijon Toison d’Or", "03 80 71 26 93"),
    ("M017", "Clermont Jaude", "04 73 93 55 12"),
    ("M018", "Tours Nationale", "02 47 20 64 31"),
    ("M019", "Reims Espace d’Erlon", "03 26 47 82 05"),
    ("M020", "Brest Jaurès", "02 98 44 17 66"),
)

STREET_NAMES = (
    "rue Victor Hugo",
    "avenue Jean Jaurès",
    "rue de la République",
    "boulevard Pasteur",
    "rue des Lilas",
    "place du Général de Gaulle",
    "rue Nationale",
    "chemin des Vignes",
    "allée des Tilleuls",
    "rue du Moulin",
    "avenue de la Gare",
    "rue Émile Zola",
    "impasse des Écoles",
    "rue Saint-Michel",
    "boulevard Voltaire",
    "rue de l’Église",
    "avenue Foch",
    "rue Gambetta",
    "quai de la Loire",
    "rue des Prés",
    "rue Pierre Curie",
    "rue de Verdun",
    "rue du Château",
    "avenue des Champs",
    "rue Jules Ferry",
)

# (domain, weight); typo domains are what people type by mistake.
EMAIL_PROVIDERS = (
    ("gmail.com", 34),
    ("orange.fr", 15),
    ("hotmail.fr", 11),
    ("free.fr", 8),
    ("yahoo.fr", 7),
    ("laposte.net", 6),
    ("sfr.fr", 5),
    ("outlook.fr", 5),
    ("wanadoo.fr", 4),
    ("icloud.com", 3),
    ("hotmail.com", 2),
)
TYPO_DOMAINS = {
    "gmail.com": "gmial.com",
    "hotmail.fr": "hotmial.fr",
    "orange.fr": "orange.fe",
    "yahoo.fr": "yaho.fr",
    "laposte.net": "laposte.fr",
    "free.fr": "fre.fr",
    "sfr.fr": "sfr.com",
    "outlook.fr": "outlok.fr",
    "wanadoo.fr": "wanado.fr",
    "icloud.com": "iclould.com",
    "hotmail.com": "hotmail.con",
}
NICKNAMES = {
    "Jean-Baptiste": "JB",
    "Nicolas": "Nico",
    "Catherine": "Cathy",
    "Christophe": "Chris",
    "Alexandre": "Alex",
    "Élisabeth": "Babeth",
    "Frédéric": "Fred",
    "Sébastien": "Seb",
    "Stéphanie": "Steph",
    "Guillaume": "Guigui",
    "Maximilien": "Max",
    "Christine": "Titine",
    "Jean-Pierre": "JP",
    "Dominique": "Dom",
    "Benjamin": "Ben",
    "Marie-Christine": "Marie",
    "Anne-Sophie": "Anne",
    "Valentin": "Val",
    "Thomas": "Tom",
    "Mathilde": "Mathou",
    "Jean-Marc": "JM",
    "Isabelle": "Isa",
    "Véronique": "Véro",
    "Emmanuel": "Manu",
    "Patricia": "Patou",
    "Olivier": "Olive",
    "Charlotte": "Charlie",
    "Joseph": "Jo",
}

CALL_REASONS = (
    ("Suivi de commande", 26),
    ("Retour produit", 18),
    ("Remboursement", 12),
    ("Carte de fidélité", 12),
    ("Réclamation magasin", 8),
    ("Question produit", 10),
    ("Désinscription newsletter", 4),
    ("Modification de compte", 6),
    ("Livraison en retard", 9),
)
# Campaign themes by month; the evergreen ones fill the other fortnight.
SEASONAL_THEMES = {
    1: "Soldes d’hiver",
    2: "Saint-Valentin",
    3: "Nouvelle collection printemps",
    4: "Pâques en famille",
    5: "Fête des mères",
    6: "Fête des pères",
    7: "Soldes d’été",
    8: "Rentrée des classes",
    9: "Nouvelle collection automne",
    10: "Vente privée fidélité",
    11: "Black Friday",
    12: "Noël : idées cadeaux",
}
EVERGREEN_THEMES = (
    "Les essentiels de la saison",
    "Offre anniversaire",
    "Déstockage maison",
    "Beauté : nos coups de cœur",
    "Sport : on bouge !",
    "Nouveautés de la semaine",
)
PAYMENT_METHODS = (
    ("CB", 52),
    ("SANS_CONTACT", 25),
    ("ESPECES", 12),
    ("CHEQUE", 3),
    ("CARTE_CADEAU", 4),
    ("AMEX", 4),
)
TRAFFIC_SOURCES = (
    (("google", "organic"), 35),
    (("(direct)", "(none)"), 25),
    (("google", "cpc"), 12),
    (("newsletter", "email"), 10),
    (("facebook", "social"), 7),
    (("instagram", "social"), 6),
    (("bing", "organic"), 3),
    (("awin", "affiliate"), 2),
)
DEVICES = (("mobile", 58), ("desktop", 36), ("tablet", 6))
