"""Each identifier form of `core.identifiers` on its table of examples (the module's own)."""

from __future__ import annotations

import duckdb
import pytest

from core import identifiers as ids
from identity._config import StandardisationConfig

# the rules of config/identity.yml that the examples rely on
RULES = StandardisationConfig(
    email_domain_typos={
        "gmial.com": "gmail.com",
        "googlemail.com": "gmail.com",
        "hotmial.fr": "hotmail.fr",
    },
    dotless_email_domains=["gmail.com"],
)

FORMS = [
    (ids.email_typed_sql, ids.EMAIL_TYPED_EXAMPLES),
    (lambda v: ids.email_canonical_sql(v, RULES), ids.EMAIL_CANONICAL_EXAMPLES),
    (lambda v: ids.email_key_sql(v, RULES), ids.EMAIL_KEY_EXAMPLES),
    (ids.phone_e164_sql, ids.PHONE_E164_EXAMPLES),
    (ids.phone_key_sql, ids.PHONE_KEY_EXAMPLES),
    (ids.phone_digits_sql, ids.PHONE_DIGITS_EXAMPLES),
    (ids.loyalty_card_sql, ids.LOYALTY_CARD_EXAMPLES),
    (ids.source_key_sql, ids.SOURCE_KEY_EXAMPLES),
]
PRESETS = [
    (lambda v, p=preset: ids.identifier_sql(v, p), [(raw, expected)])
    for (raw, preset), expected in ids.IDENTIFIER_PRESET_EXAMPLES
]


@pytest.mark.parametrize(
    ("form", "raw", "expected"),
    [(form, raw, expected) for form, examples in FORMS + PRESETS for raw, expected in examples],
)
def test_each_form_gives_its_documented_output(form, raw, expected):
    value = duckdb.connect().execute(f"select {form('v')} from (select ?::varchar as v)", [raw])

    assert value.fetchone()[0] == expected


def test_every_spelling_of_one_address_shares_the_key_of_the_canonical_form():
    spellings = [
        "Delahaye.Lea+promo@gmail.com",
        " DELAHAYE.LEA@GMIAL.COM",
        "delahaye.lea@googlemail.com",
        "delahayelea@gmail.com",
    ]
    sql = f"select {ids.email_key_sql('v', RULES)} from (select ?::varchar as v)"

    assert {duckdb.connect().execute(sql, [s]).fetchone()[0] for s in spellings} == {
        "delahayelea@gmail.com"
    }


def test_foreign_numbers_reach_e164_through_phonenumbers():
    assert ids.phone_e164("+44 20 7946 0958", "FR") == "+442079460958"
    assert ids.phone_e164("hello", "FR") is None


def test_keys_bind_on_a_stored_all_null_column(tmp_path):
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as con:
        con.execute("create table t as select null::varchar as v from range(3); checkpoint")
    with duckdb.connect(path, read_only=True) as con:
        keys = con.execute(
            f"select distinct {ids.email_key_sql('v', RULES)}, {ids.phone_key_sql('v')}, "
            f"{ids.source_key_sql('v')}, {ids.loyalty_card_sql('v')} from t"
        ).fetchall()

    assert keys == [(None, None, None, None)]


# case, dots, +tags, whitespace inside and around, typo domains, shapes the rule refuses
TRICKY_ASCII_EMAILS = [
    *(raw for raw, _ in ids.EMAIL_CANONICAL_EXAMPLES),
    " A.B@GMAIL.COM",
    "a\tb@x.fr",
    "a.b\n@gmail.com\r",
    "Jean . Dupont@Mail.Fr",
    "x+y+z@gmial.com",
    "+tag@gmail.com",
    "a@b@c.fr",
    "@x.fr",
    "a@b.c",
    "a@b.c0",
    "MARIE.CURIE+x@HOTMIAL.FR",
    "d.e.l.a@googlemail.com",
    "",
]
# accents and letters whose lower case Python and DuckDB may not share: the Python spelling
# refuses them, so the real-time path sends them to the SQL rule
ACCENTED_EMAILS = [
    " Élodie.Dupré+news@GMAIL.com ",
    "FRANÇOIS@ORANGE.FR",
    "ΟΔΟΣ@example.gr",
    "İlker@example.com.tr",
    "jean\u00a0dupont@mail.fr",
]


def test_canonical_email_in_python_is_the_sql_rule_on_tricky_ascii():
    sql = f"select {ids.email_canonical_sql('v', RULES)} from (select ?::varchar as v)"

    for raw in TRICKY_ASCII_EMAILS:
        assert (
            ids.email_canonical(raw, RULES) == duckdb.connect().execute(sql, [raw]).fetchone()[0]
        ), raw


def test_real_time_standardisation_gives_the_batch_sql_canonical_email_for_any_text():
    from core.settings import Settings
    from identity._config import load_identity_config
    from identity._realtime_input import drop_blocked, standardise

    config = load_identity_config(Settings().identity_config_path)
    sql = (
        f"select {ids.email_canonical_sql('v', config.standardisation)} "
        "from (select ?::varchar as v)"
    )
    con = duckdb.connect()
    for raw in [*TRICKY_ASCII_EMAILS, *ACCENTED_EMAILS]:
        batch = con.execute(sql, [raw]).fetchone()[0]
        # both paths then drop the configured junk values (config/identity.yml's block list)
        expected = drop_blocked({"email": batch}, config)["email"]
        assert standardise(con, {"email": raw}, config)["email"] == expected, raw
    with pytest.raises(ValueError, match="not ASCII"):
        ids.email_canonical(ACCENTED_EMAILS[0], RULES)
