"""Hand-made landing files with known malformed rows, one writer per source.

Each writer returns the expected outcome so tests assert against numbers worked out here,
not read back from the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

POS_HEADER = (
    "CODE_MAGASIN;NUM_TICKET;NUM_LIGNE;DATE_HEURE;CODE_ARTICLE;LIBELLE_ARTICLE;FAMILLE;QUANTITE;"
    "PRIX_UNITAIRE;REMISE;PRIX_ACHAT;MODE_PAIEMENT;NUM_CARTE_FIDELITE;NOM_CLIENT;PRENOM_CLIENT;"
    "EMAIL_CLIENT;TEL_CLIENT;CP_CLIENT;VILLE_CLIENT;DATE_NAISSANCE_CLIENT;OPTIN_EMAIL;OPTIN_SMS"
)
SPECIAL_PRODUCT = "Bon d’achat 10 € – Cœur de bœuf…"


def pos_line(
    receipt: int,
    line: int = 1,
    *,
    product: str = "Pain de campagne",
    quantity: str = "1",
    sold_at: str = "03/02/2024 10:15",
    payment: str = "CB",
    card: str = "",
    last: str = "",
    first: str = "",
    email: str = "",
    phone: str = "",
    city: str = "",
    birth: str = "",
    optin: str = "",
) -> str:
    return ";".join(
        [
            "M012",
            f"T{receipt:06d}",
            str(line),
            sold_at,
            f"SKU{receipt % 97:04d}",
            product,
            "Boulangerie",
            quantity,
            "12,99",
            "1,00",
            "",
            payment,
            card,
            last,
            first,
            email,
            phone,
            "75011" if card else "",
            city,
            birth,
            optin,
            optin,
        ]
    )


def write_pos(
    landing: Path, name: str = "pos_receipts_20240203.csv", valid: int = 20, first_receipt: int = 1
) -> dict:
    """POS export in cp1252 with ``valid`` good lines, then 7 bad and 2 special good ones.

    Data rows: 1..valid good; valid+1 negative quantity; +2 month 13; +3 only 10 columns;
    +4 quantity 12000 (above the contract's bound); +5 byte 0x81 (undefined in cp1252);
    +6 mojibake ``Ã©``; +7 the special-characters product (good); +8 a loyalty member (good);
    +9 quantity 0.
    """
    rows = [pos_line(first_receipt + i) for i in range(valid)]
    n = first_receipt + valid
    rows += [
        pos_line(n, quantity="-2"),
        pos_line(n + 1, sold_at="31/13/2024 10:00"),
        ";".join(pos_line(n + 2).split(";")[:10]),
        pos_line(n + 3, quantity="12000"),
        pos_line(n + 4, product="PLACEHOLDER_81"),
        pos_line(n + 5, card="C123", last="DUPONT", first="Jean", city="CrÃ©teil"),
        pos_line(n + 6, product=SPECIAL_PRODUCT),
        pos_line(
            n + 7,
            card="C900",
            last="MARTIN",
            first="Chloé",
            email="Chloe.Martin@Example.fr",
            phone="06 12 34 56 78",
            city="Paris",
            birth="14/07/1985",
            optin="O",
        ),
        pos_line(n + 8, quantity="0"),
    ]
    data = ("\r\n".join([POS_HEADER, *rows]) + "\r\n").encode("cp1252")
    data = data.replace(b"PLACEHOLDER_81", b"Caf\x81 moulu")
    path = landing / "pos" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    bad = {
        valid + 1: "quantity: must be >= 1",
        valid + 2: "sold_at: not a valid TIMESTAMP",
        valid + 3: "structure: missing columns",
        valid + 4: "quantity: must be <= 9999",
        valid + 5: "product_name: broken encoding",
        valid + 6: "customer_city: broken encoding",
        valid + 9: "quantity: must be >= 1",
    }
    return {"path": path, "read": valid + 9, "accepted": valid + 2, "quarantined": 7, "bad": bad}


def ga4_event(n: int, name: str = "page_view", **overrides: object) -> dict:
    event = {
        "event_date": "20240203",
        "event_timestamp": 1706954400000000 + n * 1_000_000,
        "event_name": name,
        "user_pseudo_id": f"{1000000000 + n}.1706950000",
        "user_id": None,
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": 1706950000 + n}},
            {"key": "page_location", "value": {"string_value": f"https://shop.example.fr/p/{n}"}},
            {"key": "page_title", "value": {"string_value": "Pâtes fraîches"}},
        ],
        "device": {"category": "mobile"},
        "geo": {"country": "France", "city": "Lyon"},
        "traffic_source": {"source": "google", "medium": "organic"},
    }
    event.update(overrides)
    return event


def write_web_events(landing: Path, name: str = "ga4_events_20240203.jsonl") -> dict:
    """5 good events (one purchase), then: broken JSON, unknown event, no cookie, bad timestamp."""
    lines = [json.dumps(ga4_event(i)) for i in range(4)]
    lines.append(
        json.dumps(
            ga4_event(
                4,
                "purchase",
                user_id="A0042",
                ecommerce={
                    "transaction_id": "W123",
                    "purchase_revenue": 59.9,
                    "total_item_quantity": 2,
                },
                items=[{"item_id": "SKU1", "item_name": "Thé", "price": 29.95, "quantity": 2}],
            )
        )
    )
    lines.append('{"event_name": "page_view", "user_pseudo_id": ')
    lines.append(json.dumps(ga4_event(6, "télé port")))
    lines.append(json.dumps(ga4_event(7, user_pseudo_id=None)))
    lines.append(json.dumps(ga4_event(8, event_timestamp="yesterday")))
    path = landing / "web" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = {
        6: "line: not valid JSON",
        7: "event_name: must match",
        8: "user_pseudo_id: required, missing",
        9: "event_at: not a valid TIMESTAMP",
    }
    return {"path": path, "read": 9, "accepted": 5, "quarantined": 4, "bad": bad}


def write_web_accounts(landing: Path, con, name: str = "eshop_accounts_20240203.parquet") -> dict:
    """3 accounts: one good, one without id, one born in 2090."""
    path = landing / "web" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
        copy (select * from (values
            ('A0042', 'chloe.martin@example.fr', 'Chloé', 'Martin', date '1985-07-14',
             '+33612345678', '3 rue Oberkampf', '75011', 'Paris', true, false,
             timestamp '2023-01-05 10:00:00', timestamp '2024-01-05 10:00:00'),
            (NULL, 'x@example.fr', 'X', 'Y', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             timestamp '2023-01-05 10:00:00', NULL),
            ('A0043', 'z@example.fr', 'Zoé', 'Roux', date '2090-01-01', NULL, NULL, '69001',
             'Lyon', false, false, timestamp '2023-01-05 10:00:00', NULL)
        ) t(account_id, email, first_name, last_name, birth_date, phone, address_line, postcode,
            city, email_opt_in, sms_opt_in, created_at, updated_at)) to '{path}' (format parquet)
    """)
    # the birth date is optional: nulled and counted, the account kept
    bad = {2: "account_id: required, missing"}
    nulled = {("birth_date", "must not be in the future"): 1}
    return {"path": path, "read": 3, "accepted": 2, "quarantined": 1, "bad": bad, "nulled": nulled}


def write_email(landing: Path, suffix: str = "20240203") -> dict:
    """Subscribers: 3 good, bad status, bad email. Activity: 3 good, bad timestamp."""
    folder = landing / "email"
    folder.mkdir(parents=True, exist_ok=True)
    subscribers = folder / f"subscribers_{suffix}.csv"
    subscribers.write_text(
        "Email Address,First Name,Last Name,Status,Opt-in Date,Last Changed,Zip\n"
        "chloe.martin@example.fr,Chloé,Martin,subscribed,"
        "2023-03-01 09:00:00,2023-03-01 09:00:00,75011\n"
        "j.dupont@example.fr,Jean,Dupont,unsubscribed,"
        "2022-01-01 09:00:00,2024-01-02 10:00:00,94000\n"
        '"o\'neil@example.fr","Seán","O\'Neil, Jr",pending,,,\n'
        "a@example.fr,A,B,zombie,2023-03-01 09:00:00,,\n"
        "not-an-email,A,B,subscribed,2023-03-01 09:00:00,,\n",
        encoding="utf-8",
    )
    activity = folder / f"activity_{suffix}.csv"
    activity.write_text(
        "campaign_id,campaign_name,email,action,timestamp,url,bounce_type\n"
        "C1,Soldes d'hiver,chloe.martin@example.fr,sent,2024-01-10 08:00:00,,\n"
        "C1,Soldes d'hiver,chloe.martin@example.fr,open,2024-01-10 09:12:00,,\n"
        "C1,Soldes d'hiver,chloe.martin@example.fr,click,2024-01-10 09:13:00,https://shop.example.fr/?a=1,\n"
        "C1,Soldes d'hiver,j.dupont@example.fr,bounce,10/01/2024,,hard\n",
        encoding="utf-8",
    )
    return {
        "subscribers": {
            "path": subscribers,
            "read": 5,
            "accepted": 3,
            "quarantined": 2,
            # status is optional but `on_invalid: quarantine` in config/sources/email.yml
            "bad": {4: "status: must be one of", 5: "email: must match"},
        },
        "activity": {
            "path": activity,
            "read": 4,
            "accepted": 3,
            "quarantined": 1,
            "bad": {4: "activity_at: not a valid TIMESTAMP"},
        },
    }


CALLCENTER_HEADER = (
    "ticket_id;opened_at;closed_at;caller_name;caller_phone;caller_email;"
    "loyalty_number;channel;reason;status;duration_sec;csat;verbatim"
)


def write_callcenter(landing: Path, name: str = "tickets_20240203.csv") -> dict:
    """UTF-8 with BOM: 3 good tickets, csat 7 (quarantined: `on_invalid: quarantine` in
    config/sources/callcenter.yml), duration 'long' (optional: nulled, the ticket kept)."""
    rows = [
        "K1;03/02/2024 09:00:00;03/02/2024 09:05:00;DUPONT Jean;06 12 34 56 78;;C123;phone;"
        "livraison;closed;300;5;Très satisfait, merci !",
        "K2;03/02/2024 10:00:00;;Mme Marie-Claire Le Goff;+33 6 98 76 54 32;mc@example.fr;;chat;"
        "retour;open;;;",
        "K3;03/02/2024 11:00:00;03/02/2024 11:30:00;martin chloé;0033612345678;;;email;"
        'facture;escalated;1800;2;"Client « mécontent »; rappel"',
        "K4;03/02/2024 12:00:00;;X;0612345678;;;phone;autre;closed;60;7;",
        "K5;03/02/2024 12:00:00;;Y;0612345679;;;phone;autre;closed;long;3;",
    ]
    path = landing / "callcenter" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\ufeff" + "\n".join([CALLCENTER_HEADER, *rows]) + "\n", encoding="utf-8")
    bad = {4: "csat: must be <= 5"}
    nulled = {("duration_seconds", "not a valid INTEGER"): 1}
    return {"path": path, "read": 5, "accepted": 4, "quarantined": 1, "bad": bad, "nulled": nulled}


def write_all(landing: Path, con) -> dict:
    """Every source's fixture; keys are raw table names."""
    email = write_email(landing)
    return {
        "pos__receipt_lines": write_pos(landing),
        "web__events": write_web_events(landing),
        "web__accounts": write_web_accounts(landing, con),
        "email__subscribers": email["subscribers"],
        "email__activity": email["activity"],
        "callcenter__tickets": write_callcenter(landing),
    }
