"""The ``identities:`` part of a source definition: how a raw table yields identity records.

Parsed once with the rest of the definition (:mod:`ingestion.definitions`): ingestion reads
it to drop an erased person's rows at the door, identity to extract its records, consent,
privacy and feedback analysis to find the tables that carry people. One entry per identity
type::

    identities:
      - identity_type: loyalty_card
        entity: receipt_lines              # reads raw.<source>__<entity>
        source_key: loyalty_card_id        # SQL over the raw row
        attributes: {email: email, phone: [phone, other_phone]}
        strong_identifiers: {loyalty_card: loyalty_card_id}

An e-mail or phone attribute may list several expressions: the first present is the
record's e-mail or phone (what is compared), and every other value is kept as an identifier
of the record too (``email`` / ``phone`` in ``identity.record_identifiers``): records sharing
it are stitched like records sharing their main one, and erasure finds and erases it.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.countries import check_country
from core.identifiers import identifier_sql

# The standardised attributes of an identity record (identity.identity_records' columns).
ATTRIBUTES = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "postcode",
    "city",
    "address_line",
)
# Inputs a mapping may give; `full_name` is split into first/last by standardisation;
# `country` (per row) says how postcodes and phones are read.
INPUT_ATTRIBUTES = (*ATTRIBUTES, "full_name", "country")
# attributes a mapping may give several expressions for (see the module's docstring)
CONTACT_ATTRIBUTES = ("email", "phone")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class IdentityMapping(BaseModel):
    """How one raw table yields identity records (one per distinct source key)."""

    model_config = ConfigDict(extra="forbid")

    identity_type: str
    entity: str = Field(description="raw table is raw.<source>__<entity>")
    source_key: str = Field(description="SQL expression over the raw row")
    where: str | None = Field(default=None, description="SQL filter on raw rows")
    attributes: dict[str, str | list[str]] = Field(default_factory=dict)
    first_seen_at: str | None = None
    last_seen_at: str | None = None
    strong_identifiers: dict[str, str] = Field(
        default_factory=dict,
        description="identifier type -> SQL expression; equal values link deterministically",
    )
    country: str | None = Field(
        None,
        description="ISO alpha-2 country of these records (postcodes, phones), default the "
        "source's `country:`, then standardisation.default_phone_region; a `country` "
        "attribute (per row) wins",
    )
    min_birth_date: dt.date | None = Field(
        None, description="earliest plausible birth date here; default standardisation's"
    )
    source: str = ""  # filled from the definition it belongs to
    table: str | None = None  # the entity's `table:` in that definition, when it names one

    @field_validator("identity_type")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"identity_type {value!r} must be snake_case")
        return value

    @field_validator("attributes")
    @classmethod
    def _known_attributes(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        unknown = sorted(set(value) - set(INPUT_ATTRIBUTES))
        if unknown:
            raise ValueError(f"unknown attributes {unknown}; allowed: {list(INPUT_ATTRIBUTES)}")
        for name, given in value.items():
            if isinstance(given, list) and (name not in CONTACT_ATTRIBUTES or not given):
                raise ValueError(
                    f"attribute {name!r}: a list of expressions is for {list(CONTACT_ATTRIBUTES)} "
                    "(a person's several e-mails or phones), and names at least one"
                )
        return value

    @field_validator("strong_identifiers", mode="before")
    @classmethod
    def _presets(cls, value: object) -> object:
        """``{sql: ..., standardise: preset}`` becomes the preset's SQL over ``sql``."""
        if not isinstance(value, dict):
            return value
        compiled = {}
        for name, spec in value.items():
            if isinstance(spec, dict):
                unknown = sorted(set(spec) - {"sql", "standardise"})
                if unknown or "sql" not in spec:
                    raise ValueError(
                        f"strong identifier {name!r}: give `sql:` (over the raw row) and "
                        f"optionally `standardise:`; unknown keys {unknown}"
                    )
                spec = identifier_sql(spec["sql"], spec.get("standardise", "text"))
            compiled[name] = spec
        return compiled

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return check_country(value)

    @field_validator("strong_identifiers")
    @classmethod
    def _identifier_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _IDENTIFIER.match(name):
                raise ValueError(f"strong identifier type {name!r} must be snake_case")
        return value

    def attribute_sql(self, name: str) -> str | None:
        """SQL of one attribute over the raw row: a listed e-mail or phone's first present."""
        given = self.attributes.get(name)
        if not isinstance(given, list):
            return given
        if len(given) == 1:
            return given[0]
        texts = ", ".join(f"nullif(trim(cast(({e}) as varchar)), '')" for e in given)
        return f"coalesce({texts})"

    def other_contacts(self) -> dict[str, list[str]]:
        """E-mail and phone expressions beyond each list's first: the record's other values."""
        return {
            name: list(given[1:])
            for name, given in self.attributes.items()
            if isinstance(given, list) and len(given) > 1
        }

    @property
    def raw_table(self) -> str:
        """The qualified raw table this mapping reads."""
        return f"raw.{self.table or f'{self.source}__{self.entity}'}"
