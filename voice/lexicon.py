"""A French sentiment lexicon for customer messages, matched on accent-folded words.

Entries are word *stems* (a word matches when it starts with the stem, so ``decu`` covers
déçu, déçue, déçus and the accentless spelling), and fixed phrases matched on the folded
text. Weights run from -3 (outrage) to +3 (delight); they were set by hand from retail
customer-service usage, not learnt, so a reader can argue with any one of them.
"""

from __future__ import annotations

# one table per rule reads better than one entry per line
# fmt: off

POSITIVE_STEMS = {
    "merci": 1.0, "remerci": 1.5, "bravo": 1.5, "super": 1.5, "genial": 2.0, "top": 1.5,
    "parfait": 2.5, "impeccabl": 2.5, "nickel": 2.0, "excellent": 3.0, "ravi": 2.5, "content": 2.0,
    "satisf": 2.0, "recommand": 2.0, "adore": 2.5, "magnifiq": 2.5, "superb": 2.5, "sublim": 2.5,
    "agreabl": 1.5, "aimabl": 2.0, "sympa": 1.5, "souriant": 1.5, "efficac": 1.5, "rapid": 1.0,
    "reactif": 1.5, "gentil": 1.5, "patien": 1.0, "ecoute": 1.0, "professionn": 1.5, "compet": 1.5,
    "conseil": 0.5, "fluide": 1.0, "pratique": 1.0, "avantag": 1.5, "genereu": 1.5,
    "confortabl": 2.0, "doux": 1.0, "chaud": 0.5, "beau": 1.5, "belle": 1.5, "joli": 1.0,
    "elegant": 1.5, "qualite": 0.5, "conforme": 1.0, "reussi": 2.0, "enchant": 2.5, "conquis": 2.5,
    "bien": 1.0, "bon": 0.8, "bonne": 0.8, "meilleur": 2.0, "imbattabl": 2.5, "plaisir": 2.0,
    "plait": 1.5, "aime": 2.0, "apprecia": 1.5, "facil": 1.0, "simple": 1.0, "clair": 1.0,
    "efficace": 1.5, "heureu": 1.5, "accueillant": 2.0, "attention": 0.5, "vivement": 0.5,
    "profite": 1.0, "fidelise": 1.0, "chouette": 2.0, "contente": 2.0, "rassur": 1.0,
    "agreablement": 2.0, "aide": 0.5, "accepte": 0.5, "regle": 1.0, "poli": 1.0, "resolu": 1.5,
}

NEGATIVE_STEMS = {
    "decu": -2.5, "decev": -2.5, "deception": -2.5, "nul": -2.5, "catastroph": -3.0,
    "scandal": -3.0, "inadmissibl": -3.0, "inacceptabl": -3.0, "lamentabl": -3.0, "deplorabl": -3.0,
    "honteu": -2.5, "honte": -2.5, "humili": -2.5, "insatisf": -2.5, "mecontent": -2.5,
    "probleme": -1.5, "souci": -1.0, "retard": -1.5, "perdu": -2.0, "perte": -1.5, "abime": -2.0,
    "abim": -2.0, "casse": -2.0, "cass": -2.0, "defaut": -2.0, "defectu": -2.0, "tache": -1.5,
    "dechir": -2.0, "ebrech": -2.0, "raye": -1.5, "fendu": -2.0, "eventre": -2.0, "trempe": -1.5,
    "manqu": -1.5, "lent": -1.0, "bug": -2.0, "plant": -1.5, "impossibl": -2.0, "refus": -2.0,
    "annul": -1.0, "attente": -1.0, "attendu": -0.5, "injoignabl": -2.5, "glacial": -2.5,
    "ignor": -2.0, "sale": -2.0, "bazar": -2.0, "desagreabl": -2.5, "agacant": -2.0, "agac": -2.0,
    "lassant": -2.0, "penibl": -1.5, "vol": -1.5, "abus": -2.5, "mensong": -3.0, "arnaq": -3.0,
    "illegal": -2.5, "cher": -1.0, "cheap": -2.0, "trop": -0.8, "moins": -0.5, "dommage": -1.5,
    "malheureusement": -1.5, "helas": -1.5, "reclamation": -1.5, "mediateur": -2.0,
    "association": -1.0, "irrespect": -2.5, "vener": -2.5, "enerv": -2.5, "furieu": -3.0,
    "colere": -2.5, "marre": -2.5, "degout": -2.5, "blague": -2.0, "grimp": -1.0, "augment": -1.0,
    "relanc": -1.0, "lache": -2.0, "bouloch": -2.0, "gratte": -1.5, "transparent": -1.0,
    "etrange": -1.0, "pire": -3.0, "horribl": -3.0, "affreu": -3.0, "mauvais": -2.0, "mal": -1.5,
    "raccroch": -2.0, "fragil": -1.5, "deconseill": -2.5, "bof": -1.5, "debord": -0.5,
    "sectionn": -2.0, "soupir": -1.5, "payant": -1.0, "exager": -2.0, "rate": -1.5, "jamais": -1.0,
    "toujours": -0.3, "encore": -0.5, "silence": -1.0, "absent": -1.5, "facheu": -2.0,
    "pourquoi": -1.0, "eleve": -1.0, "different": -0.5, "desole": -1.0, "faim": -0.5,
    "erreur": -1.0,
}

# Phrases are matched on the folded text before words, and their words are not scored again.
PHRASES = {
    "rien a redire": 2.5, "rien a dire": 2.0, "rien a reprocher": 2.5, "rien a signaler": 1.0,
    "pas de souci": 1.5, "pas de probleme": 1.5, "aucun probleme": 2.0, "aucun souci": 2.0,
    "sans probleme": 1.5, "sans souci": 1.5, "au top": 2.0, "au rendez-vous": 1.5,
    "vaut le coup": 2.0, "bon plan": 2.0, "bonnes affaires": 2.0, "aux petits soins": 2.5,
    "je reviendrai": 2.0, "tout est ok": 1.5, "tout est rentre dans l'ordre": 2.0,
    "ne reviendrai pas": -3.0, "ne reviendrai plus": -3.0, "plus jamais": -2.5,
    "n'importe quoi": -3.0, "c'est une blague": -2.5, "toujours pas": -2.0, "tjr pa": -2.0,
    "tjs pas": -2.0, "aucune reponse": -2.5, "sans reponse": -2.0, "pas de reponse": -2.5,
    "ne repond": -2.5, "ne marche pas": -2.0, "marche pas": -2.0, "ne fonctionne pas": -2.0,
    "ne passe pas": -2.0, "ne s'applique pas": -2.0, "perdu une cliente": -3.0,
    "perdu un client": -3.0, "pour rien": -2.0, "au lieu de": -1.5, "a quoi sert": -2.0,
    "pas terrible": -2.0, "pas top": -2.0, "pas a la hauteur": -2.5, "du vol": -3.0,
    "rien ne va": -3.0, "rien ne bouge": -2.0, "rien recu": -2.5, "pas recu": -2.0,
    "jamais recu": -2.5, "jamais rembourse": -3.0, "sans plus": -0.5, "pas mal": 1.5,
    "j'attends toujours": -2.0, "attends toujours": -2.0, "aux abonnes absents": -2.5,
    "mains vides": -1.0, "reste sur ma faim": -2.0, "me plaindre": 0.0, "pourrait etre mieux": -0.5,
    "attendais mieux": -2.0, "m'attendais a mieux": -2.0, "parle comme a un chien": -3.0,
    "raccroche au nez": -3.0, "pas a mon gout": -1.0, "sans aucun doute": 0.5,
    "jamais ete aussi bien": 3.0, "heureusement": 1.5, "etaient meilleurs avant": -2.0,
    "c'etait mieux avant": -2.0, "trop bien": 2.5, "pas d'info": -1.5, "sans nouvelle": -2.0,
    "aucune nouvelle": -2.0, "pas au courant": -1.5, "ou est": -1.0, "au final": 1.0,
    "finit par y arriver": 1.0, "quand meme": 0.5, "rien de grave": 0.5,
    "rien d'exceptionnel": -0.5,
}

NEGATORS = {
    "aucun", "aucune", "guere", "jamais", "ni", "pa", "pas", "plus", "rien", "sans",
}

# The second clause of "X mais Y" usually carries the writer's verdict.
CONTRASTS = (
    "mais", "cependant", "pourtant", "par contre", "en revanche", "sauf que",
)

# ... and the clause after "malgré" is the concession, not the verdict.
CONCESSIONS = (
    "malgre", "meme si", "bien que",
)

INTENSIFIERS = {
    "grave", "hyper", "si", "tellement", "tres", "trop", "vachement", "vraiment",
}

# Praise words writers use sarcastically when the facts around them are bad.
IRONY_PRONE = {
    "amabilite", "bravo", "charmant", "comble", "exploit", "generosit", "genial", "honnete",
    "merci", "pratique", "quelle", "super", "top", "vraiment",
}

# Facts that are complaints whatever the tone: they anchor the irony test.
COMPLAINT_FACTS = (
    "encore", "toujours pas", "au lieu de", "retard", "rien", "jamais", "perdu", "manquant", "rate",
    "se deconnecte", "raccroche", "augmente", "12€ sur", "sur 89", "500 points", "attends",
    "attendu", "-5%", "soupire", "lache", "semaines", "le 28",
)

QUESTION_OPENERS = (
    "comment", "est-ce", "pourriez", "pouvez", "quel", "quelle", "ou ", "je voudrais",
    "je souhaite", "bonjour, pourriez", "merci de", "je vous prie", "je vous informe", "bjr", "cc ",
    "vous pouvez",
)
# fmt: on
