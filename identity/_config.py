"""Identity configuration: `config/identity.yml` and the `identities:` sections of sources.

`identity.yml` is validated here with pydantic, so a typo fails early with the file and
field named. The mapping from raw tables to identity records lives in each source definition
(`config/sources/<source>.yml`, parsed once by :mod:`ingestion.definitions`), so onboarding
a new export needs no code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.config_files import ConfigError, load_yaml_model
from core.identifiers import EmailRulesConfig
from ingestion.definitions import load_definitions

# re-exported: identity reads the mapping model and the attribute list from here
from ingestion.identities import ATTRIBUTES as ATTRIBUTES
from ingestion.identities import IdentityMapping as IdentityMapping

# The attributes a console row shows for a record (review queue, explain): all but the
# street, which the postcode and city already place.
SHOWN_ATTRIBUTES = tuple(a for a in ATTRIBUTES if a != "address_line")

# Attributes whose match key is not fit to show a person (``jeanmarc``, ``l hay les roses``):
# records and golden records keep beside it the display form, as the customer typed it
# (`identity._standardise.display_sql`). Phone (E.164), postcode and birth date are shown
# in their standard form.
DISPLAYED = ("first_name", "last_name", "email", "city", "address_line")
# what a mapping's attributes may read; `country` only steers standardisation
RAW_INPUTS = (*ATTRIBUTES, "full_name", "country")


class IdentityConfigError(ConfigError):
    """A configuration file is missing or invalid; the message names the file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainingConfig(_Strict):
    seed: int = 42
    u_max_pairs: float = 2e6
    prior_rules: list[list[str]] = [["email", "birth_date"], ["first_name", "last_name", "phone"]]
    prior_recall: float = 0.7
    em_blocking: list[list[str]] = [["email"], ["first_name", "last_name"]]
    discount_sampled_matches: bool = Field(
        True, description="remove from u the true matches random sampling counts as non-matches"
    )
    discount_max_factor: float = Field(100.0, ge=1, description="most u is divided by")
    min_pairs_per_estimate: int = Field(
        30, ge=1, description="pairs carrying a comparison on both sides an EM session needs"
    )


class Conflict(_Strict):
    """A probabilistic pair is not linked when the named comparison lands on these levels."""

    name: str
    comparison: str
    levels: list[str]
    unless_match_weight_above: float | None = Field(
        None, description="overwhelming evidence: a pair scoring above this links anyway"
    )
    unless: str | None = Field(
        None, description="SQL over the pair's <column>_l/_r values: when true, no conflict"
    )
    unless_replaced: list[Literal["home", "name"]] = Field(
        default_factory=list,
        description="strata (identity._replaced) where the records show one person's values "
        "replaced: a pair in one of them is not refused",
    )


class ReplacedValuesConfig(_Strict):
    """When the records show pairs differing on two fields to be one person's values
    replaced, not two people (``identity._replaced``)."""

    min_share: float = Field(
        0.8, ge=0, description="pairs differing on both that replacements must explain"
    )
    min_pairs: int = Field(50, ge=1, description="pairs agreeing on both to measure on")
    noise_sd: float = Field(
        2.0,
        ge=0,
        description="counting noise allowed on the pairs differing on both, in standard "
        "deviations of a Poisson count of what replacements explain",
    )


class RareNamesConfig(_Strict):
    """Records known by a rare full name alone, attached to the one customer bearing it
    (``identity._rare_names``)."""

    expected_people_below: float = Field(
        0.5,
        ge=0,
        description="most people expected to bear the full name in the population "
        "(0: never attach)",
    )
    max_customers: int = Field(5, ge=2, description="most customers bearing the name")


class BlockList(_Strict):
    """Junk values of one identifier type, compared after standardisation."""

    values: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list, description="regular expressions")

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"pattern {pattern!r} is not a regular expression: {error}"
                ) from error
        return value


class CannotLinkConfig(_Strict):
    """Records that must not end in one customer unless directly linked overwhelmingly."""

    birth_date_tolerance_days: int | None = Field(
        366, description="birth dates further apart (and not one typo away) conflict; null: off"
    )
    first_names: bool = Field(True, description="plainly different first names conflict")
    identifiers: list[str] = Field(
        default_factory=list, description="strong identifier types whose values must agree"
    )
    overwhelming_match_weight: float = 50.0


class GuardsConfig(_Strict):
    """Over-merge guards (docs/identity.md, "Guards against wrong merges")."""

    blocklist: dict[str, BlockList] = Field(
        default_factory=dict, description="identifier type (email, phone, a strong id) -> junk"
    )
    frequency_ceiling: dict[str, int] = Field(
        default_factory=dict, description="identifier type -> most records one value may hold"
    )
    max_people: dict[str, int] = Field(
        default_factory=dict,
        description="identifier type -> most people one value may belong to (cardinality)",
    )
    cannot_link: CannotLinkConfig = CannotLinkConfig()


class StandardisationConfig(EmailRulesConfig):
    # the e-mail rules are declared once, in core.identifiers (ingestion reads them too)
    model_config = ConfigDict(extra="forbid")

    default_phone_region: str = "FR"
    # `et`, `ou`: "M. et Mme Dupont" is a couple's surname, no first name
    titles: list[str] = [
        "m", "mr", "mme", "mlle", "mmes", "dr", "monsieur", "madame", "mademoiselle", "et", "ou",
    ]  # fmt: skip
    name_particles: list[str] = ["de", "du", "des", "la", "le", "d", "van", "von", "der"]
    min_birth_year: int = 1900


class AttributeRule(_Strict):
    trust: list[str] = Field(default_factory=list, description="identity types, most trusted first")


class SurvivorshipConfig(_Strict):
    default: AttributeRule = AttributeRule()
    attributes: dict[str, AttributeRule] = Field(default_factory=dict)

    def rule_for(self, attribute: str) -> AttributeRule:
        return self.attributes.get(attribute, self.default)


class ReviewConfig(_Strict):
    """Which scored pairs go to the stewards' review queue."""

    band: tuple[float, float] = Field(
        (0.80, 0.99), description="match probability range [low, high] of borderline pairs"
    )

    @field_validator("band")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 < value[0] <= value[1] <= 1:
            raise ValueError(f"band {list(value)} must be [low, high] with 0 < low <= high <= 1")
        return value


class StabilityConfig(_Strict):
    """Churn ceilings: a run changing more customer_ids than this fails unless approved."""

    max_changed_share_incremental: float = Field(0.02, ge=0, le=1)
    max_changed_share_full: float = Field(0.10, ge=0, le=1)


class IdentityConfig(_Strict):
    """Contents of config/identity.yml."""

    @field_validator("backend", mode="before")
    @classmethod
    def _engine_is_a_setting(cls, value: object) -> object:
        if value == "spark":
            raise ValueError(
                "`backend: spark` moved to the settings: remove it from identity.yml and set "
                "CDP_ENGINE=spark (docs/scale.md)"
            )
        return value

    # Where Splink runs is a setting now (CDP_ENGINE, core.settings): a configuration that
    # still says `backend:` is read, and a `spark` there is refused with that pointer.
    backend: Literal["duckdb"] = Field(
        "duckdb", description="deprecated: set the engine with CDP_ENGINE (duckdb | spark)"
    )
    model_file: str = "identity_model.json"
    match_threshold: float = Field(0.95, gt=0, lt=1)
    max_cluster_size: int = Field(50, ge=2)
    household_max_match_weight: float | None = Field(
        4.0,
        description="most an address agreement weighs in a pair whose phones or birth dates "
        "differ (household evidence); null: no cap",
    )
    blocking: list[list[str]]
    training: TrainingConfig = TrainingConfig()
    conflicts: list[Conflict] = Field(default_factory=list)
    standardisation: StandardisationConfig = StandardisationConfig()
    survivorship: SurvivorshipConfig = SurvivorshipConfig()
    top_comparisons: int = 3
    guards: GuardsConfig = GuardsConfig()
    replaced_values: ReplacedValuesConfig = ReplacedValuesConfig()
    rare_names: RareNamesConfig = RareNamesConfig()
    review: ReviewConfig = ReviewConfig()
    stability: StabilityConfig = StabilityConfig()
    # a setting of the run, not of identity.yml: `for_run` copies it from the settings
    link_only: list[str] = Field(default_factory=list, exclude=True)


def for_run(config: IdentityConfig, settings) -> IdentityConfig:
    """The configuration with the run's settings that shape matching: the identity types
    linked only to each other (``settings.identity_link_only``)."""
    link_only = list(settings.identity_link_only)
    if link_only and len(set(link_only)) < 2:
        raise IdentityConfigError(
            f"link-only needs two identity types or more, got {link_only}: name the types "
            "whose records are linked across, never within (`--link-only TYPE_A TYPE_B`)"
        )
    return config.model_copy(update={"link_only": link_only}) if link_only else config


def load_identity_config(path: Path) -> IdentityConfig:
    """Read and validate config/identity.yml."""
    return load_yaml_model(
        path,
        IdentityConfig,
        missing="create it or set CDP_CONFIG_DIR",
        hint="see config/identity.yml in the repository",
        error=IdentityConfigError,
    )


def load_identity_mappings(sources_dir: Path) -> list[IdentityMapping]:
    """Every `identities:` entry of every source definition, in file then list order."""
    mappings = [m for definition in load_definitions(sources_dir) for m in definition.identities]
    if not mappings:
        raise IdentityConfigError(
            f"{sources_dir}: no source definition has an `identities:` section; "
            "add one per raw table that identifies people"
        )
    seen: set[str] = set()
    for mapping in mappings:
        if mapping.identity_type in seen:
            raise IdentityConfigError(
                f"{sources_dir}: identity_type {mapping.identity_type!r} is defined twice"
            )
        seen.add(mapping.identity_type)
    return mappings
