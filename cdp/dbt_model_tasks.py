"""The profiles DAG's model tasks: Cosmos' watcher sensors, reading the one build's results.

The DAG renders a task per model and none per dbt test (``TestBehavior.NONE``):
:func:`run_tests_in_build` puts the tests back into the one ``dbt build`` (Cosmos takes
them out with ``NONE``), and :class:`LeanModelWatcher` fails when one of its model's tests
failed there, naming the test and dbt's message. dbt itself skips what is built on a
failed test, and those models' tasks fail in turn; the build's own error lists every
failed node. 45 tests tasks fewer than with ``AFTER_EACH``, each a task start and five
execution-API calls (docs/performance-log.md).

Each model's task also asked the execution API for the producer's state at every poke,
though it only needs it on a retry or when its node has no status yet, and for the build's
start-up events, which it logs at debug level only: :class:`LeanModelWatcher` reads the
node's status first and asks for the producer's state only when it is needed, and skips
the start-up events when nothing would log them.

The producer's side is ``cdp.dbt_watcher``; both are imported by ``dags/cdp_profiles.py``.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk.exceptions import AirflowException
from cosmos.operators._watcher import base as watcher_base
from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key
from cosmos.operators._watcher.state import (
    get_compiled_sql_xcom_key,
    get_dbt_event_xcom_key,
    get_status_xcom_key,
    is_dbt_node_status_failed,
    is_dbt_node_status_skipped,
    is_dbt_node_status_success,
)
from cosmos.operators.watcher import DbtRunWatcherOperator


def is_failed_event(value: Any) -> bool:
    """Whether a node's pushed dbt event (``{"status": ..., "msg": ...}``) says it failed or
    did not run."""
    status = value.get("status") if isinstance(value, dict) else None
    return is_dbt_node_status_failed(status) or is_dbt_node_status_skipped(status)


class _StatusFirst:
    """A watcher sensor's poke reading its node's status before the producer's state.

    Cosmos' ``poke`` fetches the producer's state first, yet uses it only on a retry
    (``try_number > 1``) or when the node has no status yet; at a first try whose node
    already finished, the status read here is handed to ``poke``'s own read and the state
    is not fetched. The build's start-up events are read only if Cosmos' watcher logger
    would log them (at debug level).
    """

    _status_read: tuple[Any] | None = None

    def _get_producer_task_status(self, context: Any) -> str | None:
        ti = context["ti"]
        if ti.try_number == 1:
            status = super()._get_node_status(ti, context)  # type: ignore[misc]
            if status is not None:
                self._status_read = (status,)
                return None  # poke reads no producer state when the status is known
        return super()._get_producer_task_status(context)  # type: ignore[misc]

    def _get_node_status(self, ti: Any, context: Any) -> Any:
        read, self._status_read = self._status_read, None
        if read is not None:
            return read[0]
        return super()._get_node_status(ti, context)  # type: ignore[misc]

    def _log_startup_events(self, ti: Any) -> None:
        if watcher_base.logger.isEnabledFor(logging.DEBUG):
            super()._log_startup_events(ti)  # type: ignore[misc]


class LeanModelWatcher(_StatusFirst, DbtRunWatcherOperator):
    """Cosmos' model watcher, status first (:class:`_StatusFirst`), which also fails when
    one of its model's dbt tests failed in the build (:func:`run_tests_in_build`).

    The tests of ``model_tests`` ran in the producer's ``dbt build``; the producer pushed
    their aggregated status, and the event of each failed one. A cleared model task builds
    its model again with its tests (``dbt build --select <model>``), as the build did.

    The build pushed a successful model's status with its event and compiled SQL inside
    (``cdp.dbt_watcher``), before this task started (``watch_after_build``): the task reads
    it once, as its fields are rendered, and Cosmos' poke is answered from it. The compiled
    SQL is then in the rendered fields Airflow sends before the task runs, where Cosmos read
    it at the poke and had Airflow serialise and send every field a second time after it.
    """

    base_cmd = ["build"]
    # Cosmos' watcher lists compiled_sql and full_refresh twice: each is serialised once
    template_fields = tuple(dict.fromkeys(DbtRunWatcherOperator.template_fields))
    model_tests: tuple[str, ...] = ()
    _status_seen: Any = None
    _read_at_render: dict[str, Any] = {}

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        super().render_template_fields(context, jinja_env)
        ti = context["ti"]
        if ti.try_number == 1:  # a retry runs dbt itself, which gives the SQL (Cosmos' path)
            self._read_at_render = read_finished_model(
                ti, self.producer_task_id, self.model_unique_id
            )
            sql = self._read_at_render.get(get_compiled_sql_xcom_key(self.model_unique_id))
            if sql:
                self.compiled_sql = sql

    def _cache_compiled_sql(self, ti: Any, context: Any) -> None:
        if not self.compiled_sql:  # not read at render: read at the poke, as Cosmos does
            super()._cache_compiled_sql(ti, context)

    def _get_node_status(self, ti: Any, context: Any) -> Any:
        self._status_seen = super()._get_node_status(ti, context)
        return self._status_seen

    def poke(self, context: Any) -> bool:
        if self._read_at_render:
            context = {**context, "ti": _ReadBefore(context["ti"], self._read_at_render)}
        finished = super().poke(context)
        # a status from the build (not a fallback run of dbt in this task, which tested)
        if finished and is_dbt_node_status_success(self._status_seen):
            self._fail_on_failed_tests(context["ti"])
        return finished

    def execute_complete(self, context: Any, event: dict[str, Any]) -> None:
        # deferred (the build had not reported the model at the poke): Cosmos' trigger reads
        # the status only, the event and SQL are in it
        read = read_finished_model(context["ti"], self.producer_task_id, self.model_unique_id)
        sql = read.get(get_compiled_sql_xcom_key(self.model_unique_id))
        if read:
            context = {**context, "ti": _ReadBefore(context["ti"], read)}
        super().execute_complete(context, {"compiled_sql": sql, **event} if sql else event)
        if event.get("status") == "success" and not event.get("reason"):
            self._fail_on_failed_tests(context["ti"])

    def _fail_on_failed_tests(self, ti: Any) -> None:
        if not self.model_tests:
            return
        key = get_tests_status_xcom_key(self.model_unique_id)
        aggregated = ti.xcom_pull(task_ids=self.producer_task_id, key=key)
        if aggregated == "pass":
            return
        failed = []
        for test in self.model_tests:
            event = ti.xcom_pull(task_ids=self.producer_task_id, key=get_dbt_event_xcom_key(test))
            if is_failed_event(event):
                failed.append(f"  - {test.split('.')[2]}: {event['status']}: {event.get('msg')}")
        count = f"{len(self.model_tests)} dbt tests"
        found = (
            f"{len(failed)} of its {count} did not pass in the build ({self.producer_task_id}):\n"
            + "\n".join(failed)
            if failed
            else f"the build ({self.producer_task_id}) did not report all of its {count}"
        )
        raise AirflowException(
            f"model {self.model_unique_id} was built, but {found}\nFix the data or the model, "
            "then clear this task: it builds the model and runs its tests again."
        )


def read_finished_model(ti: Any, producer_task_id: str, unique_id: str) -> dict[str, Any]:
    """The XComs the build pushed for model ``unique_id`` that its task reads, by key, from
    one read of its status: the status and, when the build pushed them inside it
    (``cdp.dbt_watcher.MERGED_INTO_STATUS``), its event and compiled SQL. Empty when the
    build has not reported the model."""
    from cdp.dbt_watcher import MERGED_INTO_STATUS

    status_key = get_status_xcom_key(unique_id)
    value = ti.xcom_pull(task_ids=producer_task_id, key=status_key)
    if not isinstance(value, dict):
        return {}
    node = status_key.removesuffix("_status")
    read = {node + s: value[f] for s, f in MERGED_INTO_STATUS.items() if f in value}
    read[status_key] = {k: v for k, v in value.items() if k not in MERGED_INTO_STATUS.values()}
    return read


class _ReadBefore:
    """A model task's task instance as Cosmos' poke sees it: the XComs read at render time
    are answered from them; any other goes to the execution API."""

    def __init__(self, ti: Any, read: dict[str, Any]):
        self._ti = ti
        self._read = read

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ti, name)

    def xcom_pull(self, task_ids: Any = None, *args: Any, key: str = "", **kwargs: Any) -> Any:
        if key in self._read:
            return self._read[key]
        return self._ti.xcom_pull(task_ids, *args, key=key, **kwargs)


# The watcher sensor methods _StatusFirst and LeanModelWatcher override (Cosmos 1.15).
_WATCHER_HOOKS = (
    "_get_producer_task_status",
    "_get_node_status",
    "_log_startup_events",
    "_cache_compiled_sql",
)
LEAN_WATCHERS: dict[type, type] = {DbtRunWatcherOperator: LeanModelWatcher}


def run_tests_in_build(group: Any) -> None:
    """Run every dbt test inside the one ``dbt build`` of the Cosmos task group ``group``
    rendered with ``TestBehavior.NONE``, each model's task failing when its tests do.

    ``TestBehavior.NONE`` renders no test task, but Cosmos then also takes the tests out
    of the producer's build (``--resource-type model`` and so on); those flags are dropped
    here, so the build tests each model as dbt does, and skips what depends on a failed
    test. Each model's task (:class:`LeanModelWatcher`) gets its model's tests. Fails with
    what to do when Cosmos excludes the tests some other way.
    """
    producer = _producer(group)
    flags = list(producer.dbt_cmd_flags or [])
    kept = [
        flag
        for i, flag in enumerate(flags)
        if flag != "--resource-type" and (i == 0 or flags[i - 1] != "--resource-type")
    ]
    if len(kept) == len(flags) or "test" in str(producer.exclude or ""):
        raise RuntimeError(
            f"expected Cosmos to exclude the tests from {producer.task_id}'s dbt build with "
            f"--resource-type flags, found flags {flags} and exclude {producer.exclude!r} "
            f"(Cosmos upgraded?): check run_tests_in_build in cdp/dbt_model_tasks.py against "
            f"cosmos.airflow.graph._add_watcher_producer_task"
        )
    producer.dbt_cmd_flags = kept
    tests_per_model: dict[str, list[str]] = producer.tests_per_model or {}
    for task in group:  # Cosmos' model watchers, before or after they became LeanModelWatcher
        if isinstance(task, DbtRunWatcherOperator):
            task.model_tests = tuple(tests_per_model.get(task.model_unique_id, ()))


def _producer(group: Any) -> Any:
    producers = [t for t in group if t.task_id.endswith(".dbt_producer_watcher")]
    if len(producers) != 1:
        raise RuntimeError(
            f"expected one Cosmos dbt_producer_watcher task in task group "
            f"{group.group_id!r}, found {[t.task_id for t in producers]}: is it rendered "
            f"with ExecutionMode.WATCHER?"
        )
    return producers[0]
