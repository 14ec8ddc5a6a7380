"""The golden-record export row as a pydantic model; its JSON Schema is generated from it.

`schemas/golden_record.v1.json` is what downstream tools read: it is written by
`python -m activation.golden_record` (or `make schemas`) and a test keeps the committed file
equal to what this model generates, so the schema cannot drift from the code by hand.

The eight golden attributes are declared once (``GOLDEN_ATTRIBUTES``); the model's attribute
fields are built from that tuple, so adding an attribute changes the export, the API and the
schema together. The DuckDB type of each column (``x-duckdb-types``) is what the export's
columns are checked against before anything is published.
"""

from __future__ import annotations

import argparse
import json
import logging
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from identity._config import DISPLAYED

log = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).parent / "schemas" / "golden_record.v1.json"
SCHEMA_ID = "https://cdp-rcu.example/schemas/golden_record.v1.json"
SCHEMA_VERSION = "1.1.0"  # 1.1: the display forms (``<attribute>_display``) appended

# The golden record's attributes in the order exports, the profile and the API show them.
GOLDEN_ATTRIBUTES = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "address_line",
    "postcode",
    "city",
)
# Attributes exported with their display form too (as the customer typed it, for greeting
# and addressing people): the ones identity keeps it for.
DISPLAYED_ATTRIBUTES = tuple(a for a in GOLDEN_ATTRIBUTES if a in DISPLAYED)
_DISPLAY_DESCRIPTION = (
    "{name} as the customer typed it (spaces collapsed; a name typed in capitals "
    "title-cased), from the same source record as `{name}`, which is the match key "
    "(folded, for matching and joining, not for showing). Null when `{name}` is null."
)
# Attributes that are not free text, with their Python type; every other one is a string.
_ATTRIBUTE_TYPES: dict[str, type] = {"birth_date": date}
_ATTRIBUTE_DESCRIPTIONS = {
    "email": "Lower case, trimmed.",
    "phone": "E.164, e.g. +33639980000 (a number reserved for fiction).",
}
_DUCKDB_TYPES: dict[Any, str] = {str: "VARCHAR", date: "DATE", bool: "BOOLEAN", int: "BIGINT"}

_DESCRIPTION = (
    "One row per customer in a golden-record export (cdp export). Full exports hold only "
    "upserts; incremental exports hold upserts for new or changed customers and deletes for "
    "customers merged into another (merged_into_customer_id set) or erased. Column order is "
    "the order of `properties`. Adding a nullable column is a minor version; removing, "
    "renaming or retyping a column is a new major file (golden_record.v2.json)."
)
_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?$"


class _Head(BaseModel):
    """The columns before the golden attributes: who the row is about and how to apply it."""

    model_config = ConfigDict(extra="forbid")

    customer_id: Annotated[str, Field(min_length=1, description="Stable customer id (RCU).")]
    operation: Annotated[
        Literal["upsert", "delete"], Field(description="How a downstream tool applies the row.")
    ]
    merged_into_customer_id: Annotated[
        str | None,
        Field(
            description="On a delete: the surviving customer this id was merged into; null "
            "when erased or retired without survivor."
        ),
    ]


def _attribute_field(name: str) -> tuple[Any, Any]:
    kind = _ATTRIBUTE_TYPES.get(name, str)
    return (kind | None, Field(description=_ATTRIBUTE_DESCRIPTIONS.get(name)))


_WithAttributes: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "_WithAttributes",
    __base__=_Head,
    **{name: _attribute_field(name) for name in GOLDEN_ATTRIBUTES},
)


class _WithConsent(_WithAttributes):
    """The 1.0 columns: head, golden attributes, consent, counts and the latest change."""

    model_config = ConfigDict(extra="forbid", title="Golden record export row")

    email_consent: Annotated[
        bool | None,
        Field(
            description="Latest e-mail marketing decision from the sources; null when never asked."
        ),
    ]
    sms_consent: Annotated[
        bool | None,
        Field(description="Latest SMS marketing decision from the sources; null when never asked."),
    ]
    source_record_count: Annotated[
        int | None, Field(ge=0, description="Source identities merged into this customer.")
    ]
    updated_at: Annotated[
        str | None,
        Field(
            pattern=_TIMESTAMP,
            description="Latest change of any golden attribute, ISO 8601 local time without zone.",
        ),
    ]


# Display forms come last: a 1.0 reader reading columns by position still finds its own.
GoldenRecordRow: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "GoldenRecordRow",
    __base__=_WithConsent,
    __doc__="One row of a golden-record export (full or incremental).",
    **{
        f"{name}_display": (str | None, Field(description=_DISPLAY_DESCRIPTION.format(name=name)))
        for name in DISPLAYED_ATTRIBUTES
    },
)

# Columns whose DuckDB type is not the one of their Python type (a timestamp travels as text).
_DUCKDB_OVERRIDES = {"updated_at": "TIMESTAMP"}


class _NullableAsTypeList(GenerateJsonSchema):
    """Nullable columns as ``"type": ["string", "null"]``, the form v1 readers already parse.

    Pydantic writes ``anyOf: [{type: string}, {type: null}]``; both validate the same rows, but a
    loader that types CSV columns from ``type`` (as downstream tools do) only reads the list.
    """

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        inner = self.generate_inner(schema["schema"])
        if isinstance(inner.get("type"), str) and "anyOf" not in inner:
            return {**inner, "type": [inner["type"], "null"]}
        return super().nullable_schema(schema)


def _duckdb_type(name: str, annotation: Any) -> str:
    if name in _DUCKDB_OVERRIDES:
        return _DUCKDB_OVERRIDES[name]
    kinds = [k for k in getattr(annotation, "__args__", (annotation,)) if k is not type(None)]
    return _DUCKDB_TYPES.get(kinds[0], "VARCHAR")


def golden_record_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :class:`GoldenRecordRow`, with its DuckDB types."""
    generated = GoldenRecordRow.model_json_schema(schema_generator=_NullableAsTypeList)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": generated["title"],
        "description": _DESCRIPTION,
        "x-schema-version": SCHEMA_VERSION,
        "type": "object",
        "additionalProperties": False,
        "required": generated["required"],
        "properties": generated["properties"],
        "x-duckdb-types": {
            name: _duckdb_type(name, info.annotation)
            for name, info in GoldenRecordRow.model_fields.items()
        },
    }


def render_schema() -> str:
    """The schema file's text, exactly as committed."""
    return json.dumps(golden_record_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) `schemas/golden_record.v1.json` from the model."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file differs")
    args = parser.parse_args(argv)
    text = render_schema()
    if args.check:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            log.error("%s differs from the model; run `make schemas`", SCHEMA_PATH)
            return 1
        return 0
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    log.info("wrote %s", SCHEMA_PATH)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    raise SystemExit(main())
