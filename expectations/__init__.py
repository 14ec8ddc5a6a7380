"""Data quality with Great Expectations: contracts at each hand-off of the pipeline.

``run_checks(settings, stage)`` validates the raw layer, the identity tables or the marts
against the suites of ``config/quality.yml``. Results go to ``quality.validation_results``
(DuckDB, for trends in SQL), to GX's own store and Data Docs under ``reports_dir/gx``, and to
a self-contained page ``reports_dir/quality/index.html``. A failing blocking expectation
raises :class:`BlockingQualityError`; warnings are recorded and the run goes on.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from expectations._config import STAGES, QualityConfigError, load_quality_config, run_parameters

if TYPE_CHECKING:
    from core.settings import Settings
    from expectations._gx import Outcome

__all__ = [
    "STAGES",
    "BlockingQualityError",
    "NothingToCheckError",
    "QualityConfigError",
    "QualityReport",
    "run_checks",
]
log = logging.getLogger(__name__)


@dataclass
class QualityReport:
    """What one ``run_checks`` call found."""

    run_id: str
    stage: str
    outcomes: list[Outcome] = field(default_factory=list)
    docs_index: Path | None = None
    summary_page: Path | None = None
    seconds: float = 0.0

    @property
    def blocking_failures(self) -> list[Outcome]:
        """Failed expectations whose policy is to stop the pipeline."""
        return [o for o in self.outcomes if not o.success and o.severity == "blocking"]

    @property
    def warnings(self) -> list[Outcome]:
        """Failed expectations that are recorded only."""
        return [o for o in self.outcomes if not o.success and o.severity == "warning"]

    @property
    def success(self) -> bool:
        """True when no blocking expectation failed."""
        return not self.blocking_failures


class BlockingQualityError(RuntimeError):
    """A blocking expectation failed: the data must not flow to the next stage."""

    def __init__(self, report: QualityReport):
        self.report = report
        failures = report.blocking_failures
        lines = "\n".join(f"  - {o.message}" for o in failures)
        super().__init__(
            f"{len(failures)} blocking data-quality failure(s) at stage {report.stage!r} "
            f"(run {report.run_id}):\n{lines}\nFix the data or its source, or change the policy "
            f"in quality.yml; details in quality.validation_results and {report.summary_page}"
        )


class NothingToCheckError(RuntimeError):
    """No suite of the stage found a row to validate: a pass would be a false green."""

    def __init__(self, stage: str, reasons: list[str], duckdb_path: Path):
        self.stage = stage
        run = {"raw": "cdp ingest", "identity": "cdp identity resolve"}.get(
            stage, "cdp profiles build"
        )
        listed = "\n".join(f"  - {reason}" for reason in reasons)
        super().__init__(
            f"nothing to check at stage {stage!r} in {duckdb_path}: no suite found a row "
            f"to validate\n{listed}\nRun `{run}` first (or point CDP_DUCKDB_PATH at the "
            "warehouse you meant)."
        )


def run_checks(settings: Settings, stage: str, *, today: date | None = None) -> QualityReport:
    """Validate ``stage`` (raw, identity, marts); raise BlockingQualityError on a blocking failure.

    Raise NothingToCheckError when no suite of the stage has a row to validate (nothing
    loaded yet, or the wrong warehouse). ``today`` is the day "dates not in the future"
    refers to (default: the real today).
    """
    if stage not in STAGES:
        raise ValueError(f"unknown quality stage {stage!r}: expected one of {', '.join(STAGES)}")
    from core.warehouse import connect
    from expectations import _frames, _gx, _results

    started = time.perf_counter()
    config = load_quality_config(settings.quality_config_path)
    parameters = run_parameters(config, settings.identity_config_path, today or date.today())
    run_id = settings.run_id or f"{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    report = QualityReport(run_id=run_id, stage=stage)
    with connect(settings) as con:
        checks = _frames.read_checks(con, config, stage)
        if not any(check.has_rows for check in checks):
            reasons = [
                f"{check.suite}: {check.missing or 'no rows'}"
                for check in checks
                if check.kind == "rows"
            ]
            raise NothingToCheckError(stage, reasons, settings.duckdb_path)
        context = _gx.open_context(settings.reports_dir / "gx")
        report.outcomes, stored = _gx.validate(
            context, checks, parameters, run_id, config.example_count, config.default_severity
        )
        _results.store_outcomes(con, report.outcomes)
        report.docs_index = _gx.build_docs(context, stored)
        report.summary_page = _results.write_summary(
            con, settings.reports_dir / "quality" / "index.html", report.docs_index
        )
    report.seconds = time.perf_counter() - started
    for outcome in report.warnings:
        log.warning("quality warning: %s", outcome.message)
    log.info(
        "quality %s: %d expectations, %d blocking failures, %d warnings in %.1fs (run %s)",
        stage,
        len(report.outcomes),
        len(report.blocking_failures),
        len(report.warnings),
        report.seconds,
        run_id,
    )
    if report.blocking_failures:
        raise BlockingQualityError(report)
    return report
