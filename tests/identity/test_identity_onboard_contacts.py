"""A contact file with neither e-mails nor phones, onboarded by a source definition alone.

FEBRL-like: names, birth date, address, postcode, city; one record per person plus a
duplicate with one typo. Nothing in the project is changed but the definition: the model
plans itself on the attributes present (no e-mail or phone comparison, rule or session).
"""

from __future__ import annotations

import csv
import json
import random

import pytest

import identity
import ingestion
from identity._evaluate import EvaluationError

CRM = """
source: crm
entities:
  contacts:
    contract: contact
    files: crm/contacts_*.csv
    format: csv
    delimiter: ";"
    encoding: cp1252
    date_formats: ["%d/%m/%Y"]
    columns:
      contact_id: ID
      full_name: NOM_COMPLET
      birth_date: NAISSANCE
      address_line: ADRESSE
      postcode: CP
      city: VILLE
identities:
  - identity_type: crm_contact
    entity: contacts
    source_key: contact_id
    attributes: {full_name: full_name, birth_date: birth_date, address_line: address_line,
                 postcode: postcode, city: city}
"""
FIRST = "Jean Marie Pierre Anne Sophie Hugo Léa Chloé Louis Emma Zoé Théo Inès Noé Maël".split()
LAST = (
    "MARTIN BERNARD DUBOIS THOMAS ROBERT RICHARD PETIT DURAND LEROY MOREAU SIMON LAURENT "
    "LEFÈVRE MICHEL GARCIA DAVID BERTRAND ROUX VINCENT FOURNIER MOREL GIRARD ANDRÉ MERCIER"
).split()
STREETS = "rue de la Paix|avenue Foch|boulevard Voltaire|rue Œuvre|place d’Italie".split("|")
CITIES = [("75011", "Paris"), ("69003", "Lyon"), ("13008", "Marseille"), ("44000", "Nantes")]


def _typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _people(count: int, rng: random.Random) -> list[dict]:
    people = []
    for n in range(count):
        postcode, city = rng.choice(CITIES)
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1940, 2004)
        people.append(
            {
                "first": FIRST[n % len(FIRST)],
                "last": LAST[(n * 7) % len(LAST)],
                "birth": f"{day:02d}/{month:02d}/{year}",
                "address": f"{rng.randint(1, 150)} {rng.choice(STREETS)}",
                "postcode": postcode,
                "city": city,
            }
        )
    return people


def _write_export(settings, people: list[dict], rng: random.Random) -> None:
    rows, truth = [], []
    for n, person in enumerate(people):
        duplicate = dict(person)
        field = ("first", "last", "address", "birth")[n % 4]
        if field == "birth":
            duplicate["birth"] = ""
        else:
            duplicate[field] = _typo(person[field], rng)
        for suffix, version in (("org", person), ("dup", duplicate)):
            key = f"C{n:03d}-{suffix}"
            name = f"{version['last']} {version['first']}"
            rows.append([key, name, version["birth"], version["address"], version["postcode"],
                         version["city"]])  # fmt: skip
            truth.append(["crm_contact", key, f"P{n}"])
    landing = settings.landing_dir / "crm"
    landing.mkdir(parents=True)
    with (landing / "contacts_2026-11-30.csv").open("w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["ID", "NOM_COMPLET", "NAISSANCE", "ADRESSE", "CP", "VILLE"])
        writer.writerows(rows)
    with (settings.truth_dir / "crm_truth.csv").open("w", newline="") as out:
        csv.writer(out).writerows([["identity_type", "source_key", "person_id"], *truth])


@pytest.fixture
def crm_only(settings):
    """Settings whose only source is the CRM contact file."""
    for definition in settings.sources_dir.glob("*.yml"):
        definition.unlink()
    (settings.sources_dir / "crm.yml").write_text(CRM, encoding="utf-8")
    rng = random.Random(7)
    _write_export(settings, _people(120, rng), rng)
    return settings


def test_contacts_without_email_or_phone_train_resolve_and_evaluate(crm_only):
    report = ingestion.ingest(crm_only)
    assert report.total("rows_accepted") == 240 and report.total("rows_quarantined") == 0

    summary = identity.resolve(crm_only)

    assert summary["records"] == 240
    meta = json.loads((crm_only.model_dir / "identity_model.meta.json").read_text())
    assert "email" not in meta["plan"]["comparisons"]
    assert "phone" not in meta["plan"]["comparisons"]
    assert {"first_name", "last_name", "birth_date", "address"} <= set(meta["plan"]["comparisons"])
    metrics = identity.evaluate(crm_only, crm_only.truth_dir / "crm_truth.csv")["identified"]
    # 120 true pairs, each duplicate one typo (or a missing birth date) away from its original
    assert metrics["true_pairs"] == 120
    assert metrics["pairwise_precision"] >= 0.97
    assert metrics["pairwise_recall"] >= 0.9


def test_the_split_name_and_cp1252_text_survive(crm_only):
    from core.warehouse import connect_read_only

    ingestion.ingest(crm_only)
    identity.resolve(crm_only)
    with connect_read_only(crm_only) as con:
        streets = {
            row[0]
            for row in con.execute(
                "select regexp_replace(address_line, '^[0-9]+ ', '') from raw.crm__contacts"
            ).fetchall()
        }
        names = con.execute(
            "select first_name, last_name from identity.identity_records "
            "where source_key = 'C012-org'"
        ).fetchone()
    # cp1252's own characters (Œ, ’) read back as written, not as latin-1 control codes
    assert {"rue Œuvre", "place d’Italie"} <= streets
    # "LEFÈVRE Inès": capitals are the surname; accents folded for matching
    assert names == ("ines", "lefevre")


def test_a_truth_file_naming_no_resolved_record_is_a_clear_error(crm_only, tmp_path):
    ingestion.ingest(crm_only)
    identity.resolve(crm_only)
    wrong = tmp_path / "wrong_truth.csv"
    wrong.write_text("identity_type,source_key,person_id\ncrm,C000-org,P0\n", encoding="utf-8")
    with pytest.raises(EvaluationError, match="crm_contact"):
        identity.evaluate(crm_only, wrong)


def test_a_model_trained_without_emails_says_to_retrain_once_emails_arrive(crm_only, caplog):
    import logging

    ingestion.ingest(crm_only)
    identity.resolve(crm_only)
    # the CRM starts exporting e-mails: the saved model has no e-mail comparison yet
    definition = crm_only.sources_dir / "crm.yml"
    text = definition.read_text(encoding="utf-8")
    text = text.replace("      city: VILLE\n", "      city: VILLE\n      email: MAIL\n")
    text = text.replace("city: city}", "city: city, email: email}")
    definition.write_text(text, encoding="utf-8")
    export = crm_only.landing_dir / "crm" / "contacts_2026-12-01.csv"
    export.write_text(
        "ID;NOM_COMPLET;NAISSANCE;ADRESSE;CP;VILLE;MAIL\n"
        "N1;PETIT Zoé;02/03/1990;3 rue Foch;75011;Paris;zoe.petit@orange.fr\n"
        "N2;ROUX Noé;04/05/1991;5 rue Foch;75011;Paris;noe.roux@free.fr\n",
        encoding="cp1252",
    )
    ingestion.ingest(crm_only)
    with caplog.at_level(logging.WARNING, logger="identity._training"):
        identity.resolve(crm_only)
    assert any(
        "['email']" in r.getMessage() and "cdp identity train" in r.getMessage()
        for r in caplog.records
    )


NEWSLETTER = """
source: newsletter
entities:
  subscribers:
    contract: contact
    files: newsletter/*.csv
    format: csv
    columns: {contact_id: id, email: email}
identities:
  - identity_type: newsletter_subscriber
    entity: subscribers
    source_key: contact_id
    attributes: {email: email}
"""


def test_an_export_of_emails_only_links_the_same_address(settings):
    # No session can estimate an e-mail-only model's m (each blocks on the e-mail): it gets
    # an uninformed m, and the sampled u does the rest. 300 addresses, 100 given twice.
    for definition in settings.sources_dir.glob("*.yml"):
        definition.unlink()
    (settings.sources_dir / "newsletter.yml").write_text(NEWSLETTER, encoding="utf-8")
    rows = ["id,email"]
    for n in range(300):
        rows.append(f"a{n},abonne.{n}@orange.fr")
        if n % 3 == 0:
            rows.append(f"b{n}, Abonne.{n}@Orange.fr ")
    landing = settings.landing_dir / "newsletter"
    landing.mkdir(parents=True)
    (landing / "subscribers_2026-12-01.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    ingestion.ingest(settings)

    summary = identity.resolve(settings)

    assert summary["records"] == 400
    assert summary["customers"] == 300
    assert summary["probabilistic_links"] == 100
