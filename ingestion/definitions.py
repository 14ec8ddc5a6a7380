"""Source definitions: how one vendor's export maps onto the canonical contracts.

A definition is a YAML file ``config/sources/<source>.yml``; onboarding a new export means
writing one, not code. Its ``identities:`` list (:mod:`ingestion.identities`) is parsed here
too, once, for every stage that reads it (erasure at the door, identity, consent, privacy).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.config_files import ConfigError, read_yaml_mapping, validate_model
from core.countries import check_country
from ingestion.column_sources import BirthDateBounds, Booleans, ColumnSource
from ingestion.contracts import CONTRACTS, Contract, column_rules, other_field
from ingestion.identities import IdentityMapping
from ingestion.landing import glob_problem
from ingestion.policy import check_field_policies

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# named formats: seconds, milliseconds or microseconds since 1970 (UTC), and ISO 8601 in
# any of its spellings, an offset honoured (``2026-03-01T10:15:00+01:00`` is 09:15 UTC)
NAMED_FORMATS = {"epoch_s", "epoch_ms", "epoch_us", "iso8601"}


class DefinitionError(ConfigError):
    """A source definition is missing, malformed or inconsistent with its contract."""


class EntityDefinition(BaseModel):
    """One export file family feeding one contract (one raw table)."""

    model_config = ConfigDict(extra="forbid")

    contract: str
    files: str = Field(description="glob relative to settings.landing_dir")
    format: Literal["csv", "jsonl", "parquet"]
    delimiter: str = Field(",", min_length=1, max_length=1)
    quote: str = Field('"', max_length=1)
    header: bool = True
    encoding: Literal["utf-8", "utf-8-sig", "latin-1", "cp1252"] = "utf-8"
    decimal_separator: Literal[".", ","] = "."
    timestamp_formats: list[str] = Field(default_factory=list)
    date_formats: list[str] = Field(default_factory=list)
    booleans: Booleans = Field(default_factory=Booleans)
    columns: dict[str, ColumnSource]
    personal_data: dict[Literal["email", "phone"], list[str]] = Field(default_factory=dict)
    max_encoding_error_ratio: float = Field(0.1, ge=0, le=1)
    birth_dates: BirthDateBounds = Field(default_factory=lambda: BirthDateBounds())
    table: str | None = Field(
        None,
        description="raw table written (schema raw), default <source>__<entity>; a second "
        "system of the same kind names the first one's table (pos__receipt_lines) so that "
        "identity, consent and the marts read both",
    )
    _identities: list[IdentityMapping] = PrivateAttr(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _contact_lists(cls, data: object) -> object:
        """``phone: [Tél. portable, Tél. domicile]``: the first column is ``phone``, the
        second ``other_phone`` (the contract's field for a second value in the row)."""
        if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
            return data
        contract = CONTRACTS.get(str(data.get("contract")))
        columns = dict(data["columns"])
        for name, value in data["columns"].items():
            if not isinstance(value, list):
                continue
            if contract is None:
                return data  # the unknown contract is reported by its own check
            other = other_field(name, contract)
            if other is None:
                listed = sorted(f for f in contract.model_fields if other_field(f, contract))
                raise ValueError(
                    f"columns.{name}: a list of columns is for a person's e-mails or phones "
                    f"(the fields {listed} of this contract); map one column here"
                )
            if len(value) != 2 or not all(isinstance(v, str) and v for v in value):
                raise ValueError(
                    f"columns.{name}: give two column names (the row's {name} and "
                    f"{other}), got {value!r}; a contract row keeps two of them"
                )
            if other in data["columns"]:
                raise ValueError(f"columns.{name} lists two columns and {other} is mapped too")
            columns[name], columns[other] = value
        return {**data, "columns": columns}

    @field_validator("files")
    @classmethod
    def _inside_landing(cls, value: str) -> str:
        problem = glob_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("table")
    @classmethod
    def _table_name(cls, value: str | None) -> str | None:
        if value is not None and not NAME.match(value):
            raise ValueError(f"table {value!r} must be lower_snake_case (raw.<table>)")
        return value

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: {"column": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("contract")
    @classmethod
    def _known_contract(cls, value: str) -> str:
        if value not in CONTRACTS:
            raise ValueError(f"unknown contract {value!r}; use one of {sorted(CONTRACTS)}")
        return value

    @field_validator("timestamp_formats", "date_formats")
    @classmethod
    def _formats(cls, value: list[str]) -> list[str]:
        for fmt in value:
            if "%" not in fmt and fmt not in NAMED_FORMATS:
                raise ValueError(
                    f"{fmt!r} is neither a strptime format (%d/%m/%Y) nor one of "
                    f"{sorted(NAMED_FORMATS)}"
                )
        return value

    @model_validator(mode="after")
    def _matches_contract(self) -> EntityDefinition:
        rules = {rule.name: rule for rule in column_rules(self.contract_model)}
        unknown = sorted(set(self.columns) - set(rules))
        if unknown:
            raise ValueError(
                f"columns {unknown} are not fields of contract {self.contract!r}; "
                f"its fields are {list(rules)}"
            )
        check_field_policies(self, rules)
        for kind, fields in self.personal_data.items():
            stray = sorted(set(fields) - set(self.columns))
            if stray:
                raise ValueError(
                    f"personal_data.{kind} lists {stray}, which are not mapped under `columns:`"
                )
            # a second e-mail or phone of the row is erased like the first
            others = [other_field(f, self.contract_model) for f in fields]
            fields.extend(o for o in others if o and o in self.columns and o not in fields)
        if self.format == "jsonl" and self.encoding not in ("utf-8", "utf-8-sig"):
            raise ValueError("JSONL files are UTF-8 by definition; drop `encoding:`")
        return self

    @property
    def contract_model(self) -> type[Contract]:
        """The pydantic contract class this entity feeds."""
        return CONTRACTS[self.contract]

    @property
    def identities(self) -> list[IdentityMapping]:
        """The source's ``identities:`` mappings that read this entity."""
        return self._identities


class SourceDefinition(BaseModel):
    """One source system: its name and the entities its exports feed."""

    model_config = ConfigDict(extra="forbid")

    source: str
    description: str | None = None
    country: str | None = Field(
        None,
        description="ISO 3166 alpha-2 country of the people in this source (postcodes, "
        "phones); read by identity standardisation, default its default_phone_region",
    )
    entities: dict[str, EntityDefinition] = Field(min_length=1)
    identities: list[IdentityMapping] = Field(default_factory=list)
    path: Path | None = Field(None, exclude=True)

    @field_validator("source")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(f"{value!r} must be lower_snake_case (it names raw tables)")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return check_country(value)

    @field_validator("entities")
    @classmethod
    def _entity_names(cls, value: dict[str, EntityDefinition]) -> dict[str, EntityDefinition]:
        for name in value:
            if not NAME.match(name):
                raise ValueError(f"entity {name!r} must be lower_snake_case (it names a raw table)")
        return value

    @field_validator("identities")
    @classmethod
    def _known_entities(cls, value: list[IdentityMapping], info: ValidationInfo) -> list:
        entities = info.data.get("entities") or {}  # absent: its own error is reported
        for index, mapping in enumerate(value):
            if entities and mapping.entity not in entities:
                raise ValueError(
                    f"entry {index} reads entity {mapping.entity!r}, which this source does "
                    f"not define; its entities are {sorted(entities)}"
                )
        return value

    @model_validator(mode="after")
    def _identities_read_entities(self) -> SourceDefinition:
        for mapping in self.identities:
            entity = self.entities[mapping.entity]
            mapping.source, mapping.table = self.source, entity.table
            mapping.country = mapping.country or self.country
            entity._identities.append(mapping)
        return self

    def raw_table(self, entity: str) -> str:
        """The qualified raw table an entity's rows land in."""
        return raw_table_name(self.source, entity, self.entities[entity].table)


def raw_table_name(source: str, entity: str, table: str | None = None) -> str:
    """``raw.<table>``, by default ``raw.<source>__<entity>``."""
    return f"raw.{table or f'{source}__{entity}'}"


def _check_shared_tables(definitions: list[SourceDefinition]) -> None:
    """Entities writing one raw table must feed one contract (the table has its columns)."""
    writers: dict[str, tuple[str, str]] = {}
    for definition in definitions:
        for name, entity in definition.entities.items():
            table = definition.raw_table(name)
            first = writers.setdefault(table, (f"{definition.source}.{name}", entity.contract))
            if first[1] != entity.contract:
                raise DefinitionError(
                    f"{definition.path}: entity {name!r} writes {table} with contract "
                    f"{entity.contract!r}, but {first[0]} writes it with {first[1]!r}; "
                    "one raw table holds one contract"
                )


def load_definition(path: Path) -> SourceDefinition:
    """Read and validate one source definition file."""
    hint = "see config/sources/pos.yml for a complete example"
    data = read_yaml_mapping(path, hint=hint, missing="check the path", error=DefinitionError)
    data = data or {}
    data.setdefault("source", path.stem)
    definition = validate_model(path, data, SourceDefinition, hint=hint, error=DefinitionError)
    definition.path = path
    return definition


def load_definitions(sources_dir: Path, only: list[str] | None = None) -> list[SourceDefinition]:
    """Every definition under ``sources_dir`` (or just those named in ``only``)."""
    paths = sorted(sources_dir.glob("*.yml")) + sorted(sources_dir.glob("*.yaml"))
    definitions = [load_definition(path) for path in paths]
    by_name: dict[str, SourceDefinition] = {}
    for definition in definitions:
        if definition.source in by_name:
            raise DefinitionError(
                f"source {definition.source!r} is defined twice: "
                f"{by_name[definition.source].path} and {definition.path}"
            )
        by_name[definition.source] = definition
    _check_shared_tables(definitions)
    if only:
        unknown = sorted(set(only) - set(by_name))
        if unknown:
            raise DefinitionError(
                f"unknown source(s) {unknown}; {sources_dir} defines {sorted(by_name)}"
            )
        definitions = [by_name[name] for name in only]
    if not definitions:
        raise DefinitionError(f"{sources_dir}: no source definition (*.yml) found")
    return definitions
