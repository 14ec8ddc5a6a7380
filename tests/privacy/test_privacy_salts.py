"""The erasure salt: never the shipped default, and rotating it keeps earlier erasures."""

from __future__ import annotations

import pytest
from privacy_scan import byte_scan, identifier_forms, resend_all, rewritten_person

import ingestion
from core import erasure
from core.identifiers import configured_email_rules
from core.warehouse import connect
from privacy.erase import forget


def test_the_shipped_default_salt_stops_ingestion_and_forget(resolved):
    default = resolved.model_copy(update={"erasure_salt": erasure.DEFAULT_SALT})

    with pytest.raises(erasure.ErasureSaltError, match="CDP_ERASURE_SALT") as ingest_error:
        ingestion.ingest(default)
    with pytest.raises(erasure.ErasureSaltError):
        forget(default, "someone@example.org")

    assert "\n" not in str(ingest_error.value)


def test_a_rotated_salt_keeps_old_erasures_and_an_unknown_one_stops_ingestion(resolved):
    customer_id, raw_email = rewritten_person(resolved)
    forms = identifier_forms(
        resolved, customer_id, configured_email_rules(resolved.identity_config_path)
    )
    forget(resolved, raw_email)
    rotated = resolved.model_copy(
        update={"erasure_salt": "rotated-salt", "erasure_previous_salts": resolved.erasure_salt}
    )
    forgotten_salt = resolved.model_copy(update={"erasure_salt": "rotated-salt"})
    resend_all(resolved.landing_dir)

    with pytest.raises(erasure.ErasureSaltError, match="CDP_ERASURE_PREVIOUS_SALTS") as error:
        ingestion.ingest(forgotten_salt)
    report = ingestion.ingest(rotated)

    assert "\n" not in str(error.value)
    assert erasure.salt_generation(resolved.erasure_salt) in str(error.value)
    assert sum(f.rows_suppressed for f in report.files) > 0
    assert byte_scan(resolved.data_dir, forms, ("landing", "truth")) == []
    # the next erasure is written with the new salt; both generations keep matching
    with connect(rotated) as con:
        other = con.execute(
            "select email from marts.golden_records where email is not null "
            "and customer_id <> ? order by customer_id limit 1",
            [customer_id],
        ).fetchone()[0]
    forget(rotated, other)
    with connect(rotated) as con:
        generations = {
            r[0]
            for r in con.execute(
                "select distinct salt_generation from ops.erasure_tombstones"
            ).fetchall()
        }
    assert generations == {
        erasure.salt_generation(resolved.erasure_salt),
        erasure.salt_generation("rotated-salt"),
    }
