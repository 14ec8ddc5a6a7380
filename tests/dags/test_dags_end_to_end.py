"""The real DAGs on real stages: generated exports → raw → identity → marts → exports.

Each DAG runs with dag.test() in this process, on a temporary data folder, in the order the
asset triggers chain them (dag.test() does not trigger consumers: the test runs each one).

The 300-person flow (ingestion, identity twice, profiles through Cosmos, forget) is one
scenario whose steps share a warehouse: it is `slow` as a whole (about two minutes on a quiet
machine, the profiles DAG alone 48 s). `make test` keeps each part touched by faster tests:
the real ingestion DAG with real stages below (bad export then fix), the orchestration rules
in test_dags_mechanics.py, the real profiles DAG under Cosmos in test_dags_profiles_cosmos.py,
identity in tests/identity, forget everywhere in tests/privacy.
"""

from __future__ import annotations

import pytest
from dag_test_helpers import asset_events, fast_retry_config, load_dags, task_states

from cdp.orchestration import IDENTITY_ASSET_URI, SOURCES, raw_asset_uri
from core.settings import Settings
from core.snapshot import open_snapshot
from core.warehouse import connect

PEOPLE = 300


def _stage_ready(module: str, name: str) -> bool:
    import importlib

    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


needs_stages = pytest.mark.skipif(
    not all(
        _stage_ready(m, n)
        for m, n in [
            ("sample_data", "generate"),
            ("ingestion", "ingest"),
            ("identity", "resolve"),
            ("expectations", "run_checks"),
        ]
    ),
    reason="a stage package the DAGs call has not landed yet",
)


def _count(settings: Settings, sql: str) -> int:
    with connect(settings) as con:
        return con.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def flow(tmp_path_factory, airflow_db):
    """Generated exports in a temporary data folder, and the DAGs parsed against it."""
    from sample_data import generate

    settings = Settings(data_dir=tmp_path_factory.mktemp("flow") / "data", airflow_home=airflow_db)
    settings.ensure_dirs()
    with pytest.MonkeyPatch.context() as patch:
        from cdp.airflow_env import settings_env

        for name, value in settings_env(settings).items():
            patch.setenv(name, value)
        generate(settings, people=PEOPLE, seed=7, batches=2)
        yield settings, load_dags().dags


@pytest.mark.slow
@needs_stages
def test_ingestion_dags_load_each_source_once_and_announce_it(flow):
    settings, dags = flow
    for source in SOURCES:
        before = len(asset_events(raw_asset_uri(source)))
        run = dags[f"cdp_ingest_{source}"].test()
        assert set(task_states(run).values()) == {"success"}, source
        assert len(asset_events(raw_asset_uri(source))) == before + 1, source
    ledger = "select count(*) from ops.load_ledger where status = 'loaded'"
    loaded = _count(settings, ledger)
    assert loaded == sum(1 for _ in settings.landing_dir.rglob("*.*"))
    assert _count(settings, "select count(*) from raw.pos__receipt_lines") > PEOPLE

    again = dags["cdp_ingest_pos"].test()

    assert task_states(again)["announce"] == "skipped"
    assert _count(settings, ledger) == loaded


@pytest.mark.slow
@needs_stages
def test_identity_dag_gives_every_record_one_customer(flow):
    settings, dags = flow
    before = len(asset_events(IDENTITY_ASSET_URI))

    run = dags["cdp_identity"].test()

    assert set(task_states(run).values()) == {"success"}
    assert len(asset_events(IDENTITY_ASSET_URI)) == before + 1
    records = _count(settings, "select count(*) from identity.identity_records")
    members = _count(settings, "select count(distinct record_id) from identity.customer_records")
    assert records == members > 0
    customers = _count(settings, "select count(*) from identity.customers where not is_anonymous")
    assert 0.5 * PEOPLE < customers < 2 * PEOPLE


@pytest.mark.slow
@needs_stages
def test_identity_rerun_on_unchanged_data_rebuilds_nothing(flow):
    settings, dags = flow
    before = len(asset_events(IDENTITY_ASSET_URI))

    run = dags["cdp_identity"].test()

    assert task_states(run)["resolve"] == "success"
    assert task_states(run)["announce"] == "skipped"  # no event: the profiles DAG does not run
    assert len(asset_events(IDENTITY_ASSET_URI)) == before
    last = "select changed_customers from identity.runs order by finished_at desc limit 1"
    assert _count(settings, last) == 0


@pytest.mark.slow
@needs_stages
@pytest.mark.skipif(
    not _stage_ready("profiles", "build_profiles"), reason="dbt project not landed yet"
)
def test_profiles_dag_builds_the_marts_and_exports_them(flow):
    settings, dags = flow

    run = dags["cdp_profiles"].test()

    assert set(task_states(run).values()) == {"success"}
    for mart in ("customer_profile", "customer_segments", "customer_timeline"):
        assert _count(settings, f"select count(*) from marts.{mart}") > 0, mart
    profiles = _count(settings, "select count(*) from marts.customer_profile")
    assert profiles == _count(
        settings, "select count(*) from identity.customers where is_active and not is_anonymous"
    )
    assert list((settings.export_dir / "golden_records").glob("*/manifest.json"))
    assert list((settings.export_dir / "audiences").glob("*/manifest.json"))
    with open_snapshot(settings) as snapshot:  # what readers see: this run, whole
        assert snapshot.execute("select run_id from ops.snapshot_info").fetchone() == (run.run_id,)
        assert snapshot.execute("select count(*) from marts.customer_profile").fetchone() == (
            profiles,
        )
        schemas = {
            name
            for (name,) in snapshot.execute(
                "select schema_name from duckdb_schemas() where database_name = current_database()"
            ).fetchall()
        }
    assert {"marts", "identity", "ops"} <= schemas
    assert not schemas & {"raw", "staging", "intermediate"}  # the sources' lines stay behind


POS_HEADER = (
    "CODE_MAGASIN;NUM_TICKET;NUM_LIGNE;DATE_HEURE;CODE_ARTICLE;LIBELLE_ARTICLE;FAMILLE;QUANTITE;"
    "PRIX_UNITAIRE;REMISE;PRIX_ACHAT;MODE_PAIEMENT;NUM_CARTE_FIDELITE;NOM_CLIENT;PRENOM_CLIENT;"
    "EMAIL_CLIENT;TEL_CLIENT;CP_CLIENT;VILLE_CLIENT;DATE_NAISSANCE_CLIENT;OPTIN_EMAIL;OPTIN_SMS"
)


def _pos_file(path, receipts: range, drop_column: str | None = None) -> None:
    header = POS_HEADER.split(";")
    rows = [
        [
            "M012",
            f"T{r:06d}",
            "1",
            "03/02/2024 10:15",
            "SKU0001",
            "Pain",
            "Boulangerie",
            "1",
            "2,50",
            "0,00",
            "",
            "CB",
        ]
        + [""] * 10
        for r in receipts
    ]
    if drop_column:
        index = header.index(drop_column)
        header.pop(index)
        for row in rows:
            row.pop(index)
    lines = [";".join(header)] + [";".join(row) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


@pytest.mark.skipif(
    not _stage_ready("expectations", "run_checks"), reason="raw checks not landed yet"
)
def test_bad_export_fails_the_run_after_the_good_one_is_announced_and_the_fix_loads_once(
    dag_settings, tmp_path, monkeypatch
):
    """Issue #20 item 10: the file committed beside a failed one still reaches identity."""
    monkeypatch.setenv("CDP_ORCHESTRATION_CONFIG_PATH", str(fast_retry_config(tmp_path)))
    landing = dag_settings.landing_dir / "pos"
    _pos_file(landing / "pos_receipts_20240203.csv", range(1, 4))  # 3 good lines
    broken = landing / "pos_receipts_20240204.csv"
    _pos_file(broken, range(4, 6), drop_column="NUM_TICKET")
    dag = load_dags().dags["cdp_ingest_pos"]
    before = len(asset_events(raw_asset_uri("pos")))

    failed = dag.test()

    assert str(failed.state) == "failed"
    states = task_states(failed)
    assert {k: states[k] for k in ("ingest", "check_raw", "announce")} == {
        "ingest": "success",
        "check_raw": "success",
        "announce": "success",
    }
    report = failed.get_task_instance("report_failures")
    assert (str(report.state), report.try_number) == ("failed", 1)  # no retries on bad input
    events = asset_events(raw_asset_uri("pos"))
    assert len(events) == before + 1  # identity is triggered for the 3 rows committed
    assert events[-1]["extra"]["files_loaded"] == 1
    assert events[-1]["extra"]["rows_accepted"] == 3
    assert events[-1]["extra"]["files_failed"] == 1
    error = _count(
        dag_settings,
        "select count(*) from ops.load_ledger where status = 'failed' "
        "and file_path like '%pos_receipts_20240204.csv' and error like '%NUM_TICKET%'",
    )
    assert error == 1
    assert _count(dag_settings, "select count(*) from raw.pos__receipt_lines") == 3

    _pos_file(broken, range(4, 6))  # the retailer re-sends the file, fixed
    rerun = dag.test()

    assert set(task_states(rerun).values()) == {"success"}
    lines = "select count(*), count(distinct receipt_id) from raw.pos__receipt_lines"
    with connect(dag_settings) as con:
        assert con.execute(lines).fetchone() == (5, 5)


def _literal(text: str) -> str:
    return "'" + text.lower().replace("'", "''") + "'"


@pytest.mark.slow
@needs_stages
@pytest.mark.skipif(
    not _stage_ready("privacy.erase", "forget"), reason="privacy commands not landed yet"
)
def test_forget_after_the_whole_pipeline_leaves_no_trace_anywhere(flow):
    """Erasure reaches raw, quarantine, identity (guards, decisions, reviews), marts, exports,
    and no byte of the data folder or of Airflow's home (its metadata database, where the
    tasks' XComs and asset events stay, and its logs) holds any form of the person's
    identifiers: forget cannot rewrite Airflow's database, so nothing personal may reach it."""
    from privacy_scan import byte_scan, identifier_forms

    from core.identifiers import configured_email_rules, phone_key_sql
    from privacy.erase import forget

    settings, _ = flow
    with connect(settings) as con:
        customer_id, email, phone, first, last = con.execute(
            "select customer_id, email, phone, first_name, last_name from marts.golden_records "
            "where email is not null and phone is not null and length(last_name) > 3 "
            "order by customer_id limit 1"
        ).fetchone()
    phone_key = phone[-9:]
    forms = identifier_forms(
        settings, customer_id, configured_email_rules(settings.identity_config_path)
    )
    sources_own = ("landing", "truth")  # the sources' own files (docs/privacy.md, limits)
    assert byte_scan(settings.data_dir, forms, sources_own)  # the scan sees them before

    forget(settings, email)

    traces = []
    with connect(settings) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns c "
            "join information_schema.tables t using (table_catalog, table_schema, table_name) "
            "where t.table_type = 'BASE TABLE' and data_type = 'VARCHAR' "
            "and table_catalog = current_database()"
        ).fetchall()
        for schema, table, column in columns:
            quoted = f'"{schema}"."{table}"'
            value = f'lower("{column}")'
            phone_value = phone_key_sql(f'"{column}"')
            # literals, not parameters: DuckDB 2.0 fails to bind some of these with `?`
            found = con.execute(
                f"select count(*) from {quoted} where contains({value}, {_literal(email)}) "
                f"or {phone_value} = {_literal(phone_key)} "
                f"or (contains({value}, {_literal(first)}) and contains({value}, {_literal(last)}))"
            ).fetchone()[0]
            if found:
                traces.append(f"{schema}.{table}.{column}: {found}")
        for path in settings.export_dir.rglob("*.*"):
            if path.suffix == ".parquet":
                text = (
                    con.execute(
                        "select string_agg(to_json(t)::varchar, chr(10)) "
                        f"from read_parquet('{path}') t"
                    ).fetchone()[0]
                    or ""
                )
            else:
                text = path.read_text(encoding="utf-8")
            if email.lower() in text.lower() or phone in text:
                traces.append(str(path))
    with open_snapshot(settings) as snapshot:  # readers' copy republished without the person
        [(left,)] = snapshot.execute(
            "select count(*) from marts.golden_records where lower(email) = ?", [email.lower()]
        ).fetchall()
    assert (traces, left) == ([], 0)
    assert byte_scan(settings.data_dir, forms, sources_own) == []
    assert byte_scan(settings.airflow_home, forms, ()) == []
