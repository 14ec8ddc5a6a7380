"""`cdp sources infer` on headers spelt the way French retail systems spell them: accents,
case, separators and abbreviations read as words, the right contract chosen, a second phone
proposed as a list, Unix and ISO 8601 times recognised."""

from __future__ import annotations

import json

import pytest

from ingestion.definitions import load_definition
from ingestion.infer import propose
from ingestion.vocabulary import canonical


@pytest.mark.parametrize(
    ("header", "same_as"),
    [
        ("N° carte", "card number"),
        ("NUM_CARTE", "Numéro de carte"),
        ("N_CARTE_FID", "num carte fidelite"),
        ("PU_TTC", "unit price"),
        ("CODE_MAG", "code magasin"),
        ("Ticket ID", "ticket_id"),
        ("Créé le", "created_at"),
        ("createdAt", "Created at"),
        ("Clôturé le", "closed"),
        ("Durée (s)", "duration_seconds"),
        ("Opt-in e-mail", "email opt in"),
        ("Tél. portable", "telephone mobile"),
        ("CP_CLIENT", "code postal client"),
    ],
)
def test_headers_are_read_as_canonical_words(header, same_as):
    assert canonical(header) == canonical(same_as)


def test_unrelated_headers_stay_apart():
    assert canonical("Tél. domicile") != canonical("Tél. portable")
    assert canonical("NOM") != canonical("Nom du contact")


LOYALTY = (
    "N° carte;Civilité;NOM;Prénom;Né(e) le;Adresse 1;Adresse 2;CP;Ville;Tél. domicile;"
    "Tél. portable;E-mail;Date adhésion;Opt-in e-mail\n"
    "2901;Mme;MARTIN;Élodie;14/03/1971;12 R DE LA PAIX;APT 4;75011;PARIS;01 43 57 21 96;"
    "06 12 34 56 71;elodie.martin@orange.fr;02/05/2015;O\n"
    "2902;M.;DURAND;Paul;;3 AV FOCH;;69003;LYON;;07 88 12 40 77;;21/11/2019;N\n"
)
TILLS = (
    "CODE_MAG;N_TICKET;DATE_TICKET;N_LIGNE;EAN;LIBELLE;QTE;PU_TTC;REMISE;MODE_PAIEMENT;"
    "N_CARTE_FID;CP_CLIENT\n"
    "M001;100001;02/03/2026 10:15:00;1;3560070894222;BAGUETTE;1;1,10;0,00;CB;2901;75011\n"
)
TICKETS = (
    "Ticket ID,Créé le,Canal,Statut,Clôturé le,Nom du contact,Téléphone,E-mail,N° fidélité,"
    "Motif,Durée (s),Note\n"
    "SC-1,2026-03-01T10:15:00+01:00,Chat,Résolu,2026-03-02T09:00:00+01:00,"
    "Mme MARTIN née Petit,06 12 34 56 71,,2901,Livraison,120,4\n"
    "SC-2,2026-07-01T08:00:00+02:00,E-mail,En cours,,DURAND Paul,,p.durand@free.fr,,Retour,45,\n"
)
GA4 = [
    {"event_date": "20260301", "event_timestamp": 1772356500000000, "event_name": "page_view",
     "user_pseudo_id": "123.456", "user_id": None, "device": {"category": "mobile"},
     "geo": {"city": "Lyon"}},
    {"event_date": "20260301", "event_timestamp": 1772356530000000, "event_name": "login",
     "user_pseudo_id": "123.456", "user_id": "C0000001", "device": {"category": "mobile"},
     "geo": {"city": "Lyon"}},
]  # fmt: skip


def _write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_loyalty_member_file_is_a_contact_file_with_two_phones(tmp_path):
    proposal = propose(_write(tmp_path, "adherents_20261130.csv", LOYALTY, "cp1252"))
    assert proposal.contract == "contact"
    assert proposal.columns["contact_id"] == "N° carte"
    assert proposal.columns["birth_date"] == "Né(e) le"
    assert (proposal.columns["phone"], proposal.columns["other_phone"]) == (
        "Tél. portable",
        "Tél. domicile",
    )
    assert proposal.columns["email_opt_in"] == "Opt-in e-mail"
    # what infer writes is a definition that loads, the landline kept with the mobile
    text = proposal.to_yaml()
    assert 'phone: ["Tél. portable", "Tél. domicile"]' in text
    assert "phone: [phone, other_phone]" in text
    path = _write(tmp_path, "adherents.yml", text)
    definition = load_definition(path)
    entity = definition.entities[proposal.entity]
    assert entity.personal_data["phone"] == ["phone", "other_phone"]
    assert definition.identities[0].other_contacts() == {"phone": ["other_phone"]}


def test_till_lines_map_store_price_and_card_abbreviations(tmp_path):
    proposal = propose(_write(tmp_path, "tickets_20261130.csv", TILLS))
    assert proposal.contract == "pos_receipt_line"
    assert proposal.missing_required == []
    assert {f: proposal.columns[f] for f in ("store_id", "unit_price", "loyalty_card_id")} == {
        "store_id": "CODE_MAG",
        "unit_price": "PU_TTC",
        "loyalty_card_id": "N_CARTE_FID",
    }
    assert proposal.decimal_separator == ","


def test_call_center_tickets_with_offsets_are_tickets_read_as_iso8601(tmp_path):
    proposal = propose(_write(tmp_path, "tickets_2026-11.csv", TICKETS))
    assert proposal.contract == "callcenter_ticket"
    assert {f: proposal.columns[f] for f in ("ticket_id", "opened_at", "closed_at")} == {
        "ticket_id": "Ticket ID",
        "opened_at": "Créé le",
        "closed_at": "Clôturé le",
    }
    assert proposal.columns["duration_seconds"] == "Durée (s)"
    assert proposal.timestamp_formats == ["iso8601"]


def test_ga4_export_is_web_events_in_microseconds(tmp_path):
    text = "".join(json.dumps(event) + "\n" for event in GA4)
    proposal = propose(_write(tmp_path, "events_20261130.jsonl", text))
    assert proposal.contract == "web_event"
    assert proposal.missing_required == []
    assert proposal.columns["event_at"] == "event_timestamp"
    assert proposal.columns["device_category"] == "device.category"
    assert proposal.timestamp_formats == ["epoch_us"]
