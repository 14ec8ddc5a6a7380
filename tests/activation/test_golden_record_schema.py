"""The committed golden-record JSON Schema is the one the pydantic model generates."""

from __future__ import annotations

import jsonschema
import pytest
from pydantic import ValidationError

from activation.golden_record import (
    DISPLAYED_ATTRIBUTES,
    GOLDEN_ATTRIBUTES,
    SCHEMA_PATH,
    GoldenRecordRow,
    golden_record_schema,
    main,
    render_schema,
)

ROW = {
    "customer_id": "C-1",
    "operation": "upsert",
    "merged_into_customer_id": None,
    "first_name": "jeanmarc",
    "last_name": "dupont",
    "email": "jm@example.org",
    "phone": "+33639980000",
    "birth_date": "1980-02-29",
    "address_line": "12 bis rue de la paix",
    "postcode": "94240",
    "city": "l hay les roses",
    "email_consent": True,
    "sms_consent": None,
    "source_record_count": 2,
    "updated_at": "2026-01-02 03:04:05",
    "first_name_display": "Jean-Marc",
    "last_name_display": "Dupont",
    "email_display": "jm@example.org",
    "address_line_display": "12 bis rue de la Paix",
    "city_display": "L'Haÿ-les-Roses",
}


def test_the_committed_schema_is_the_generated_one():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), (
        "run `make schemas` and commit activation/schemas/golden_record.v1.json"
    )
    assert main(["--check"]) == 0


def test_the_model_carries_every_golden_attribute_between_the_head_and_the_consents():
    fields = list(GoldenRecordRow.model_fields)
    assert fields[3 : 3 + len(GOLDEN_ATTRIBUTES)] == list(GOLDEN_ATTRIBUTES)
    assert fields[:3] == ["customer_id", "operation", "merged_into_customer_id"]


def test_display_forms_come_last_so_a_1_0_reader_keeps_its_columns():
    fields = list(GoldenRecordRow.model_fields)
    assert fields[-len(DISPLAYED_ATTRIBUTES) :] == [f"{a}_display" for a in DISPLAYED_ATTRIBUTES]
    assert {"first_name", "last_name", "city", "address_line"} <= set(DISPLAYED_ATTRIBUTES)
    assert golden_record_schema()["x-schema-version"] == "1.1.0"


def test_the_model_and_the_schema_accept_and_refuse_the_same_rows():
    validator = jsonschema.Draft202012Validator(
        golden_record_schema(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    GoldenRecordRow.model_validate(ROW)
    validator.validate(ROW)
    for bad in ({"operation": "merge"}, {"town": "Paris"}, {"source_record_count": -1}):
        row = {**ROW, **bad}
        with pytest.raises(ValidationError):
            GoldenRecordRow.model_validate(row)
        assert list(validator.iter_errors(row)), bad
