"""How Airflow runs the pipeline: ``config/orchestration.yml``, validated, and the assets.

The DAG files read this at parse time, so it stays light: pydantic and PyYAML only.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.config_files import ConfigError, load_yaml_model

if TYPE_CHECKING:
    from core.settings import Settings

SOURCES = ("pos", "web", "email", "callcenter", "reviews", "sms")
CRON_PRESETS = {"@once", "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@continuous"}

# Asset URIs: the hand-offs between DAGs (producer outlets, consumer schedules).
IDENTITY_ASSET_URI = "cdp://identity/customers"
MARTS_ASSET_URI = "cdp://marts/profiles"

# Errors a retry cannot cure: the input or a definition is wrong (light modules to import).
DATA_ERRORS = (
    "ingestion.IngestionError",
    "ingestion.DefinitionError",
    "identity.ModelFileError",
    "expectations.BlockingQualityError",
    "profiles.DbtBuildError",
    "core.erasure.ErasureSaltError",
)
# A dbt model failing under Cosmos: bad SQL or data, fixed by hand, then the task cleared.
DBT_ERRORS = ("cosmos.exceptions.CosmosDbtRunError",)


def raw_asset_uri(source: str) -> str:
    """The asset an ingestion DAG emits when it loaded new files of ``source``."""
    return f"cdp://raw/{source}"


class OrchestrationError(ConfigError):
    """``orchestration.yml`` is missing or invalid."""


class SourceSchedule(BaseModel):
    """When one source's ingestion DAG looks for new files."""

    model_config = ConfigDict(extra="forbid")

    schedule: str | None = Field(
        description="cron expression or preset (@hourly); null: only when triggered"
    )

    @field_validator("schedule")
    @classmethod
    def _is_cron(cls, value: str | None) -> str | None:
        if value is None or value in CRON_PRESETS:
            return value
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is not a cron expression ('0 * * * *') nor one of "
                f"{sorted(CRON_PRESETS)}"
            )
        return value


class Orchestration(BaseModel):
    """Owner, retry policy, writer pool and per-source cadences of the DAGs."""

    model_config = ConfigDict(extra="forbid")

    owner: str = "data-platform"
    retries: int = Field(2, ge=0)
    retry_delay_seconds: float = Field(60, gt=0)
    max_retry_delay_seconds: float = Field(900, gt=0)
    writer_pool: str = "duckdb_writer"
    sources: dict[str, SourceSchedule]

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: dict[str, SourceSchedule]) -> dict[str, SourceSchedule]:
        unknown = sorted(set(value) - set(SOURCES))
        if unknown:
            raise ValueError(f"unknown source(s) {unknown}; expected some of {list(SOURCES)}")
        return value

    def default_args(self, data_errors: tuple[str, ...] = DATA_ERRORS) -> dict[str, Any]:
        """``default_args`` every DAG shares: owner, retries with exponential backoff.

        Bad input does not fix itself: the stages' data errors fail the task at once, while
        anything else (a locked DuckDB file, a full disk) is retried with backoff.
        """
        from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule

        no_retry = RetryRule(
            exception=list(data_errors),
            action=RetryAction.FAIL,
            reason="bad input: fix it, then clear the task",
        )
        return {
            "owner": self.owner,
            "retries": self.retries,
            "retry_delay": timedelta(seconds=self.retry_delay_seconds),
            "retry_exponential_backoff": 2.0,
            "max_retry_delay": timedelta(seconds=self.max_retry_delay_seconds),
            "retry_policy": ExceptionRetryPolicy(rules=[no_retry]),
        }


def watch_after_build(group: Any, after: Any) -> None:
    """Chain ``after >> group`` for a Cosmos watcher-mode task group, starting its model tasks
    only once the group's one ``dbt build`` (the producer) has run, succeeded or failed.

    Cosmos leaves the model tasks free to start first and wait for the build (it orders only a
    whole ``DbtDag``), but ``dag.test()``, behind ``airflow dags test`` and the DAG tests,
    takes ready tasks in no set order and waits on a deferred task in place: a model task
    started before the build would wait forever. After the build each finds its status at
    once. ``all_done_min_one_success`` over (``after``, producer): a failed build still reports
    model by model, while a failed ``after`` (the producer then never ran) stops them.
    """
    from airflow.task.trigger_rule import TriggerRule

    producer = next(t for t in group if t.task_id.endswith(".dbt_producer_watcher"))
    gate = producer.downstream_task_ids  # Cosmos' task absorbing a skipped producer
    roots = [t for t in group.get_roots() if t is not producer and t.task_id not in gate]
    after >> group
    for task in roots:
        producer >> task
        task.trigger_rule = TriggerRule.ALL_DONE_MIN_ONE_SUCCESS


_HEAP_FROZEN: list[bool] = []


def freeze_heap_in_dags_test(argv: list[str] | None = None) -> None:
    """In ``airflow dags test``, keep the collector off the heap the process starts with.

    That command runs every task of a DAG in its own process, then exits. Two costs come
    from the heap it builds first (Airflow, Cosmos, the DAG files): every full collection
    during the run walks it again (on the profiles DAG, 14 of them for 3.7 s of CPU), and at
    exit CPython runs full collections over every object still alive (Airflow, dbt's
    manifest, Cosmos, Great Expectations): 13-24 s of wall time after the profiles DAG's
    last task (py-spy: the main thread in ``gc_collect_main``). ``gc.freeze()`` moves the
    live objects to the permanent generation, which no collection walks: once here, when
    the first DAG file is parsed, and again from an exit hook. The objects are still freed
    by reference count (as modules are torn down, at exit), and logging's exit hook
    (registered earlier, so run later) still flushes the handlers; only their cyclic
    garbage is left to the operating system, as the demo's ``os._exit`` leaves everything.

    The cost: DuckDB's bindings (nanobind) then report their module's objects as "leaked"
    on stderr at exit, which is harmless. So only ``airflow dags test`` does it (``argv``,
    default ``sys.argv``): the DAG processor and task processes are forked children that
    end with ``os._exit``, and other commands, tests included, run and exit as usual.
    Idempotent: a DAG file may be parsed several times in one process.
    """
    import sys

    command = (sys.argv if argv is None else argv)[1:3]
    if _HEAP_FROZEN or command != ["dags", "test"]:
        return
    import atexit
    import gc

    gc.freeze()
    atexit.register(gc.freeze)
    _HEAP_FROZEN.append(True)


def load_orchestration(settings: Settings) -> Orchestration:
    """Read and validate ``settings.orchestration_config_path``."""
    path: Path = settings.orchestration_config_path
    return load_yaml_model(
        path,
        Orchestration,
        missing="restore config/orchestration.yml or point CDP_ORCHESTRATION_CONFIG_PATH at one",
        hint="see config/orchestration.yml in the repository",
        error=OrchestrationError,
    )
