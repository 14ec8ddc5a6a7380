"""Standardisation on real DuckDB: the SQL expressions and the Python fallbacks."""

from __future__ import annotations

import pytest

from identity import _standardise as std
from identity._config import StandardisationConfig

CONFIG = StandardisationConfig(
    email_domain_typos={
        "gmial.com": "gmail.com",
        "orange.fe": "orange.fr",
        "hotmial.fr": "hotmail.fr",
    }
)


def _one(expr: str, value):
    import duckdb

    return (
        duckdb.connect()
        .execute(f"select {expr} from (select ?::varchar as v)", [value])
        .fetchone()[0]
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("612345678", "+33612345678"),
        ("hello", None),
    ],
)
def test_french_phone_spellings_become_e164_in_sql(raw, expected):
    assert _one(std.phone_sql("v"), raw) == expected


def test_foreign_phone_falls_back_to_phonenumbers():
    assert _one(std.phone_sql("v"), "+44 20 7946 0958") is None
    assert std.phone_e164("+44 20 7946 0958", "FR") == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Jean.Dupont+promo@GMIAL.com ", "jeandupont@gmail.com"),
        ("marie.curie@orange.fe", "marie.curie@orange.fr"),
        ("marie.curie+x@hotmial.fr", "marie.curie@hotmail.fr"),
        ("not-an-email", None),
    ],
)
def test_emails_are_canonical(raw, expected):
    assert _one(std.email_sql("v", CONFIG), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mme Marie-Claire", "marieclaire"),
        ("LE GOFF", "legoff"),
        ("Le Goff", "legoff"),
        ("Hélène", "helene"),
        ("Dr Cœur", "coeur"),
    ],
)
def test_names_fold_accents_titles_and_particles(raw, expected):
    assert _one(std.name_sql("v", CONFIG), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("DUPONT Jean", ("Jean", "DUPONT")),
        ("Mme Marie-Claire Le Goff", ("Marie-Claire", "Le Goff")),
        ("LE GOFF MARIE", ("MARIE", "LE GOFF")),
        ("M. Jean DE LA FONTAINE", ("Jean", "DE LA FONTAINE")),
        # a couple calling: their surname, no first name ("et Mme" is nobody's)
        ("M. et Mme DUPONT", (None, "DUPONT")),
        # a surname with its particle, alone: nobody is called "Le"
        ("Mme LE BIHAN", (None, "LE BIHAN")),
        ("M. Le Gall", (None, "Le Gall")),
        # a birth or married name beside the usual one is neither a first name nor a surname
        # the other records carry ("née MARTIN" is no first name)
        ("Mme DUPONT née Martin", (None, "DUPONT")),
        ("Mme DUPONT nee MARTIN", (None, "DUPONT")),
        ("Marie MARTIN épouse DUPONT", ("Marie", "MARTIN")),
        ("Mme LEROY ép. Martin", (None, "LEROY")),
        ("M. Renée DUPONT", ("Renée", "DUPONT")),  # a name that starts like "née" stays
    ],
)
def test_caller_names_split_on_capitals(raw, expected):
    assert std.split_full_name(raw, tuple(CONFIG.titles), tuple(CONFIG.name_particles)) == expected


def test_postcode_city_and_birth_date():
    assert _one(std.postcode_sql("v"), "6000") == "06000"
    assert _one(std.city_sql("v"), "St-Étienne CEDEX 2") == "saint etienne"
    assert _one(std.birth_date_sql("v", CONFIG), "1900-01-01") is None
    assert str(_one(std.birth_date_sql("v", CONFIG), "1984-05-06")) == "1984-05-06"


@pytest.mark.parametrize(
    "raw",
    [
        "DUPONT Jean",
        "Mme Marie-Claire Le Goff",
        "LE GOFF MARIE",
        "M. Jean DE LA FONTAINE",
        "jean de la fontaine",
        "Mme",
        "   ",
        "ÉLODIE",
        "Éric DUPONT-MARTIN",
        "O'NEIL Sean",
        "Jean\u00a0DUPONT",
        "Dr. Pr. Jean Du Pont",
        "d jean",
        "M. et Mme Dupont",
        "Mme LE BIHAN",
        "M. de Villiers",
        "Mme DUPONT née Martin",
        "Marie MARTIN Épouse DUPONT",
        "Renée DUPONT",
    ],
)
def test_caller_name_split_in_sql_follows_the_python_rules(raw):
    import duckdb

    con = duckdb.connect()
    con.execute("create table t as select ?::varchar as v", [raw])
    got = con.execute(std.split_full_name_sql("t", "v", CONFIG)).fetchall()
    expected = std.split_full_name(raw, tuple(CONFIG.titles), tuple(CONFIG.name_particles))
    assert got == [(raw, *expected)]


@pytest.mark.parametrize(("attribute", "typed", "expected"), std.DISPLAY_EXAMPLES)
def test_display_form_keeps_the_value_as_typed(attribute, typed, expected):
    typed_sql = std.collapse_spaces_sql("v")
    assert _one(std.display_sql(attribute, f"({typed_sql})"), typed) == expected


@pytest.mark.parametrize(("raw", "expected"), std.ADDRESS_EXAMPLES)
def test_address_lines_read_short_street_types_as_long(raw, expected):
    assert _one(std.address_sql("v"), raw) == expected


def test_fingerprint_ignores_the_order_of_a_records_identifiers():
    """A record holding two phones as identifiers (a mobile and a landline) gets one
    fingerprint whatever order they arrive in: an unchanged record is not standardised and
    scored again because the rows came back in another order."""
    from pathlib import Path

    import duckdb

    from identity import _records_fingerprint
    from identity._config import RAW_INPUTS, load_identity_config
    from identity._tables import STRONG_IDS

    config = load_identity_config(Path(__file__).parents[2] / "config" / "identity.yml")
    raw = ", ".join(f"null::varchar as raw_{a}" for a in RAW_INPUTS)
    phones = [("phone", "+33143572196"), ("phone", "+33671429318"), ("loyalty_card", "C7")]
    found = []
    for ordered in (phones, phones[::-1]):
        con = duckdb.connect()
        con.execute(
            f"create temp table {STRONG_IDS} (record_id varchar, identifier_type "
            "varchar, identifier_value varchar)"
        )
        con.executemany(
            f"insert into {STRONG_IDS} values ('web_account:Q1', ?, ?)", [list(p) for p in ordered]
        )
        con.execute(
            "create temp view _identity_raw_stage as select 'web_account' as identity_type, "
            f"'web' as source, 'Q1' as source_key, {raw}, null::timestamp as first_seen_at, "
            "null::timestamp as last_seen_at"
        )
        _records_fingerprint.key_raw_rows(con, config, reuse=False, unread=[])
        found.append(
            con.execute("select identifiers, fingerprint from _identity_raw_keyed").fetchall()
        )
    # types in order, and the two phones of one type in order of their values
    assert found[0] == found[1]
    assert found[0][0][0] == "loyalty_card=C7,phone=+33143572196,phone=+33671429318"
