"""Training and resolution runs: records -> links -> clusters -> stable ids -> golden records.

Everything is computed in temporary tables first; the `identity.*` tables are replaced in
one transaction at the end, so a failed run leaves the previous state untouched.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.warehouse import scalar
from identity import (
    _cluster,
    _decisions,
    _ids,
    _links,
    _model,
    _persist,
    _review,
    _scoring,
    _stability,
    _training,
)
from identity._backend import SplinkTables
from identity._config import IdentityConfig, for_run, load_identity_config, load_identity_mappings
from identity._records import RECORDS, REREAD, extract_records, standardisation_nulls

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)


class _Stages:
    """Wall time per stage, for the run summary and the benchmark."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        yield
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 3)


def model_path(settings: Settings, config: IdentityConfig) -> Path:
    return settings.model_dir / config.model_file


def train(settings: Settings, labels: Path | None = None) -> dict[str, Any]:
    """Retrain the matching model on the current identity records and save it; with
    ``labels`` (pairs or clusters, ``_labels``) and the stewards' stored decisions, m from
    the labelled matches and the threshold from the labelled precision-recall curve."""
    from core.warehouse import connect
    from identity import _labels

    config = for_run(load_identity_config(settings.identity_config_path), settings)
    mappings = load_identity_mappings(settings.sources_dir)
    path = model_path(settings, config)
    with connect(settings) as con:
        extract_records(con, mappings, config)
        labelled = 0
        if labels is not None:
            sql = _scoring.model_records_sql()
            labelled = _labels.load_labels(con, labels, settings, config, sql)
        with SplinkTables(con, settings) as splink:
            records = _scoring.all_records(splink, config)
            _training.train_model(splink, records, config, path, labelled=labelled > 0)
            count = splink.rows(records)
    meta = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
    return {
        "model_path": str(path),
        "records": count,
        "labelled_pairs": labelled,
        "labels": meta.get("labels"),
    }


def resolve(settings: Settings, full: bool = False, approve_churn: bool = False) -> dict[str, Any]:
    """Resolve identities into customers; incremental unless `full` or no previous run.

    Raises ChurnGateError, writing nothing, when the run changes more customer ids than
    config `stability` allows, unless `approve_churn`.
    """
    from core.warehouse import connect

    config = for_run(load_identity_config(settings.identity_config_path), settings)
    full = full or bool(config.link_only)  # a link-only run compares the two files whole
    mappings = load_identity_mappings(settings.sources_dir)
    run_id = settings.run_id or "identity-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    started_at = datetime.now(UTC).replace(tzinfo=None)
    stage = _Stages()
    path = model_path(settings, config)
    with connect(settings) as con:
        with stage("standardise"):
            has_previous = _persist.load_previous(con)
            record_count = extract_records(
                con, mappings, config, reuse_previous=has_previous and not full
            )
            _decisions.ensure_tables(con)
            reread = scalar(con, f"select n from {REREAD}")
            nulled = standardisation_nulls(con)
        mode = "incremental" if has_previous and not full else "full"
        if mode == "incremental" and _retrained_since_last_run(con, path):
            log.info("the model was retrained since the last run: re-resolving everything")
            mode = "full"
        with SplinkTables(con, settings) as splink:
            with stage("train"):
                model = None
                if not path.exists():
                    records = _scoring.all_records(splink, config)
                    if splink.rows(records) >= 2:
                        log.info("no saved model at %s: training one now", path)
                        _training.train_model(splink, records, config, path)
                    else:
                        log.warning("fewer than two identified records: nothing to match")
                if path.exists():
                    model = _training.load_model(path, config, splink.dialect)
                    config = _training.with_labelled_threshold(config, path)
                    _training.warn_if_outgrown(con, path, config)
            with stage("predict"):
                rescored = _scoring.score(con, splink, model, config, mode)
            with stage("cluster"):
                _cluster_and_assign(con, splink, config, run_id, mode)
                splink.close()  # Splink's tables are no longer needed: free them before persist
                stability = _stability.compute(con, run_id, mode, config)
                gate = _stability.gate(con, stability, approve_churn)
        with stage("persist"):
            counts = _persist.write_run(con, config, run_id, mode, started_at)
            _stability.record(con, stability, gate, approve_churn)
            _review.persist_review(con, run_id, mode)
            con.execute(
                f"insert into identity.runs by name select '{run_id}' as run_id, "
                f"'{mode}' as mode, ?::timestamp as started_at, "
                f"?::timestamp as finished_at, {record_count} as record_count, "
                f"{rescored} as scored_record_count, ? as model_path, "
                f"{config.match_threshold} as match_threshold, ? as stage_seconds, "
                + ", ".join(f"{v} as {k}" for k, v in counts.items()),
                [
                    started_at,
                    datetime.now(UTC).replace(tzinfo=None),
                    str(path),
                    json.dumps(stage.seconds),
                ],
            )
        if settings.engine == "spark":
            from core import lake

            with stage("lake"):  # what the marts' Spark target reads (docs/scale.md)
                lake.export_identity(con, settings)
    if counts["oversized_customers"]:
        log.warning(
            "%d customers hold more than %d records and are flagged is_oversized; "
            "review them (identity.customers) before trusting their golden records",
            counts["oversized_customers"],
            config.max_cluster_size,
        )
    summary = {
        "run_id": run_id,
        "mode": mode,
        "records": record_count,
        "reread_records": reread,
        "scored_records": rescored,
        **counts,
        "changed_share": stability["changed_share"],
        "churn_gate": gate,
        "stage_seconds": stage.seconds,
        "standardisation_nulled": nulled,
    }
    log.info("identity run %s (%s): %s", run_id, mode, summary)
    return summary


def _retrained_since_last_run(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Links scored by an older model should not survive a retrain."""
    last = scalar(con, "select max(finished_at) from identity.runs")
    if last is None or not path.exists():
        return False
    trained_at = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    return trained_at > last


def _scope(con: duckdb.DuckDBPyConnection, mode: str) -> None:
    """Which records to re-cluster: all on a full run; on an incremental run the customers
    touched by new, changed or removed records and by the edges reaching them."""
    present = f"select record_id from {RECORDS}"
    if mode == "full":
        con.execute(f"create or replace temp table _identity_scope_records as {present}")
        con.execute(
            f"create or replace temp table {_ids.SCOPE_CUSTOMERS} as "
            f"select customer_id from {_ids.PREV_CUSTOMERS} where is_active"
        )
    else:
        con.execute(f"""
create or replace temp table _identity_seeds as
select record_id from _identity_rescored
union select record_id from {_ids.PREVIOUS} where record_id not in ({present})""")
        con.execute(f"""
create or replace temp table {_ids.SCOPE_CUSTOMERS} as
with touched as (
  select record_id from _identity_seeds
  union select record_id_r from _identity_edges where record_id_l in (select * from _identity_seeds)
  union select record_id_l from _identity_edges where record_id_r in (select * from _identity_seeds)
)
select distinct customer_id from {_ids.PREVIOUS} where record_id in (select * from touched)""")
        con.execute(f"""
create or replace temp table _identity_scope_records as
select record_id from {_ids.PREVIOUS} where customer_id in (select * from {_ids.SCOPE_CUSTOMERS})
  and record_id in ({present})
union select record_id from _identity_rescored""")
        leaks = scalar(
            con,
            """select count(*) from _identity_edges
where (record_id_l in (select * from _identity_scope_records))
   <> (record_id_r in (select * from _identity_scope_records))""",
        )
        if leaks:
            log.warning("%d links cross the incremental scope; re-clustering everything", leaks)
            _scope(con, "full")
            return
    con.execute(
        f"create or replace temp table {_ids.PREVIOUS_SCOPE} as select * from "
        f"{_ids.PREVIOUS} where record_id in (select * from _identity_scope_records)"
    )


def _cluster_and_assign(
    con: duckdb.DuckDBPyConnection,
    splink: SplinkTables,
    config: IdentityConfig,
    run_id: str,
    mode: str,
) -> None:
    kept = ""
    if mode == "incremental":
        # Links between unchanged records still hold; changed records were re-scored.
        kept = f"""union all
select {_links.LINK_COLUMNS} from identity.links
where link_type = 'probabilistic'
  and record_id_l in (select record_id from {RECORDS})
  and record_id_r in (select record_id from {RECORDS})
  and record_id_l not in (select record_id from _identity_rescored)
  and record_id_r not in (select record_id from _identity_rescored)"""
    con.execute(f"""
create or replace temp table _identity_edges as
{_links.deterministic_links_sql()}
union all select {_links.LINK_COLUMNS} from {_links.ACCEPTED}
{kept}
union all select * from ({_decisions.must_link_edges_sql()})""")
    _decisions.add_cannot_links(con)
    _scope(con, mode)
    in_scope = (
        "where record_id_l in (select * from _identity_scope_records)"
        if mode == "incremental"
        else ""  # a full run's scope is every record
    )
    con.execute(
        "create or replace temp table _identity_scope_edges as select record_id_l, record_id_r, "
        f"match_probability from _identity_edges {in_scope}"
    )
    # Records without any link are their own cluster: only linked ones go to the graph solver.
    linked = (
        "select record_id_l as record_id from _identity_scope_edges "
        "union select record_id_r from _identity_scope_edges"
    )
    if scalar(con, "select count(*) from _identity_scope_edges"):
        components = _model.cluster(
            splink,
            f"select record_id from ({linked})",
            "select * from _identity_scope_edges",
        )
    else:
        con.execute(
            "create or replace temp table _identity_no_components "
            "(record_id varchar, cluster_id varchar)"
        )
        components = "_identity_no_components"
    clusters = _cluster.constrain(con, components, config)
    con.execute(f"""create or replace temp table {_ids.CLUSTERS} as
select record_id, cluster_id from {clusters}
union all
select record_id, record_id as cluster_id from _identity_scope_records
anti join {clusters} using (record_id)""")
    _ids.assign_ids(con, run_id)
