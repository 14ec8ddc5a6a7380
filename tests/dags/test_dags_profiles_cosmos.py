"""The profiles DAG renders each dbt model as its own tasks (Cosmos), on a tiny dbt project.

A two-model project stands in for dbt_project/ so the rendering rules are checked in
seconds with real dbt on a real DuckDB file; the project's own models run in tests/profiles_dbt
(and through this DAG in test_dags_end_to_end.py, slow). Checks and exports are replaced by
recorders here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dag_test_helpers import load_dags, task_states

import cdp.pipeline
from core.snapshot import open_snapshot, snapshot_path

PROJECT = {
    "dbt_project.yml": "name: tiny\nprofile: tiny\nversion: '1.0'\nmodel-paths: [models]\n",
    "profiles.yml": (
        "tiny:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n"
        "      path: \"{{ env_var('CDP_DUCKDB_PATH') }}\"\n      threads: 1\n"
    ),
    "models/customers.sql": "select 1 as customer_id union all select 2",
    "models/schema.yml": (
        "version: 2\nmodels:\n  - name: customers\n    columns:\n      - name: customer_id\n"
        "        data_tests: [unique, not_null]\n"
    ),
    # Reads a table the warehouse does not have yet: the bad input of this test.
    "models/orders.sql": "select * from main.source_orders",
}


def write_project(root: Path, files: dict[str, str], monkeypatch) -> Path:
    """Write a dbt project, point the DAG at it and write its manifest."""
    from cdp.airflow_env import write_dbt_manifest
    from core.settings import Settings

    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    monkeypatch.setenv("CDP_DBT_PROJECT_DIR", str(root))
    write_dbt_manifest(Settings())  # what `python -m cdp.airflow_env setup` does
    return root


@pytest.fixture
def tiny_project(dag_settings, tmp_path: Path, monkeypatch) -> Path:
    return write_project(tmp_path / "tiny_dbt", PROJECT, monkeypatch)


def test_a_failing_model_fails_alone_and_blocks_the_exports(
    dag_settings, tiny_project, monkeypatch
):
    import duckdb

    calls = []
    monkeypatch.setattr(cdp.pipeline, "check", lambda s, stage: calls.append(stage) or {})
    dag = load_dags().dags["cdp_profiles"]
    watchers = {"dbt.customers_run", "dbt.orders_run"}  # one task per model
    assert watchers <= set(dag.task_ids)
    for task in dag.tasks:  # one writer at a time; the tasks watching dbt's build write nothing
        if task.task_id in watchers:
            assert (task.pool, task.owner, task.retries) == ("default_pool", "data-platform", 0)
        elif task.task_id == "dbt.dbt_producer_watcher_done":  # Cosmos' no-op gate
            assert task.pool == "default_pool"
        elif task.task_id == "dbt.dbt_producer_watcher":  # the one dbt build; it never retries
            assert (task.pool, task.owner) == ("duckdb_writer", "data-platform")
        else:
            assert (task.pool, task.owner, task.retries) == ("duckdb_writer", "data-platform", 2)

    run = dag.test()

    states = task_states(run)
    assert states["dbt.customers_run"] == "success"  # built, and its two tests passed
    assert states["dbt.orders_run"] == "failed"
    assert states["publish"] == states["check_marts"] == "upstream_failed"
    assert calls == []
    assert not snapshot_path(dag_settings).exists()  # readers never see a half-built run
    with duckdb.connect(str(dag_settings.duckdb_path)) as con:
        assert con.execute("select count(*) from main.customers").fetchone() == (2,)

    # The operator fixes the input and re-runs: every model builds, checks and exports follow.
    with duckdb.connect(str(dag_settings.duckdb_path)) as con:
        con.execute("create table main.source_orders as select 1 as order_id")
    monkeypatch.setattr(cdp.pipeline, "export_golden_records", lambda s, mode: {"rows": 2})
    monkeypatch.setattr(cdp.pipeline, "export_audiences", lambda s: {"audiences": 1})

    rerun = dag.test()

    assert set(task_states(rerun).values()) == {"success"}
    assert calls == ["marts"]
    with open_snapshot(dag_settings) as snapshot:
        assert snapshot.execute("select count(*) from main.source_orders").fetchone() == (1,)
        [(run_id,)] = snapshot.execute("select run_id from ops.snapshot_info").fetchall()
    assert run_id == rerun.run_id


FAILING_TEST_PROJECT = {
    **PROJECT,
    # customer 1 twice: the model builds, its `unique` test fails
    "models/customers.sql": "select 1 as customer_id union all select 1 union all select 2",
    "models/orders.sql": "select customer_id, 10 as amount from {{ ref('customers') }}",
}


def test_a_failing_dbt_test_fails_its_models_task_by_name_and_stops_what_depends_on_it(
    dag_settings, tmp_path, monkeypatch, capfd
):
    """No task per dbt test: the tests run in the one build, and a failed one fails the task
    of the model it tests, which names it, while dbt skips the models built on it and the
    exports stay blocked."""
    write_project(tmp_path / "failing_test_dbt", FAILING_TEST_PROJECT, monkeypatch)
    calls = []
    monkeypatch.setattr(cdp.pipeline, "check", lambda s, stage: calls.append(stage) or {})
    dag = load_dags().dags["cdp_profiles"]
    assert not [t for t in dag.task_ids if t.endswith("test")]

    run = dag.test()

    states = task_states(run)
    assert states["dbt.dbt_producer_watcher"] == "failed"  # dbt build exits with the failure
    assert states["dbt.customers_run"] == "failed"  # built, but its unique test failed
    assert states["dbt.orders_run"] in ("failed", "upstream_failed")  # dbt skipped it
    assert states["publish"] == states["check_marts"] == "upstream_failed"
    assert calls == []
    assert not snapshot_path(dag_settings).exists()
    # the model task's error, in its log: the failed test and dbt's message, nothing else
    logged = "".join(capfd.readouterr())
    failure = logged[logged.index("model model.tiny.customers was built, but") :]
    failure = failure[: failure.index("Fix the data")]
    assert "1 of its 2 dbt tests did not pass" in failure
    assert "unique_customers_customer_id: fail: Got 1 result" in failure
    assert "not_null" not in failure  # the test that passed is not blamed
    import duckdb

    with duckdb.connect(str(dag_settings.duckdb_path)) as con:  # built, then tested
        assert con.execute("select count(*) from main.customers").fetchone() == (3,)
        tables = con.execute("select table_name from information_schema.tables").fetchall()
    assert ("orders",) not in tables


QUOTING_ERROR_PROJECT = {
    **PROJECT,
    # a row's value in the database's error: "Could not convert string '…' to INT32"
    "models/orders.sql": (
        "{{ config(materialized='table') }}\n"
        "select cast(customer_ref as integer) as customer_id from main.source_orders"
    ),
}


def _files_holding(root: Path, value: bytes, but: Path | None = None) -> list[Path]:
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and not (but and path.name.startswith(but.name))
        if value in path.read_bytes()
    ]


def test_a_failed_models_error_reaches_no_log_nor_file_with_the_value_it_quotes(
    dag_settings, tmp_path, monkeypatch, capfd
):
    """A database error may quote the row that failed. Cosmos logs it and raises it, in task
    logs and Airflow's metadata database, which forget cannot rewrite: the log says which
    model failed and why, with the value replaced by '…', and no file of Airflow's home, of
    the dbt project or of the data folder but the warehouse holds it."""
    import duckdb

    project = write_project(tmp_path / "quoting_dbt", QUOTING_ERROR_PROJECT, monkeypatch)
    monkeypatch.setattr(cdp.pipeline, "check", lambda s, stage: {})
    value = b"forget.me.7731@example.fr"
    with duckdb.connect(str(dag_settings.duckdb_path)) as con:
        con.execute(f"create table main.source_orders as select '{value.decode()}' as customer_ref")

    run = load_dags().dags["cdp_profiles"].test()

    states = task_states(run)
    assert states["dbt.dbt_producer_watcher"] == states["dbt.orders_run"] == "failed"
    logged = "".join(capfd.readouterr())
    assert value.decode() not in logged
    assert "Could not convert string '…' to INT32" in logged  # the error's words stay
    held = _files_holding(dag_settings.data_dir, value, but=dag_settings.duckdb_path)
    held += _files_holding(dag_settings.airflow_home, value) + _files_holding(project, value)
    assert held == []


def test_the_spark_engine_sends_the_dbt_build_to_the_configured_master(dag_settings, monkeypatch):
    """Configuration, not code: CDP_ENGINE=spark gives the dbt tasks the profile's spark
    target, with the master and the lake the profile reads (docs/scale.md)."""
    from cdp.airflow_env import write_dbt_manifest
    from core.settings import Settings

    write_dbt_manifest(Settings())
    monkeypatch.setenv("CDP_ENGINE", "spark")
    monkeypatch.setenv("CDP_SPARK_MASTER", "spark://127.0.0.1:7077")
    producer = load_dags().dags["cdp_profiles"].get_task("dbt.dbt_producer_watcher")

    assert producer.profile_config.target_name == "spark"
    assert producer.env["CDP_SPARK_MASTER"] == "spark://127.0.0.1:7077"
    assert producer.env["CDP_LAKE_URI"] == Settings().lake_uri


def test_the_dags_dbt_build_reuses_the_parse_written_at_setup(tiny_project, tmp_path):
    """dbt reuses a saved parse only when --profile and --target are the same, and Cosmos
    names both: the setup's `dbt parse` names them too, so the DAG's build, which starts
    from that saved parse, does not parse the whole project again."""
    import shutil

    from dbt.cli.main import dbtRunner

    profile = load_dags().dags["cdp_profiles"].get_task("dbt.dbt_producer_watcher").profile_config
    build_target = tmp_path / "build_target"  # what Cosmos copies into the build's project
    build_target.mkdir()
    shutil.copy(tiny_project / "target" / "partial_parse.msgpack", build_target)
    events = []

    listed = dbtRunner(callbacks=[lambda event: events.append(event.info.name)]).invoke(
        ["ls", "--project-dir", str(tiny_project), "--profiles-dir", str(tiny_project)]
        + ["--profile", profile.profile_name, "--target", profile.target_name]
        + ["--target-path", str(build_target), "--log-path", str(tmp_path), "--quiet"]
    )

    assert listed.success
    assert "PartialParsingSkipParsing" in events
    assert "UnableToPartialParse" not in events


class RecordingTaskInstance:
    """What the producer's parser pushes to XCom, in order."""

    def __init__(self):
        self.pushed = []
        self.values = {}

    def xcom_push(self, key, value):
        self.pushed.append((key, value.get("status") if isinstance(value, dict) else value))
        self.values[key] = value

    def xcom_pull(self, *args, **kwargs):
        return None


def test_the_dbt_build_pushes_a_node_event_once_the_node_finished(tiny_project, monkeypatch):
    """The DAG's producer run through Cosmos' own dbt-runner path (its event callback, the
    protobuf-to-JSON step, its parser) with real dbt events of one model's four steps, its
    start line and one SQL statement: only the finished event (the node's times and message,
    what its task logs) and the status reach XCom, in one push (the event inside the
    status), and only the events Cosmos reads are turned into JSON. dbt's execution alone
    is replaced, by the events it would fire."""
    import cosmos.dbt.runner
    import google.protobuf.json_format
    from dbt.adapters.events.types import SQLQuery
    from dbt.events import types
    from dbt_common.events.base_types import msg_from_base_event

    from cdp.dbt_watcher import FinishedEventsProducer

    producer = load_dags().dags["cdp_profiles"].get_task("dbt.dbt_producer_watcher")
    assert isinstance(producer, FinishedEventsProducer)

    node = {"unique_id": "model.tiny.loose", "resource_type": "model"}
    steps = [
        (types.NodeStart, "started", {}),
        (types.LogStartLine, "started", {"description": "model loose", "index": 1, "total": 1}),
        (types.NodeCompiling, "compiling", {}),
        (types.NodeExecuting, "executing", {}),
        (SQLQuery, "executing", {"conn_name": "loose", "sql": "create table loose as select 1"}),
        (types.NodeFinished, "success", {}),
    ]

    def fire_events(command, env, cwd, callbacks=None, **kwargs):
        for event_type, status, fields in steps:
            event = event_type(node_info={**node, "node_status": status}, **fields)
            for callback in callbacks:
                callback(msg_from_base_event(event))
        return "built"

    to_json = google.protobuf.json_format.MessageToJson
    converted = []

    def recording_to_json(event, **kwargs):
        converted.append(event.info.name)
        return to_json(event, **kwargs)

    monkeypatch.setattr(cosmos.dbt.runner, "run_command", fire_events)
    monkeypatch.setattr(google.protobuf.json_format, "MessageToJson", recording_to_json)
    ti = RecordingTaskInstance()

    assert producer.run_dbt_runner(["dbt", "build"], {}, ".", context={"ti": ti}) == "built"
    assert ti.pushed == [("model__tiny__loose_status", "success")]
    pushed = ti.values["model__tiny__loose_status"]
    assert pushed["dbt_event"]["status"] == "success" and pushed["outlet_uris"] == []
    assert converted == ["LogStartLine", "NodeFinished"]


def test_a_failed_nodes_event_reaches_xcom_without_the_values_its_error_quotes(
    tiny_project, monkeypatch
):
    """A database error may quote the row that failed; the event goes to Airflow's metadata
    database, which forget cannot rewrite: the node, its status and the error's words reach
    XCom, not the value. Cosmos' own dbt-runner path and parser, a real dbt event."""
    import cosmos.dbt.runner
    from dbt.events import types
    from dbt_common.events.base_types import msg_from_base_event

    producer = load_dags().dags["cdp_profiles"].get_task("dbt.dbt_producer_watcher")
    error = (
        "Runtime Error in model loose (models/loose.sql)\n  Conversion Error: Could not "
        "convert string 'jeanne.m@example.fr' to INT32 in column \"email\""
    )

    def fire_events(command, env, cwd, callbacks=None, **kwargs):
        node = {"unique_id": "model.tiny.loose", "resource_type": "model", "node_status": "error"}
        event = types.NodeFinished(node_info=node, run_result={"status": "error", "message": error})
        for callback in callbacks:
            callback(msg_from_base_event(event))
        return "failed"

    monkeypatch.setattr(cosmos.dbt.runner, "run_command", fire_events)
    pushed = {}

    class Recording(RecordingTaskInstance):
        def xcom_push(self, key, value):
            pushed[key] = value

    producer.run_dbt_runner(["dbt", "build"], {}, ".", context={"ti": Recording()})

    event = pushed["model__tiny__loose_dbt_event"]
    assert event["status"] == "error"
    assert "Could not convert string '…' to INT32" in event["msg"]
    assert "jeanne" not in str(pushed)


def test_a_models_tests_reach_xcom_as_their_aggregate_only(tiny_project, monkeypatch):
    """Each finished dbt test counts towards its model's aggregated tests status, which the
    model's task reads; the tests' own events, and a passing unit test's or hook's status
    and event, which no task reads, are not pushed; a failed unit test's are. Cosmos' own
    dbt-runner path and parser, real dbt events; dbt's execution replaced."""
    import cosmos.dbt.runner
    from dbt.events import types
    from dbt_common.events.base_types import msg_from_base_event

    producer = load_dags().dags["cdp_profiles"].get_task("dbt.dbt_producer_watcher")
    [(model, tests)] = [(m, t) for m, t in producer.tests_per_model.items() if "customers" in m]
    assert len(tests) == 2  # unique and not_null

    others = [
        ("operation.tiny.tiny-on-run-start-0", "operation", "success"),
        ("unit_test.tiny.customers.two_rows", "unit_test", "pass"),
        ("unit_test.tiny.customers.no_nulls", "unit_test", "fail"),
    ]

    def fire_events(command, env, cwd, callbacks=None, **kwargs):
        finished = [(test, "test", "pass") for test in tests] + others
        for unique_id, resource_type, status in finished:
            node = {"unique_id": unique_id, "resource_type": resource_type, "node_status": status}
            for callback in callbacks:
                callback(msg_from_base_event(types.NodeFinished(node_info=node)))
        return "built"

    monkeypatch.setattr(cosmos.dbt.runner, "run_command", fire_events)
    ti = RecordingTaskInstance()

    producer.run_dbt_runner(["dbt", "build"], {}, ".", context={"ti": ti})

    assert ti.pushed == [
        (f"{model.replace('.', '__')}_tests_status", "pass"),
        ("unit_test__tiny__customers__no_nulls_dbt_event", "fail"),
        ("unit_test__tiny__customers__no_nulls_status", "fail"),
    ]


def test_the_dbt_build_runs_with_the_heap_alive_before_it_out_of_its_collections(
    tiny_project, monkeypatch
):
    """The objects alive when the producer starts dbt (Airflow, Cosmos, the DAG) are in the
    permanent generation while dbt runs, so the build's full collections and the one Cosmos
    runs after it walk what the build allocates only; afterwards the collector walks them
    again (nothing stays frozen in a scheduler's task, the demo or here). Cosmos' own
    dbt-runner path; dbt's execution replaced by a probe of the collector's generations."""
    import gc

    import cosmos.dbt.runner

    producer = load_dags().dags["cdp_profiles"].get_task("dbt.dbt_producer_watcher")
    before_build = [[i] for i in range(10_000)]  # lists the collector tracks
    seen = {}

    def walked(objects: list) -> int:
        """How many of ``objects`` a full collection walks (the frozen ones it does not)."""
        tracked = {id(o) for o in gc.get_objects()}
        return sum(id(o) in tracked for o in objects)

    def probe(command, env, cwd, callbacks=None, **kwargs):
        seen["walked"] = walked(before_build)
        return "built"

    monkeypatch.setattr(cosmos.dbt.runner, "run_command", probe)
    gc.unfreeze()
    assert walked(before_build) == 10_000
    producer.run_dbt_runner(["dbt", "build"], {}, ".", context={"ti": RecordingTaskInstance()})

    assert seen == {"walked": 0}
    assert walked(before_build) == 10_000 and gc.get_freeze_count() == 0


def test_a_cosmos_without_the_expected_producer_fails_the_dag_import_with_what_to_do():
    from airflow.sdk import DAG, TaskGroup

    from cdp.dbt_watcher import report_finished_nodes_only

    with DAG("no_producer"), pytest.raises(RuntimeError, match="Cosmos upgraded.*dbt_watcher"):
        report_finished_nodes_only(TaskGroup(group_id="dbt"))


class WatchingTaskInstance:
    """A model task's view of the build: the producer's XComs, and the keys it asked for."""

    dag_id = "cdp_profiles"

    def __init__(self, xcoms: dict, try_number: int = 1):
        self.xcoms = xcoms
        self.try_number = try_number
        self.pulled: list[str] = []

    def xcom_pull(self, task_ids=None, key=None, **kwargs):
        self.pulled.append(key)
        return self.xcoms.get(key)


def test_a_model_task_asks_for_the_producers_state_only_when_its_status_is_not_in(
    tiny_project, monkeypatch
):
    """Cosmos' own poke on the DAG's model task: once the build reported the model, the task
    reads its status, event and its tests' aggregated status and succeeds without asking the
    execution API for the producer's state or the build's start-up events (logged at debug
    only); with no status yet, or on a retry, it asks for the state as Cosmos does."""
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance
    from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key
    from cosmos.operators._watcher.state import (
        get_compiled_sql_xcom_key,
        get_dbt_event_xcom_key,
        get_status_xcom_key,
    )

    from cdp.dbt_model_tasks import LeanModelWatcher

    states_asked = []

    def task_states(**kwargs):
        states_asked.append(kwargs["task_ids"])
        return {"run": {kwargs["task_ids"][0]: "running"}}

    monkeypatch.setattr(RuntimeTaskInstance, "get_task_states", task_states)
    task = load_dags().dags["cdp_profiles"].get_task("dbt.customers_run")
    assert isinstance(task, LeanModelWatcher)
    status, sql, event, tests = (
        key(task.model_unique_id)
        for key in (
            get_status_xcom_key,
            get_compiled_sql_xcom_key,
            get_dbt_event_xcom_key,
            get_tests_status_xcom_key,
        )
    )
    finished = {status: {"status": "success", "outlet_uris": []}, tests: "pass"}

    ti = WatchingTaskInstance(finished)
    assert task.poke({"ti": ti, "run_id": "run"}) is True
    assert (ti.pulled, states_asked) == ([status, sql, event, tests], [])

    ti = WatchingTaskInstance({})
    assert task.poke({"ti": ti, "run_id": "run"}) is False
    assert states_asked == [["dbt.dbt_producer_watcher"]]

    ti = WatchingTaskInstance(finished, try_number=2)
    assert task.poke({"ti": ti, "run_id": "run"}) is True
    assert len(states_asked) == 2

    # the model reported, its tests not all: the task does not pass it as tested
    ti = WatchingTaskInstance({status: finished[status]})
    with pytest.raises(Exception, match="did not report all of its 2 dbt tests"):
        task.poke({"ti": ti, "run_id": "run"})


def test_a_model_task_reads_what_the_build_reported_once_and_sends_its_sql_before_it_runs(
    tiny_project, tmp_path, monkeypatch
):
    """The build, through Cosmos' own dbt-runner path and parser, reports a model that
    finished (its event, status and compiled SQL, read from the build's target folder) in
    one XCom; the model's task reads it once, as Airflow renders its fields, so that its
    compiled SQL is in the rendered fields Airflow sends before the task runs, and its poke
    logs the event and succeeds reading only its tests' aggregated status besides: no second
    rendered-fields write. dbt's execution is replaced by the event it would fire."""
    import cosmos.dbt.runner
    from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key
    from dbt.events import types
    from dbt_common.events.base_types import msg_from_base_event

    dag = load_dags().dags["cdp_profiles"]
    producer, task = dag.get_task("dbt.dbt_producer_watcher"), dag.get_task("dbt.customers_run")
    sql = "select 1 as customer_id union all select 2"
    compiled = tmp_path / "build" / "target" / "compiled" / "tiny" / "models" / "customers.sql"
    compiled.parent.mkdir(parents=True)
    compiled.write_text(sql)

    def fire_events(command, env, cwd, callbacks=None, **kwargs):
        node = {
            "unique_id": task.model_unique_id,
            "resource_type": "model",
            "node_status": "success",
            "node_path": "customers.sql",
        }
        for callback in callbacks:
            callback(msg_from_base_event(types.NodeFinished(node_info=node)))
        return "built"

    monkeypatch.setattr(cosmos.dbt.runner, "run_command", fire_events)
    built = RecordingTaskInstance()
    producer.run_dbt_runner(["dbt", "build"], {}, str(tmp_path / "build"), context={"ti": built})
    [status_key] = built.values
    assert built.values[status_key]["compiled_sql"] == sql

    tests_key = get_tests_status_xcom_key(task.model_unique_id)
    ti = WatchingTaskInstance({**built.values, tests_key: "pass"})
    task.render_template_fields({"ti": ti})
    assert task.compiled_sql == sql and ti.pulled == [status_key]

    assert task.poke({"ti": ti, "run_id": "run"}) is True
    assert ti.pulled == [status_key, tests_key]
    assert not task.overwrite_rtif_after_execution
