"""One rule for the keys touchpoints join identity records by, in Python, YAML and dbt.

The dbt macros of ``dbt_project/macros/identifier_keys.sql`` are compiled by dbt itself and
run in DuckDB over the example tables of :mod:`core.identifiers`; the source definitions
write the same SQL as their identity source keys; no staging model spells a key by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from core import identifiers as ids
from ingestion.definitions import load_definitions

ROOT = Path(__file__).resolve().parents[2]
# (macro, the form it must equal, its table of examples)
MACROS = [
    ("email_typed", ids.email_typed_sql, ids.EMAIL_TYPED_EXAMPLES),
    ("phone_digits", ids.phone_digits_sql, ids.PHONE_DIGITS_EXAMPLES),
]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def test_each_key_macro_gives_the_outputs_of_its_python_form(built_settings):
    from profiles.build import invoke_dbt

    cases = [(macro, raw, expected) for macro, _, examples in MACROS for raw, expected in examples]
    inline = " union all ".join(
        f"select {i} as case_id, {{{{ {macro}('v') }}}} as key "
        f"from (select cast({_literal(raw)} as varchar) as v)"
        for i, (macro, raw, _) in enumerate(cases)
    )

    # the session's built project: dbt re-parses only what changed (seconds, not a minute)
    outcome = invoke_dbt(built_settings, ["compile", "--inline", inline])

    assert outcome.success, outcome.exception
    compiled = outcome.result.results[0].node.compiled_code
    keys = dict(duckdb.connect().execute(compiled).fetchall())
    assert keys == {i: expected for i, (_, _, expected) in enumerate(cases)}


def test_source_definitions_key_subscribers_and_sms_recipients_by_the_same_forms():
    definitions = {d.source: d for d in load_definitions(ROOT / "config" / "sources")}
    keys = {m.identity_type: m.source_key for d in definitions.values() for m in d.identities}

    assert keys["email_subscriber"] == ids.email_typed_sql("email")
    assert keys["sms_recipient"] == ids.phone_digits_sql("phone")


def test_no_staging_model_spells_a_key_by_hand():
    by_hand = re.compile(r"lower\(\s*trim\(|regexp_replace|regexp_replace_all\(")
    staging = sorted((ROOT / "dbt_project" / "models" / "staging").rglob("*.sql"))
    offenders = [str(p.relative_to(ROOT)) for p in staging if by_hand.search(p.read_text("utf-8"))]
    assert staging and not offenders, f"use the identifier_keys macros in {offenders}"
