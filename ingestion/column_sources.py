"""The parts of an entity definition that say how to read one export's values: where each
canonical field comes from (:class:`ColumnSource`), its yes/no vocabulary and its plausible
birth dates."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ColumnSource(BaseModel):
    """Where a canonical field comes from.

    ``column`` is a CSV header, a Parquet column or, for JSONL, a dotted JSON path
    (``ecommerce.transaction_id``). ``sql`` is an optional DuckDB expression applied to it,
    written in terms of ``value`` (the column's text), e.g. to pick one entry of GA4's
    ``event_params`` list. With ``structure`` (a DuckDB JSON structure, as for
    ``from_json``), ``value`` is the column's JSON already parsed into it: fields reading the
    same column with the same structure share one parse.

    Without ``column``, ``sql`` is an expression over the whole source row: any column of
    the same file by its export name (``concat_ws(' ', street_number, street_name)``; a
    JSONL row is its text, ``line``). ``default`` is the text a field takes when the export
    lacks it or leaves it empty. ``on_invalid`` says what a value breaking the contract
    does: ``null`` (the value is dropped and counted, the row kept) or ``quarantine`` (the
    row goes to ``ops.quarantine``); by default ``null`` for optional fields.
    """

    model_config = ConfigDict(extra="forbid")

    column: str | None = Field(None, min_length=1)
    sql: str | None = None
    structure: str | None = None
    default: str | int | float | bool | None = None
    on_invalid: Literal["null", "quarantine"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _yaml_null(cls, data: object) -> object:
        # YAML reads `on_invalid: null` as no value at all: written out, it means "null"
        if isinstance(data, dict) and "on_invalid" in data and data["on_invalid"] is None:
            return {**data, "on_invalid": "null"}
        return data

    @model_validator(mode="after")
    def _structure_feeds_sql(self) -> ColumnSource:
        if self.structure and not self.sql:
            raise ValueError("`structure:` parses the column for `sql:`; add the `sql:` using it")
        if self.structure and not self.column:
            raise ValueError("`structure:` parses `column:`; name the column it parses")
        if not self.column and not self.sql and self.default is None:
            raise ValueError(
                "give `column:` (the export's column), `sql:` (an expression over the row) "
                "or `default:` (a constant)"
            )
        return self

    @property
    def whole_row(self) -> bool:
        """True when ``sql`` reads the whole source row rather than one column's ``value``."""
        return bool(self.sql) and not self.column


class Booleans(BaseModel):
    """Vocabulary of a yes/no column, compared case-insensitively after trimming."""

    model_config = ConfigDict(extra="forbid")

    true_values: list[str] = ["true", "1", "o", "oui", "y", "yes"]
    false_values: list[str] = ["false", "0", "n", "non", "no"]


class BirthDateBounds(BaseModel):
    """Birth dates this source may hold; outside them a birth date is invalid."""

    model_config = ConfigDict(extra="forbid")

    min: dt.date = dt.date(1800, 1, 1)
    max: dt.date | None = Field(None, description="default: not in the future")

    @model_validator(mode="after")
    def _ordered(self) -> BirthDateBounds:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"birth_dates.max {self.max} is before birth_dates.min {self.min}")
        return self
