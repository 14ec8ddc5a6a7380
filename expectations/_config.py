"""``config/quality.yml``: the suites, their thresholds and the blocking/warning policy.

The models stay light (pydantic and PyYAML): the CLI and the DAGs load them without
importing Great Expectations. Expectation types are checked against GX's registry when the
suites are built.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.config_files import ConfigError, load_yaml_model, read_yaml_mapping

STAGES = ("raw", "identity", "marts")
Severity = Literal["blocking", "warning"]
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class QualityConfigError(ConfigError):
    """``quality.yml`` is missing or invalid."""


class ExpectationSpec(BaseModel):
    """One GX expectation: its type, its severity, and its keyword arguments (the rest)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(pattern=r"^expect_[a-z0-9_]+$")
    severity: Severity | None = None
    description: str | None = None

    @property
    def kwargs(self) -> dict[str, Any]:
        """The arguments handed to the GX expectation class."""
        return dict(self.model_extra or {})

    @property
    def columns(self) -> list[str]:
        """Columns this expectation reads, so a frame selects only those."""
        kwargs = self.kwargs
        names = [kwargs[key] for key in ("column", "column_A", "column_B") if key in kwargs]
        names += list(kwargs.get("column_list") or [])
        return names


class VolumeSpec(BaseModel):
    """The latest load's row count against the previous load of the same entity."""

    model_config = ConfigDict(extra="forbid")

    min_ratio: float = Field(gt=0)
    max_ratio: float = Field(gt=0)
    # The first load of an entity is its history backfill: weekly deltas are not compared with it.
    skip_first_loads: int = Field(default=1, ge=0)
    # Below this, a ratio is noise (a quiet week of 7 tickets after 5), not a signal.
    min_previous_rows: int = Field(default=1000, ge=1)
    severity: Severity | None = None


class SuiteSpec(BaseModel):
    """One suite: the frame it validates (a table or a SQL query) and its expectations."""

    model_config = ConfigDict(extra="forbid")

    stage: Literal["raw", "identity", "marts"]
    description: str | None = None
    table: str | None = Field(default=None, description="schema.table, read whole")
    sql: str | None = Field(default=None, description="a query computing the frame")
    # A missing table on an optional suite is skipped (a source not loaded yet); on a
    # required one it is a blocking failure (the stage before did not run).
    required: bool = True
    index_columns: list[str] = Field(
        default_factory=list, description="columns that name a failing row in messages"
    )
    schema_: dict[str, str] | None = Field(
        default=None, alias="schema", description="required columns and their DuckDB types"
    )
    volume: VolumeSpec | None = None
    expectations: list[ExpectationSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_frame(self) -> SuiteSpec:
        if (self.table is None) == (self.sql is None):
            raise ValueError("give exactly one of `table` or `sql`")
        if self.table is not None and not _IDENTIFIER.match(self.table):
            raise ValueError(f"table {self.table!r} is not a plain schema.table name")
        if (self.schema_ or self.volume) and self.table is None:
            raise ValueError("`schema` and `volume` checks need a `table`")
        return self


class QualityConfig(BaseModel):
    """The whole of ``quality.yml``."""

    model_config = ConfigDict(extra="forbid")

    default_severity: Severity = "blocking"
    example_count: int = Field(default=5, ge=1, le=50)
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description='values for {"$PARAMETER": name} in expectation arguments',
    )
    suites: dict[str, SuiteSpec]

    def severity_of(self, spec: ExpectationSpec | VolumeSpec) -> str:
        """The spec's own severity, else the default."""
        return spec.severity or self.default_severity

    def suites_for(self, stage: str) -> dict[str, SuiteSpec]:
        """Suites guarding ``stage``, in file order."""
        return {name: suite for name, suite in self.suites.items() if suite.stage == stage}


def load_quality_config(path: Path) -> QualityConfig:
    """Read and validate ``quality.yml``; errors name the file and the failing field."""
    return load_yaml_model(
        path,
        QualityConfig,
        missing="create it (see config/quality.yml in the repository) "
        "or set CDP_QUALITY_CONFIG_PATH",
        hint="see config/quality.yml in the repository",
        error=QualityConfigError,
    )


def run_parameters(config: QualityConfig, identity_config_path: Path, today: date) -> dict:
    """Suite parameters for one run: ``now``, identity's cluster size, then quality.yml's."""
    from datetime import datetime, time

    params: dict[str, Any] = {"now": datetime.combine(today, time.max)}
    identity = read_yaml_mapping(identity_config_path, error=QualityConfigError) or {}
    if "max_cluster_size" in identity:
        params["max_cluster_size"] = identity["max_cluster_size"]
    params.update(config.parameters)
    # pandas compares datetime64 columns with datetimes, not dates
    return {
        name: datetime.combine(value, time()) if type(value) is date else value
        for name, value in params.items()
    }
