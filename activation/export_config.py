"""`config/exports.yml`: export formats and named audiences, validated with pydantic.

A typo fails before anything is written, with the file and field named.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.config_files import ConfigError, load_yaml_model

FORMATS = ("parquet", "csv", "jsonl")
Format = Literal["parquet", "csv", "jsonl"]


def _formats(*formats: Format) -> list[Format]:
    """A fresh default list per model, typed as formats (a bare list literal infers list[str])."""
    return list(formats)


_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class ExportConfigError(ConfigError):
    """`exports.yml` is missing or invalid; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Filter(_Strict):
    """One condition on a column of the audience relation (profile, segment, golden record)."""

    column: str
    op: Literal["=", "!=", "<", "<=", ">", ">=", "in", "not in"]
    value: str | int | float | bool | list[str | int | float]

    @field_validator("column")
    @classmethod
    def _plain_column(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"column {value!r} must be a lower-case identifier")
        return value


class Audience(_Strict):
    """A named segment export that only ever holds customers consenting to its channel."""

    description: str = ""
    channel: Literal["email", "sms"]
    segments: list[str] = Field(default_factory=list)
    filters: list[Filter] = Field(default_factory=list)
    identifiers: Literal["clear", "hashed"] = "clear"
    formats: list[Format] = Field(default_factory=lambda: _formats("csv"))


class GoldenRecordsConfig(_Strict):
    formats: list[Format] = Field(default_factory=lambda: _formats("parquet"))


class ExportsConfig(_Strict):
    """The whole `exports.yml`."""

    golden_records: GoldenRecordsConfig = Field(default_factory=GoldenRecordsConfig)
    audiences: dict[str, Audience] = Field(default_factory=dict)

    @field_validator("audiences")
    @classmethod
    def _audience_names(cls, value: dict[str, Audience]) -> dict[str, Audience]:
        for name in value:
            if not _IDENTIFIER.match(name):
                raise ValueError(
                    f"audience name {name!r} must be a lower-case identifier "
                    "(it becomes a file name)"
                )
        return value


def load_exports_config(path: Path) -> ExportsConfig:
    """Read and validate `exports.yml`; a missing file means defaults (parquet, no audiences)."""
    return load_yaml_model(
        path,
        ExportsConfig,
        hint="see config/exports.yml in the repository",
        error=ExportConfigError,
    )
