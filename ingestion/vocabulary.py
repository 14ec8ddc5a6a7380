"""Vendor vocabularies: the column names exports give each contract field, French and English.

Used by ``cdp sources infer`` to map an unknown export's header onto a contract. Names are
compared as sets of canonical words (:func:`canonical`): lower case, accents folded,
punctuation and ``snake_case``/``camelCase`` as spaces, French and English retail words and
their usual abbreviations read as one word (``N°``, ``num``, ``no`` are ``number``; ``tél``,
``telephone`` are ``phone``; ``mag`` is ``store``; ``PU`` is ``unit price``), filler words
dropped (``le``, ``du``, ``TTC``). So ``N° carte``, ``NUM_CARTE`` and ``Card number`` are one
name, and so are ``Créé le`` and ``created_at``. A synonym listed under a contract field is
an exact match; a header holding a synonym's words among others (``Default Address Zip``
holds ``zip``) is a weaker guess, flagged as such in the proposal.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# one line per field reads as a table
# fmt: off
# word -> its canonical word(s); a word not listed is its own
WORDS = {
    **dict.fromkeys(["n", "no", "num", "numero", "nr", "nro", "nbr", "number", "nummer"],
                    "number"),
    **dict.fromkeys(["id", "ident", "identifiant", "identifier"], "id"),
    **dict.fromkeys(["client", "clt", "cli", "customer", "cust", "kunde"], "customer"),
    **dict.fromkeys(["carte", "card", "crt"], "card"),
    **dict.fromkeys(["fid", "fidelite", "fidelity", "loyalty", "fidel"], "loyalty"),
    **dict.fromkeys(["adherent", "adh", "member", "membre", "adhesion", "membership"],
                    "member"),
    **dict.fromkeys(["mag", "magasin", "store", "boutique", "shop", "pdv"], "store"),
    **dict.fromkeys(["ligne", "lig", "line"], "line"),
    **dict.fromkeys(["prix", "price", "px", "tarif"], "price"),
    "pu": "unit price",
    "unitaire": "unit",
    **dict.fromkeys(["qte", "qty", "quantite", "quantity", "qt"], "quantity"),
    **dict.fromkeys(["remise", "discount", "rabais", "reduction"], "discount"),
    **dict.fromkeys(["lib", "libelle", "label", "designation"], "label"),
    **dict.fromkeys(["tel", "tlf", "telephone", "phone", "tph"], "phone"),
    **dict.fromkeys(["portable", "mobile", "gsm", "cell", "cellulaire", "mob", "port"],
                    "mobile"),
    **dict.fromkeys(["domicile", "fixe", "home", "dom", "landline", "maison"], "home"),
    **dict.fromkeys(["mail", "email", "courriel", "mel"], "email"),
    **dict.fromkeys(["adresse", "address", "addr", "adr"], "address"),
    **dict.fromkeys(["cp", "zip", "postcode", "zipcode", "codepostal", "postalcode"],
                    "postcode"),
    **dict.fromkeys(["ville", "city", "town", "localite"], "city"),
    **dict.fromkeys(["naissance", "birth", "ne", "nee", "born", "naiss"], "birth"),
    "ddn": "birth date",
    "dob": "birth date",
    **dict.fromkeys(["dt", "date"], "date"),
    **dict.fromkeys(["cree", "creee", "creation", "created", "create", "crea"], "created"),
    **dict.fromkeys(["maj", "modifie", "modification", "modified", "updated", "update",
                     "modif"], "updated"),
    **dict.fromkeys(["cloture", "cloturee", "clos", "closed", "fermeture", "ferme",
                     "solved", "resolved"], "closed"),
    **dict.fromkeys(["ouverture", "ouvert", "opened", "open"], "opened"),
    **dict.fromkeys(["duree", "duration"], "duration"),
    **dict.fromkeys(["s", "sec", "secs", "secondes", "seconds", "seconde"], "seconds"),
    **dict.fromkeys(["statut", "status", "etat"], "status"),
    **dict.fromkeys(["canal", "channel", "via"], "channel"),
    **dict.fromkeys(["paiement", "payment", "reglement", "pmt"], "payment"),
    **dict.fromkeys(["evenement", "event", "evt"], "event"),
    **dict.fromkeys(["horodatage", "timestamp", "ts"], "timestamp"),
    **dict.fromkeys(["heure", "time", "hour"], "time"),
    **dict.fromkeys(["ticket", "tkt"], "ticket"),
    **dict.fromkeys(["commande", "cde", "cmd", "order"], "order"),
    **dict.fromkeys(["article", "art", "item", "produit", "product"], "product"),
    **dict.fromkeys(["pays", "country"], "country"),
    **dict.fromkeys(["optin", "opt-in", "consentement", "consent"], "optin"),
}
# joined before words are read one by one
PHRASES = {"e mail": "email", "opt in": "optin", "code postal": "postcode",
           "postal code": "postcode", "zip code": "postcode", "post code": "postcode",
           "n o": "number", "pseudo id": "pseudo id"}
# filler: articles, prepositions, tax and currency qualifiers of amounts
FILLER = {"le", "la", "les", "l", "de", "du", "des", "d", "the", "of", "at", "on", "a", "en",
          "par", "e", "ttc", "ht", "eur", "euro", "euros"}

PERSON = {
    "email": ["email", "e mail", "email address", "e mail address", "mail", "adresse email",
              "adresse mail", "adresse e mail", "courriel", "email client", "customer email",
              "requester email"],
    "first_name": ["first name", "firstname", "prenom", "given name", "forename",
                   "prenom client", "billing first name", "fname"],
    "last_name": ["last name", "lastname", "nom", "surname", "family name", "nom de famille",
                  "nom client", "billing last name", "lname"],
    "full_name": ["name", "full name", "nom complet", "requester", "customer name",
                  "billing name", "caller name", "nom prenom", "contact name"],
    "phone": ["phone", "telephone", "tel", "mobile", "portable", "phone number", "sms",
              "gsm", "telephone portable", "tel portable", "tel client", "billing phone",
              "requester phone", "default address phone", "numero de telephone"],
    "other_phone": ["home phone", "telephone domicile", "landline", "telephone fixe",
                    "phone 2", "telephone 2", "other phone", "work phone", "secondary phone",
                    "autre telephone", "telephone pro", "telephone travail"],
    "other_email": ["email 2", "other email", "secondary email", "autre email", "work email",
                    "email pro", "email professionnel"],
    "postcode": ["zip", "zip code", "postcode", "postal code", "post code", "cp",
                 "code postal", "billing zip", "default address zip", "cp client"],
    "city": ["city", "ville", "town", "commune", "billing city", "default address city",
             "ville client"],
    "address_line": ["address", "adresse", "address1", "address 1", "address line 1",
                     "street", "rue", "adresse 1", "billing address1", "billing street",
                     "default address address1", "adresse postale"],
    "country": ["country", "pays", "country code", "billing country",
                "default address country code", "cc"],
    "birth_date": ["birth date", "birthdate", "date of birth", "dob", "birthday",
                   "date de naissance", "naissance", "ddn", "date naissance", "ne le"],
    "national_id": ["ssn", "social security number", "national id", "nir",
                    "numero de securite sociale", "n securite sociale", "nino",
                    "national insurance number"],
    "email_opt_in": ["accepts email marketing", "accepts marketing", "optin email",
                     "opt in email", "email opt in", "newsletter", "consentement email"],
    "sms_opt_in": ["accepts sms marketing", "optin sms", "opt in sms", "sms opt in",
                   "consentement sms"],
    "created_at": ["created at", "created", "creation date", "date creation",
                   "date de creation", "signup date", "date inscription", "added time",
                   "date d inscription", "date adhesion", "member since"],
    "updated_at": ["updated at", "updated", "last modified", "modified", "date modification",
                   "modified time", "date de modification"],
}

CONTRACT_VOCABULARY: dict[str, dict[str, list[str]]] = {
    "contact": {
        "contact_id": ["id", "customer id", "client id", "contact id", "n client",
                       "no client", "numero client", "num client", "code client",
                       "ref client", "reference client", "identifiant", "id client",
                       "customer number", "member id", "contact number", "numero",
                       "card number", "loyalty card", "loyalty card number", "member number",
                       "numero adherent"],
        **{k: v for k, v in PERSON.items()},
    },
    "email_subscriber": {
        "email": PERSON["email"],
        "first_name": PERSON["first_name"],
        "last_name": PERSON["last_name"],
        "status": ["status", "statut", "etat", "subscription status"],
        "opted_in_at": ["optin time", "opt in date", "optin date", "date optin",
                        "date opt in", "subscribed at", "confirm time", "added time",
                        "date inscription"],
        "status_changed_at": ["last changed", "status changed at", "modified time",
                              "date modification", "updated at", "date desinscription",
                              "unsubscribed at", "date desabonnement"],
        "postcode": PERSON["postcode"],
    },
    "email_activity": {
        "campaign_id": ["campaign id", "campaign", "id campagne", "campagne id", "campagne"],
        "campaign_name": ["campaign name", "campaign title", "nom campagne",
                          "nom de la campagne", "subject"],
        "email": PERSON["email"],
        "activity_type": ["action", "activity", "event", "type", "evenement",
                          "activity type", "event type"],
        "activity_at": ["timestamp", "date", "time", "activity at", "event date",
                        "event time", "date evenement"],
        "url": ["url", "link", "lien", "clicked url"],
        "bounce_type": ["bounce type", "type bounce", "type de bounce"],
    },
    "callcenter_ticket": {
        "ticket_id": ["id", "ticket id", "ticket", "numero ticket", "n ticket", "num ticket",
                      "ticket number", "case number"],
        "opened_at": ["created at", "opened at", "created", "date ouverture",
                      "date d ouverture", "date creation", "opened"],
        "closed_at": ["solved at", "closed at", "date cloture", "date de cloture",
                      "resolved at", "closed"],
        "caller_name": ["requester", "caller name", "requester name", "customer name",
                        "name", "client", "nom client", "demandeur", "nom du contact",
                        "contact name", "nom appelant", "appelant", "nom prenom"],
        "caller_phone": ["requester phone", "caller phone", "phone", "telephone", "tel",
                         "mobile"],
        "caller_email": ["requester email", "caller email", "email", "customer email",
                         "email demandeur"],
        "caller_other_phone": PERSON["other_phone"],
        "caller_other_email": PERSON["other_email"],
        "loyalty_card_id": ["loyalty card", "loyalty number", "carte fidelite",
                            "num carte fidelite", "card number"],
        "contact_channel": ["via", "channel", "canal", "contact channel"],
        "reason": ["subject", "reason", "motif", "objet", "category", "categorie"],
        "status": ["status", "statut", "etat", "ticket status"],
        "duration_seconds": ["duration", "duration seconds", "duree", "duration sec",
                             "handle time"],
        "csat": ["satisfaction", "csat", "satisfaction score", "rating", "note"],
        "verbatim": ["comment", "description", "verbatim", "commentaire", "satisfaction comment"],
    },
    "customer_review": {
        "review_id": ["id", "review id", "id avis", "avis id", "mention id", "post id"],
        "written_at": ["date", "created at", "review date", "date avis", "published at",
                       "date publication"],
        "platform": ["platform", "plateforme", "source", "site", "network", "reseau"],
        "author_name": ["reviewer", "author", "author name", "auteur", "nom", "name"],
        "author_handle": ["handle", "username", "screen name", "pseudo", "author handle"],
        "author_email": ["email", "reviewer email", "author email", "e mail"],
        "rating": ["stars", "rating", "note", "etoiles", "score"],
        "text": ["review", "text", "avis", "commentaire", "message", "content", "contenu"],
        "product": ["product", "produit", "article", "sku"],
        "store": ["store", "magasin", "boutique", "shop", "location"],
    },
    "sms_activity": {
        "event_id": ["id", "event id", "message id", "sms id", "id message"],
        "campaign_id": ["campaign id", "campaign", "campagne", "id campagne"],
        "campaign_name": ["campaign name", "nom campagne", "nom de la campagne"],
        "phone": ["phone", "phone number", "mobile", "msisdn", "numero", "destinataire",
                  "recipient", "telephone"],
        "activity_type": ["event", "status", "type", "statut", "evenement"],
        "activity_at": ["date", "timestamp", "event date", "sent at", "date envoi"],
        "url": ["url", "link", "lien"],
        "reply_text": ["reply", "reponse", "message", "text", "texte", "contenu reponse"],
    },
    "pos_receipt_line": {
        "store_id": ["store", "store id", "magasin", "code magasin", "shop", "location",
                     "boutique", "point de vente"],
        "receipt_id": ["receipt", "receipt id", "num ticket", "numero ticket", "n ticket",
                       "no ticket", "ticket", "order",
                       "order id", "name", "order number", "numero commande", "n commande",
                       "commande", "transaction id"],
        "line_number": ["line", "line number", "num ligne", "ligne", "n ligne"],
        "sold_at": ["date", "created at", "paid at", "date heure", "sold at", "order date",
                    "date vente", "date commande", "transaction date", "date ticket"],
        "sku": ["sku", "lineitem sku", "code article", "ean", "product id", "article",
                "ref article", "reference article"],
        "product_name": ["lineitem name", "product", "product name", "libelle",
                         "libelle article", "designation", "description", "produit"],
        "category": ["category", "famille", "categorie", "rayon", "product type"],
        "quantity": ["qty", "quantity", "lineitem quantity", "quantite", "qte"],
        "unit_price": ["price", "unit price", "lineitem price", "prix", "prix unitaire", "pu"],
        "discount_amount": ["lineitem discount", "discount", "discount amount", "remise"],
        "payment_method": ["payment method", "mode paiement", "mode de paiement", "payment",
                           "mode reglement", "tender"],
        "loyalty_card_id": ["loyalty card", "card", "carte fidelite", "num carte fidelite",
                            "card number", "loyalty number"],
        "customer_last_name": PERSON["last_name"],
        "customer_first_name": PERSON["first_name"],
        "customer_email": PERSON["email"],
        "customer_phone": PERSON["phone"],
        "customer_postcode": PERSON["postcode"],
        "customer_city": PERSON["city"],
        "customer_birth_date": PERSON["birth_date"],
        "email_opt_in": PERSON["email_opt_in"],
        "sms_opt_in": PERSON["sms_opt_in"],
    },
    "web_account": {
        "account_id": ["account id", "id", "user id", "customer id", "id compte"],
        **{k: PERSON[k] for k in ("email", "first_name", "last_name", "birth_date", "phone",
                                  "address_line", "postcode", "city", "email_opt_in",
                                  "sms_opt_in", "created_at", "updated_at", "other_email",
                                  "other_phone")},
    },
    # GA4's BigQuery export (nested fields flattened to dotted paths) and its look-alikes
    "web_event": {
        "event_at": ["event timestamp", "timestamp", "event time", "event at",
                     "event datetime", "date heure evenement"],
        "event_name": ["event name", "event", "event type", "nom evenement"],
        "user_pseudo_id": ["user pseudo id", "client id", "cookie id", "anonymous id",
                           "device id", "visitor id", "cookie"],
        "user_id": ["user id", "customer id", "account id", "login id"],
        "session_id": ["session id", "ga session id", "session"],
        "page_location": ["page location", "page url", "url", "page"],
        "page_title": ["page title", "title", "titre page"],
        "transaction_id": ["transaction id", "order id", "ecommerce transaction id"],
        "purchase_revenue": ["purchase revenue", "revenue", "ecommerce purchase revenue"],
        "items": ["items", "products"],
        "event_params": ["event params", "params", "parameters"],
        "device_category": ["device category", "device", "device type"],
        "geo_city": ["geo city", "city", "ville"],
        "traffic_source": ["traffic source source", "traffic source", "source", "utm source"],
        "traffic_medium": ["traffic source medium", "medium", "utm medium"],
    },
}

# fmt: on


def normalise(name: str) -> str:
    """``N° Client`` -> ``n client``; ``Email_Address`` -> ``email address``;
    ``createdAt`` -> ``created at``."""
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)  # camelCase
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"([a-z])([0-9])", r"\1 \2", folded)
    return " ".join(re.split(r"[^a-z0-9]+", folded)).strip()


@lru_cache(maxsize=4096)
def canonical(name: str) -> frozenset[str]:
    """The canonical words of a column name: ``N° carte`` and ``card_number`` are both
    ``{number, card}``, ``PU_TTC`` is ``{unit, price}``, ``Créé le`` is ``{created}``."""
    text = f" {normalise(name)} "
    for phrase, word in PHRASES.items():
        text = text.replace(f" {phrase} ", f" {word} ")
    words = set()
    for word in text.split():
        if word in FILLER:
            continue
        words.update(WORDS.get(word, word).split())
    return frozenset(words)
