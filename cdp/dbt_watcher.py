"""The profiles DAG's dbt build (Cosmos' watcher producer) and the tasks watching it.

The DAG renders a task per model and none per dbt test: the tests run inside the one build
and a failed test fails the task of each model it tests, naming it (``cdp.dbt_model_tasks``).

Cosmos' ``DbtProducerWatcherOperator`` (1.15) hands every dbt event of its ``dbt build`` to
the parser ``_make_parse_callable`` returns, and that parser pushes a node's event to one
XCom key at each of its four steps (``NodeStart``, ``NodeCompiling``, ``NodeExecuting``,
``NodeFinished``). The node's task reads that key once, after the node finished: three
pushes in four are overwritten unread, each an execution-API call (an HTTP request and a
SQLite commit) made while dbt's thread waits on Cosmos' lock, about 700 per build of this
project. Cosmos has no option for it (astronomer-cosmos#2777 proposes one), so
:class:`FinishedEventsProducer` overrides the method that builds the parser: the three
intermediate steps are dropped before Cosmos parses them. They carry no terminal status
and only a debug-level message; the finished event carries the node's start and finish
times and its message, everything the node's task logs. Error events and every status,
test aggregate and compiled SQL are parsed by Cosmos as before. Cosmos' parser also pushes
the finished event of every dbt *test* node (225 in this project); a model's task reads
the tests' aggregated status, and the events of failed tests only. The parser's task
instance passes every push on but a passing test's event, and pushes a successful model's
event, status and compiled SQL as one XCom (its status, the other two inside), which the
model's task reads once (``cdp.dbt_model_tasks``): 138 pushes and 92 reads fewer per build.

With dbt in the task's process (``InvocationMode.DBT_RUNNER``), Cosmos also turns every dbt
event into JSON (protobuf's ``MessageToJson``) before its parser looks at the event's name:
about 6,500 events per build of this project, 91% of them debug-level (each SQL statement,
connection and cache step), which the parser drops unread and the task log does not show.
:class:`FinishedEventsProducer` hands Cosmos' callback only the events it reads: every
event above debug level (results, errors, skips, the versions at start, the lines the
build logs) and, at debug level, Cosmos' own list of the events it parses (the finished
step and the error events dbt fires at debug level).

After the build, Cosmos' base operator also turns the build's ``manifest.json`` and
``run_results.json`` into OpenLineage events (``calculate_openlineage_events_completes``:
importing ``openlineage.common`` and parsing both files, about 0.9 s of CPU here). Only
Airflow's OpenLineage provider reads those events (through the operator's
``get_openlineage_facets_on_complete``); without the provider installed, as in this
project's dependencies, they were computed and dropped. The producer skips them then, and
computes them as before when the provider is there.

Imported by ``dags/cdp_profiles.py`` (Cosmos is imported there anyway).
"""

from __future__ import annotations

import gc
import importlib.util
import json
import re
from collections.abc import Callable
from typing import Any

from cosmos.exceptions import CosmosDbtRunError
from cosmos.operators._watcher.base import _DBT_EVENT_ALLOWLIST
from cosmos.operators._watcher.state import is_dbt_node_status_success, xcom_set_lock
from cosmos.operators.local import DbtLocalBaseOperator
from cosmos.operators.watcher import (
    DbtProducerWatcherOperator,
    DbtRunWatcherOperator,
)

from cdp.dbt_model_tasks import _WATCHER_HOOKS, LEAN_WATCHERS, is_failed_event

# The lifecycle steps whose event a node's task never reads (it reads the finished one).
SKIPPED_STEPS = frozenset({"NodeStart", "NodeCompiling", "NodeExecuting"})
_MARKERS = tuple(f'"{step}"' for step in SKIPPED_STEPS)


def is_skipped_step(line: str) -> bool:
    """Whether a dbt JSON event line is one of :data:`SKIPPED_STEPS`.

    A substring test first: most of the build's events (SQL, connections, results) are
    passed on without a second JSON parse.
    """
    if not any(marker in line for marker in _MARKERS):
        return False
    try:
        name = json.loads(line).get("info", {}).get("name")
    except (json.JSONDecodeError, AttributeError):
        return False
    return name in SKIPPED_STEPS


# Debug-level dbt events Cosmos' parser reads; it reads every event above debug level.
READ_DEBUG_EVENTS = _DBT_EVENT_ALLOWLIST - SKIPPED_STEPS
_Callbacks = list[Callable[[Any], None]] | None
# Cosmos' per-build callback: converts each dbt event to JSON, then parses it.
_COSMOS_CALLBACK = f"{DbtProducerWatcherOperator.__name__}.run_dbt_runner.<locals>."


def is_unread_event(event: Any) -> bool:
    """Whether Cosmos' parser would drop the dbt event ``event`` (an ``EventMsg``) unread."""
    return event.info.level == "debug" and event.info.name not in READ_DEBUG_EVENTS


def _is_cosmos_callback(callback: Callable[[Any], None]) -> bool:
    return getattr(callback, "__qualname__", "").startswith(_COSMOS_CALLBACK)


def _read_events_only(callback: Callable[[Any], None]) -> Callable[[Any], None]:
    def call_for_read_events(event: Any) -> None:
        if not is_unread_event(event):
            callback(event)

    return call_for_read_events


class _ReadEventsOnlyRunner(DbtLocalBaseOperator):
    """Between Cosmos' producer and its base operator in :class:`FinishedEventsProducer`'s
    method order: where the callbacks the producer registered for a build reach dbt."""

    def run_dbt_runner(self, command: list[str], env: dict[str, str], cwd: str, **kwargs: Any):
        registered: _Callbacks = self._dbt_runner_callbacks  # type: ignore[has-type]
        filtered: _Callbacks = [
            _read_events_only(c) if _is_cosmos_callback(c) else c for c in registered or []
        ]
        self._dbt_runner_callbacks = filtered
        try:
            return super().run_dbt_runner(command, env, cwd, **kwargs)
        finally:
            self._dbt_runner_callbacks = registered


class FinishedEventsProducer(DbtProducerWatcherOperator, _ReadEventsOnlyRunner):
    """Cosmos' watcher producer whose parser skips a node's intermediate step events and
    whose dbt callback skips the events its parser does not read."""

    def _make_parse_callable(self) -> Callable[[str, Any], None]:
        parse = super()._make_parse_callable()

        def parse_decisive_events(line: str, extra_kwargs: Any) -> None:
            if is_skipped_step(line):
                return
            # what Cosmos logs and pushes to XCom, without the values a database error quotes
            line = without_quoted_values_in_line(line)
            context = extra_kwargs.get("context") if extra_kwargs else None
            if not (context and "ti" in context):
                parse(line, extra_kwargs)
                return
            ti = _ParserPushes(context["ti"])
            try:
                parse(line, {**extra_kwargs, "context": {**context, "ti": ti}})
            finally:
                ti.push_held()

        return parse_decisive_events

    def run_dbt_runner(self, command: list[str], env: dict[str, str], cwd: str, **kwargs: Any):
        # Everything alive before the build (Airflow, Cosmos, the DAG, the API's routes)
        # outlives it: frozen, it is left out of the full collections during the build
        # (dbt's own, and the gc.collect() Cosmos runs after it), which then walk what the
        # build allocates, as a bare build's do. Reference counting still frees it. After
        # the build the collector walks everything again, unless the process already kept
        # a frozen heap (airflow dags test: cdp.orchestration.freeze_heap_in_dags_test).
        frozen_before = gc.get_freeze_count()
        gc.freeze()
        try:
            return super().run_dbt_runner(command, env, cwd, **kwargs)
        finally:
            if not frozen_before:
                gc.unfreeze()

    def handle_exception_dbt_runner(self, result: Any) -> None:
        try:
            super().handle_exception_dbt_runner(result)
        except CosmosDbtRunError as error:  # it lists each failed node's database error
            raise CosmosDbtRunError(_QUOTED.sub("'…'", str(error))) from None

    def calculate_openlineage_events_completes(self, *args: Any, **kwargs: Any) -> bool:
        if not openlineage_provider_installed():
            return False  # nothing would read the events (Cosmos then skips them too)
        return super().calculate_openlineage_events_completes(*args, **kwargs)


# A successful model's XComs pushed inside its status (key suffix: field of the status).
MERGED_INTO_STATUS = {"_dbt_event": "dbt_event", "_compiled_sql": "compiled_sql"}


def _is_model_key(key: str) -> bool:
    """Whether ``key`` is a model node's status, event or compiled-SQL XCom key (not its
    tests' aggregated status)."""
    return (
        key.startswith("model__")
        and key.endswith(("_status", *MERGED_INTO_STATUS))
        and not key.endswith("_tests_status")
    )


def is_unread_key(key: str) -> bool:
    """Whether ``key`` is an XCom key no task reads unless its node failed: a dbt test's
    event (a model's task reads its tests' aggregated status), a unit test's or a hook's
    status and event (no task watches them)."""
    return (key.startswith("test__") and key.endswith("_dbt_event")) or key.startswith(
        ("unit_test__", "operation__")
    )


# a quoted literal in a database's error message: a row's value as often as not
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def without_quoted_values(event: Any) -> Any:
    """A dbt event (a dict) with every quoted literal of its messages replaced by ``'…'``.

    A failed node's message is the database's error, which may quote the row that failed
    ("Could not convert string 'jeanne.m@example.fr' to INT32"). Cosmos logs the event and
    pushes it to XCom: task logs and Airflow's metadata database, which forget cannot
    rewrite (docs/privacy.md). The node, its status and the error's words reach them, no
    value of a row."""
    if isinstance(event, dict):
        return {
            key: _QUOTED.sub("'…'", value)
            if key in ("msg", "message") and isinstance(value, str)
            else without_quoted_values(value)
            for key, value in event.items()
        }
    return event


def without_quoted_values_in_line(line: str) -> str:
    """A dbt JSON event line with :func:`without_quoted_values` applied (a substring test
    first: most lines quote nothing)."""
    if "'" not in line and '\\"' not in line:
        return line
    try:
        return json.dumps(without_quoted_values(json.loads(line)))
    except json.JSONDecodeError:
        return _QUOTED.sub("'…'", line)


class _ParserPushes:
    """The producer's task instance as its parser sees it, for one dbt event line.

    Every push passes but those of :func:`is_unread_key` for a node that passed (a model's
    task reads its tests' aggregated status, and a failed test's event to say which test
    failed and why). A model that finished with success gets one push where Cosmos makes three, its
    event, its status and its compiled SQL (an execution-API call and a SQLite commit each,
    and as many reads by the model's task): its status, with the event and the SQL inside
    (:data:`MERGED_INTO_STATUS`), which the model's task reads once
    (``cdp.dbt_model_tasks.read_finished_model``). A failed or skipped model's are pushed
    as Cosmos pushes them: an error event may follow and replace its event.
    """

    def __init__(self, ti: Any):
        self._ti = ti
        self._held: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ti, name)

    def xcom_push(self, key: str, value: Any, **kwargs: Any) -> None:
        if is_unread_key(key):
            if is_failed_event(value):
                self._ti.xcom_push(key=key, value=value, **kwargs)
        elif _is_model_key(key):
            self._held[key] = value  # pushed once the parser is done with the line
        else:
            self._ti.xcom_push(key=key, value=value, **kwargs)

    def push_held(self) -> None:
        """Push what the line held back: a successful model's status with its event and
        compiled SQL inside, anything else as it came."""
        held, self._held = self._held, {}
        for key, value in list(held.items()):
            node = key.removesuffix("_status")
            if (
                node != key
                and isinstance(value, dict)
                and is_dbt_node_status_success(value.get("status"))
            ):
                inside = {
                    f: held.pop(node + s) for s, f in MERGED_INTO_STATUS.items() if node + s in held
                }
                held[key] = {**value, **inside}
        with xcom_set_lock:  # Cosmos' lock around the pushes of dbt's threads
            for key, value in held.items():
                self._ti.xcom_push(key=key, value=value)


def openlineage_provider_installed() -> bool:
    """Whether Airflow's OpenLineage provider, the one reader of an operator's lineage
    events, is installed."""
    return importlib.util.find_spec("airflow.providers.openlineage") is not None


def report_finished_nodes_only(group: Any) -> None:
    """Make the watcher producer of the Cosmos task group ``group`` a
    :class:`FinishedEventsProducer`, and its model watchers :class:`LeanModelWatcher`.

    Cosmos builds these tasks itself from the execution mode, with no way to pass another
    class, so the built tasks' classes are replaced by the subclasses (they add no
    configuration). Fails with what to do when an upgraded Cosmos builds something else or
    no longer has the methods they override.
    """
    producers = [t for t in group if t.task_id.endswith(".dbt_producer_watcher")]
    hooks = hasattr(DbtProducerWatcherOperator, "_make_parse_callable") and all(
        hasattr(DbtRunWatcherOperator, name) for name in _WATCHER_HOOKS
    )
    if len(producers) != 1 or type(producers[0]) is not DbtProducerWatcherOperator or not hooks:
        found = [type(t).__name__ for t in producers]
        raise RuntimeError(
            f"expected one Cosmos DbtProducerWatcherOperator with _make_parse_callable, and "
            f"watchers with {', '.join(_WATCHER_HOOKS)}, in "
            f"task group {group.group_id!r}, found {found} (Cosmos upgraded?): check "
            f"cdp/dbt_watcher.py against cosmos.operators.watcher, or drop the "
            f"report_finished_nodes_only call from dags/cdp_profiles.py"
        )
    producers[0].__class__ = FinishedEventsProducer
    for task in group:
        lean = LEAN_WATCHERS.get(type(task))
        if lean is not None:
            task.__class__ = lean
