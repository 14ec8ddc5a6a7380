"""How an identity run runs: its shared state, its stages, and the check of their order.

A :class:`Stage` names the temporary relations (``_tables``) it reads and writes;
:func:`run_stages` runs a list of them in order and, before each, checks that what it reads
exists, so a stage moved before its inputs fails at once, naming them. The run's own list,
the order a reader follows, is ``_resolve.STAGES``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.warehouse import temp_relations

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings
    from identity._backend import SplinkTables
    from identity._config import IdentityConfig, IdentityMapping
    from identity._tables import Relation


class StageInputError(RuntimeError):
    """A stage's declared inputs are missing: the stage list is out of order."""


class StageTimer:
    """Wall time per stage, for the run summary and the benchmark, and the process's CPU
    seconds per stage (DuckDB's threads included: on a shared machine wall time mostly
    measures the neighbours)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start, cpu = time.perf_counter(), time.process_time()
        yield
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 3)
        spent = time.process_time() - cpu
        self.cpu_seconds[name] = round(self.cpu_seconds.get(name, 0.0) + spent, 3)


def model_path(settings: Settings, config: IdentityConfig) -> Path:
    """Where the trained model of ``config`` is saved."""
    return settings.model_dir / config.model_file


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Run:
    """What the stages of one run share besides the temporary relations."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    config: IdentityConfig
    mappings: list[IdentityMapping]
    run_id: str
    full: bool = False  # asked for a full run
    approve_churn: bool = False
    started_at: datetime = field(default_factory=_now)
    mode: str = "full"  # what the run does: full, or incremental when it can
    has_previous: bool = False
    splink: SplinkTables | None = None
    model: dict | None = None
    summary: dict[str, Any] = field(default_factory=dict)  # figures the stages report
    timer: StageTimer = field(default_factory=StageTimer)

    @property
    def model_path(self) -> Path:
        return model_path(self.settings, self.config)


@dataclass(frozen=True)
class Stage:
    """One step of a run: what it does, the relations it reads and writes, and the
    ``stage_seconds`` entry its time counts in (None: not timed)."""

    name: str
    run: Callable[[Run], None]
    reads: tuple[Relation, ...] = ()
    writes: tuple[Relation, ...] = ()
    timer: str | None = None
    incremental_reads: tuple[Relation, ...] = ()  # read on incremental runs only
    incremental_writes: tuple[Relation, ...] = ()  # written on incremental runs only
    when: Callable[[Run], bool] | None = None  # run only when this holds


def run_stages(run: Run, stages: list[Stage]) -> None:
    """Run ``stages`` in order, each after checking its declared inputs exist."""
    for stage in stages:
        if stage.when is not None and not stage.when(run):
            continue
        wanted = stage.reads + (stage.incremental_reads if run.mode == "incremental" else ())
        present = temp_relations(run.con)
        missing = sorted(str(r) for r in wanted if r not in present)
        if missing:
            raise StageInputError(
                f"identity stage {stage.name!r} reads {missing}, which no earlier stage wrote: "
                "fix the order of identity._resolve.STAGES"
            )
        if stage.timer is None:
            stage.run(run)
            continue
        with run.timer(stage.timer):
            stage.run(run)
