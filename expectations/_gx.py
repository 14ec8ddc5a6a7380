"""Great Expectations 1.x: a file-backed context, one suite and checkpoint per check.

The context lives under ``reports_dir/gx``: suites, validation definitions, checkpoints and
GX's own validation results store are files there, and Data Docs build to
``reports_dir/gx/gx/uncommitted/data_docs/local_site``. Each check's frame is a pandas
DataFrame handed to its checkpoint as a batch parameter.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations._config import QualityConfigError
from expectations._frames import Check

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext

log = logging.getLogger(__name__)
DATASOURCE = "cdp_warehouse"


@dataclass
class Outcome:
    """One expectation's result, as stored in ``quality.validation_results``."""

    run_id: str
    stage: str
    suite: str
    expectation: str
    severity: str
    success: bool
    unexpected_count: int | None
    unexpected_percent: float | None
    example_values: str | None  # JSON list
    observed_value: str | None
    validated_at: datetime
    message: str


def open_context(root: Path) -> AbstractDataContext:
    """The file-backed GX context under ``root`` (created on first use)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root.mkdir(parents=True, exist_ok=True)
    # GX logs every asset serialisation at INFO: hundreds of lines per run in task logs
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="file", project_root_dir=str(root))
    # tqdm bars per metric flood Airflow task logs
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _batch_definition(context: AbstractDataContext, name: str):
    from great_expectations.datasource.fluent import PandasDatasource

    try:
        found = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        found = context.data_sources.add_pandas(DATASOURCE)
    if not isinstance(found, PandasDatasource):
        raise QualityConfigError(
            f"GX data source {DATASOURCE!r} is a {type(found).__name__}, not pandas: "
            "remove it from the GX context so the checks can recreate it"
        )
    source = found
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition(name)
    except KeyError:
        return asset.add_batch_definition_whole_dataframe(name)


def _expectation(check: Check, spec, severity: str):
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        cls = get_expectation_impl(spec.type)
        extra = {"description": spec.description} if spec.description else {}
        return cls(**spec.kwargs, **extra, meta={"severity": severity})
    except Exception as error:  # GX raises pydantic and its own errors alike
        raise QualityConfigError(
            f"suite {check.suite}: expectation {spec.type} {spec.kwargs} is not valid: "
            f"{str(error).splitlines()[0]}; fix it in quality.yml"
        ) from error


def _checkpoint(context: AbstractDataContext, check: Check, example_count: int):
    import great_expectations as gx

    suite = gx.ExpectationSuite(
        name=check.suite,
        expectations=[_expectation(check, spec, sev) for spec, sev in check.expectations],
    )
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(
            name=check.suite, data=_batch_definition(context, check.suite), suite=suite
        )
    )
    result_format = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": example_count,
        "unexpected_index_column_names": check.index_columns,
    }
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=check.suite,
            validation_definitions=[definition],
            actions=[],
            result_format=result_format,
        )
    )


def _label(config) -> str:
    kwargs = config.kwargs
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
    columns += list(kwargs.get("column_list") or [])
    return f"{config.type}({', '.join(columns)})" if columns else config.type


def _jsonable(value: Any) -> Any:
    from great_expectations.util import convert_to_json_serializable

    return json.loads(json.dumps(convert_to_json_serializable(value), default=str))


def _examples(result: dict, example_count: int) -> list:
    located = result.get("partial_unexpected_index_list") or []
    if located and isinstance(located[0], dict):
        return located[:example_count]
    return list(result.get("partial_unexpected_list") or [])[:example_count]


def _exception_message(info: dict | None) -> str | None:
    """GX nests metric errors by metric id; the first message says what went wrong."""
    if not info:
        return None
    if info.get("exception_message"):
        return info["exception_message"]
    for value in info.values():
        if isinstance(value, dict) and value.get("exception_message"):
            return value["exception_message"].removeprefix("Error: ")
    return None


def _outcome(check: Check, expectation_result, run_id: str, at: datetime, example_count: int):
    config = expectation_result.expectation_config
    meta = config.meta or {}
    result = expectation_result.result or {}
    label = _label(config)
    examples = _jsonable(_examples(result, example_count))
    observed = result.get("observed_value")
    exception = _exception_message(expectation_result.exception_info)
    success = bool(expectation_result.success)
    severity = meta.get("severity", "blocking")
    if success:
        message = f"{check.suite}: {label} passed"
    elif exception:
        message = f"{check.suite}: {label} could not run: {exception}"
        observed = observed if observed is not None else f"error: {exception}"
    elif result.get("unexpected_count") is not None:
        total = result.get("element_count")
        example = json.dumps(examples[0], default=str) if examples else "n/a"
        message = (
            f"{check.suite}: {label} failed on {result['unexpected_count']:,} of {total:,} rows "
            f"({result.get('unexpected_percent') or 0:.2f}%), e.g. {example}"
        )
    else:
        message = f"{check.suite}: {label} failed: observed {json.dumps(_jsonable(observed))}"
    return Outcome(
        run_id=run_id,
        stage=check.stage,
        suite=check.suite,
        expectation=label,
        severity=severity,
        success=success,
        unexpected_count=result.get("unexpected_count"),
        unexpected_percent=result.get("unexpected_percent"),
        example_values=json.dumps(examples, default=str) if examples else None,
        observed_value=None if observed is None else json.dumps(_jsonable(observed)),
        validated_at=at,
        message=message,
    )


def _unreadable(check: Check, run_id: str, at: datetime, default_severity: str) -> Outcome:
    severity = default_severity if check.required else "warning"
    return Outcome(
        run_id=run_id,
        stage=check.stage,
        suite=check.suite,
        expectation="frame_is_readable",
        severity=severity,
        success=not check.required,
        unexpected_count=None,
        unexpected_percent=None,
        example_values=None,
        observed_value=json.dumps(check.missing),
        validated_at=at,
        message=f"{check.suite}: {check.missing}",
    )


def validate(
    context: AbstractDataContext,
    checks: list[Check],
    parameters: dict[str, Any],
    run_id: str,
    example_count: int,
    default_severity: str,
) -> tuple[list[Outcome], list]:
    """Run every check's checkpoint (results land in GX's store): the outcomes, and the
    identifiers of the stored results and of their suites (the Data Docs pages to render)."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    at = datetime.now()
    gx_run = RunIdentifier(run_name=run_id, run_time=at.astimezone())
    outcomes: list[Outcome] = []
    stored: list = []
    for check in checks:
        if check.frame is None:
            outcomes.append(_unreadable(check, run_id, at, default_severity))
            continue
        checkpoint = _checkpoint(context, check, example_count)
        result = checkpoint.run(
            batch_parameters={"dataframe": check.frame},
            expectation_parameters=parameters,
            run_id=gx_run,
        )
        for identifier, suite_result in result.run_results.items():
            outcomes.extend(
                _outcome(check, r, run_id, at, example_count) for r in suite_result.results
            )
            stored += [identifier, ExpectationSuiteIdentifier(name=check.suite)]
        log.debug("%s: %d rows validated", check.suite, len(check.frame))
    return outcomes, stored


def build_docs(context: AbstractDataContext, new: list | None = None) -> Path | None:
    """Data Docs: the pages of ``new`` (this run's validation results and suites) and the
    index, or the whole site when ``new`` is None or the site has no index yet; returns the
    local index page, when the site has one.

    A whole build renders every validation result GX has stored, which grows with every run
    of every checking DAG (about 12 ms of CPU per stored result: 1.1 s at 76, a minute after
    a few weeks of hourly runs); the pages of earlier runs do not change.
    """
    index = _local_index(context)
    if new is None or index is None or not index.exists():
        context.build_data_docs()
    else:
        context.build_data_docs(resource_identifiers=new)
    return _local_index(context)


def _local_index(context: AbstractDataContext) -> Path | None:
    for site in context.get_docs_sites_urls():
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            return Path(url.removeprefix("file://"))
    return None
