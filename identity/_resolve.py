"""Training and resolution runs: records -> links -> clusters -> stable ids (golden: dbt).

A run is the list of stages in :data:`STAGES`, run in order. Each stage names the
temporary relations (``_tables``) it reads and writes; before it runs, the relations it
reads must exist, so a stage moved before its inputs fails at once, naming them.
Everything is computed in temporary tables first; the `identity.*` tables are replaced in
one transaction at the end, so a failed run leaves the previous state untouched.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.warehouse import scalar
from identity import (
    _decisions,
    _guards,
    _ids,
    _persist,
    _rare_names,
    _replaced,
    _review,
    _scope,
    _scoring,
    _stability,
    _training,
)
from identity import _tables as t
from identity._backend import SplinkTables
from identity._config import for_run, load_identity_config, load_identity_mappings
from identity._records import extract_records
from identity._records_nulled import standardisation_nulls
from identity._stages import Run, Stage, model_path, run_stages

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)


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
        run = Run(con, settings, config, mappings, run_id="train", full=True)
        run_stages(run, TRAIN_STAGES)
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


# DuckDB checkpoints a database once the writes since its last checkpoint pass
# `checkpoint_threshold` (16 MB), and counts the temporary tables' writes too: at 1M records
# an incremental run crossed it while scoring and spent 0.2-0.25 s of CPU checkpointing
# temporary tables it drops at the end. Its write to the warehouse (8 MB of WAL at 1M) is
# checkpointed when the connection closes either way. A full run keeps the default: its
# write is large, and DuckDB checkpoints it at commit without writing it to the WAL first.
_INCREMENTAL_CHECKPOINT_THRESHOLD = "1GB"


def _load_previous(run: Run) -> None:
    run.has_previous = _persist.load_previous(run.con)
    _decisions.ensure_tables(run.con)
    if run.has_previous and not run.full:  # incremental, unless the model was retrained
        run.con.execute(f"set checkpoint_threshold = '{_INCREMENTAL_CHECKPOINT_THRESHOLD}'")


def _extract(run: Run) -> None:
    reuse = run.has_previous and not run.full
    run.summary["records"] = extract_records(
        run.con, run.mappings, run.config, reuse_previous=reuse
    )
    run.summary["reread_records"] = scalar(run.con, f"select n from {t.REREAD}")
    run.summary["standardisation_nulled"] = standardisation_nulls(run.con)
    if reuse:  # what changed since the last run: the guards and an incremental run read it
        _scoring.changed_records(run.con)


def _guard(run: Run) -> None:
    # an incremental extraction re-standardised only new and changed records: only the
    # values they hold (and held) are guarded again
    _guards.apply(run.con, run.config, incremental=run.has_previous and not run.full)


def _choose_mode(run: Run) -> None:
    run.mode = "incremental" if run.has_previous and not run.full else "full"
    # over every record whatever the run scores: the rule an incremental run applies to its
    # new pairs must be the one its stored links were made under
    replaced = _replaced.store(run.con, run.config, t.RECORDS)
    last = _replaced.recorded(run.con)
    if run.mode == "incremental" and _retrained_since_last_run(run.con, run.model_path):
        _resolve_everything(run, "the model was retrained since the last run")
    elif run.mode == "incremental" and last is not None and last != replaced:
        _resolve_everything(
            run,
            f"the records now show values replaced in {sorted(replaced.strata) or 'no stratum'} "
            f"(the last run: {sorted(last.strata) or 'none'})",
        )


def _resolve_everything(run: Run, why: str) -> None:
    log.info("%s: re-resolving everything", why)
    run.mode = "full"
    run.con.execute("reset checkpoint_threshold")


def _splink(run: Run) -> SplinkTables:
    if run.splink is None:
        run.splink = SplinkTables(run.con, run.settings)
    return run.splink


def _give_splink_records(run: Run) -> None:
    """A full run's records as Splink compares them (derived name and e-mail forms, the
    people counts), given once: training and scoring share them. Timed apart from
    training: the benchmark's bare Splink is handed the same columns made before its own
    timer starts."""
    _scoring.all_records(_splink(run), run.config)


def _train_or_load(run: Run) -> None:
    """The saved model (trained now when there is none yet), and the threshold it sets."""
    splink = _splink(run)
    path = run.model_path
    if not path.exists():
        records = _scoring.all_records(splink, run.config)
        if splink.rows(records) >= 2:
            log.info("no saved model at %s: training one now", path)
            _training.train_model(splink, records, run.config, path)
        else:
            log.warning("fewer than two identified records: nothing to match")
    if path.exists():
        run.model = _training.load_model(path, run.config, splink.dialect)
        run.config = _training.with_labelled_threshold(run.config, path)
        _training.warn_if_outgrown(run.con, path, run.config)


def _score(run: Run) -> None:
    assert run.splink is not None
    run.summary["scored_records"] = _scoring.score(
        run.con, run.splink, run.model, run.config, run.mode
    )
    # what the records said of pairs differing on two fields, kept with the run: a steward
    # reading why a household's members were (not) merged needs it
    run.summary["replaced_strata"] = ",".join(sorted(_replaced.stored(run.con).strata))


def _link(run: Run) -> None:
    _scope.build_edges(run.con, run.mode)


def _choose_scope(run: Run) -> None:
    _scope.choose_scope(run.con, run.mode, run.config.rare_names)


def _cluster(run: Run) -> None:
    assert run.splink is not None
    _scope.cluster_scope(run.con, run.splink, run.config)
    run.splink.close()  # Splink's tables are no longer needed: free them before persist


def _attach_rare_names(run: Run) -> None:
    run.summary["rare_name_attached"] = _rare_names.attach(run.con, run.config.rare_names)


def _assign_ids(run: Run) -> None:
    _ids.assign_ids(run.con, run.run_id)


def _gate(run: Run) -> None:
    stability = _stability.compute(run.con, run.run_id, run.mode, run.config)
    run.summary["stability"] = stability
    run.summary["churn_gate"] = _stability.gate(run.con, stability, run.approve_churn)


def _write(run: Run) -> None:
    run.summary["counts"] = _persist.write_run(
        run.con, run.config, run.run_id, run.mode, run.started_at
    )


def _record_run(run: Run) -> None:
    """The run's stability row, review pairs and row in identity.runs."""
    summary, counts = run.summary, run.summary["counts"]
    _stability.record(run.con, summary["stability"], summary["churn_gate"], run.approve_churn)
    _review.persist_review(run.con, run.run_id, run.mode)
    run.con.execute(
        f"insert into identity.runs by name select '{run.run_id}' as run_id, "
        f"'{run.mode}' as mode, ?::timestamp as started_at, "
        f"?::timestamp as finished_at, {summary['records']} as record_count, "
        f"{summary['scored_records']} as scored_record_count, ? as model_path, "
        f"{run.config.match_threshold} as match_threshold, ? as stage_seconds, "
        "? as replaced_strata, " + ", ".join(f"{v} as {k}" for k, v in counts.items()),
        [
            run.started_at,
            datetime.now(UTC).replace(tzinfo=None),
            str(run.model_path),
            json.dumps(run.timer.seconds),
            summary["replaced_strata"],
        ],
    )


def _export_lake(run: Run) -> None:
    from core import lake

    lake.export_identity(run.con, run.settings)  # what the marts' Spark target reads


_PREVIOUS = (t.PREV_MEMBERS, t.PREV_CUSTOMERS, t.PREV_RECORDS)
_EXTRACT = Stage(
    "extract and standardise records",
    _extract,
    (),
    (t.RECORDS, t.STRONG_IDS, t.REREAD, t.NULLED),
    "standardise",
    incremental_writes=(t.RESCORED, t.REMOVED),
)
_GUARD = Stage(
    "block junk identifiers, guard cardinality",
    _guard,
    (t.RECORDS, t.STRONG_IDS),
    (t.MATCH_RECORDS, t.LINK_IDS, t.BLOCKED, t.GUARD_EVENTS, t.GUARD_REFUSED, t.SHARED_CONTACTS),
    "standardise",
)
# training reads the guarded records too (``_scoring.model_records_sql``)
TRAIN_STAGES = [_EXTRACT, _GUARD]
STAGES = [
    Stage("load the previous run's state", _load_previous, (), _PREVIOUS, "standardise"),
    _EXTRACT,
    _GUARD,
    Stage("choose full or incremental", _choose_mode, (t.RECORDS,), (t.REPLACED,), "predict"),
    Stage(
        "shape the records Splink compares",
        _give_splink_records,
        (t.MATCH_RECORDS,),
        (),
        "splink input",
        when=lambda run: run.mode == "full",
    ),
    Stage("train or load the model", _train_or_load, (t.MATCH_RECORDS, t.RECORDS), (), "train"),
    Stage(
        "score pairs",
        _score,
        (t.MATCH_RECORDS, t.RECORDS, t.PREV_RECORDS, t.REPLACED),
        (t.ACCEPTED, t.REFUSED),
        "predict",
        incremental_reads=(t.RESCORED, t.REMOVED),
    ),
    Stage(
        "gather the run's links",
        _link,
        (t.LINK_IDS, t.ACCEPTED, t.RECORDS),
        (t.EDGES, t.CONSTRAINTS),
        "cluster",
        incremental_reads=(t.RESCORED, t.REMOVED),
        incremental_writes=(t.NEW_EDGES,),
    ),
    Stage(
        "choose the records to re-cluster",
        _choose_scope,
        (t.RECORDS, t.EDGES, t.PREV_MEMBERS, t.PREV_CUSTOMERS),
        (t.SCOPE_RECORDS, t.SCOPE_CUSTOMERS, t.PREV_MEMBERS_SCOPE, t.SCOPE_EDGES),
        "cluster",
        incremental_reads=(t.RESCORED, t.REMOVED, t.NEW_EDGES),
    ),
    Stage(
        "cluster with constraints",
        _cluster,
        (
            t.SCOPE_EDGES,
            t.SCOPE_RECORDS,
            t.EDGES,
            t.CONSTRAINTS,
            t.REFUSED,
            t.RECORDS,
            t.LINK_IDS,
            t.GUARD_EVENTS,
            t.REPLACED,
        ),
        (t.CLUSTERS,),
        "cluster",
    ),
    Stage(
        "attach records known by a rare full name alone",
        _attach_rare_names,
        (t.CLUSTERS, t.RECORDS, t.PREV_MEMBERS, t.SCOPE_RECORDS, t.CONSTRAINTS, t.EDGES),
        (t.CLUSTERS, t.EDGES),
        "cluster",
    ),
    Stage(
        "assign stable ids",
        _assign_ids,
        (t.CLUSTERS, t.PREV_MEMBERS_SCOPE, t.PREV_CUSTOMERS, t.SCOPE_CUSTOMERS),
        (t.ID_OVERLAP, t.ASSIGNED, t.RETIRED, t.ID_EVENTS),
        "stable ids",
    ),
    Stage(
        "gate on id churn",
        _gate,
        (t.ID_OVERLAP, t.ASSIGNED, t.PREV_MEMBERS, t.PREV_MEMBERS_SCOPE, t.ID_EVENTS),
        (),
        "stable ids",
    ),
    Stage(
        "replace the identity tables",
        _write,
        (
            t.CLUSTERS,
            t.ID_OVERLAP,
            t.ASSIGNED,
            t.RETIRED,
            t.ID_EVENTS,
            t.RECORDS,
            t.STRONG_IDS,
            t.EDGES,
            t.REFUSED,
            t.BLOCKED,
            t.GUARD_EVENTS,
            t.GUARD_REFUSED,
            t.SHARED_CONTACTS,
            t.PREV_MEMBERS,
            t.PREV_CUSTOMERS,
            t.PREV_RECORDS,
            t.SCOPE_RECORDS,
            t.PREV_MEMBERS_SCOPE,
        ),
        (t.MEMBERS, t.CUSTOMERS_STAGE),
        "persist",
        incremental_reads=(t.RESCORED, t.REMOVED),
    ),
    Stage(
        "record the run",
        _record_run,
        (t.RECORDS,),
        (),
        "persist",
        incremental_reads=(t.RESCORED, t.REMOVED),
    ),
    Stage(
        "export to the lake",
        _export_lake,
        timer="lake",
        when=lambda run: run.settings.engine == "spark",
    ),
]


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
    with connect(settings) as con:
        run = Run(con, settings, config, mappings, run_id, full, approve_churn)
        try:
            run_stages(run, STAGES)
        finally:
            if run.splink is not None:
                run.splink.close()
    counts = run.summary["counts"]
    if counts["oversized_customers"]:
        log.warning(
            "%d customers hold more than %d records and are flagged is_oversized; "
            "review them (identity.customers) before trusting their golden records",
            counts["oversized_customers"],
            run.config.max_cluster_size,
        )
    summary = {
        "run_id": run_id,
        "mode": run.mode,
        "records": run.summary["records"],
        "reread_records": run.summary["reread_records"],
        "scored_records": run.summary["scored_records"],
        **counts,
        "changed_share": run.summary["stability"]["changed_share"],
        "churn_gate": run.summary["churn_gate"],
        "stage_seconds": run.timer.seconds,
        "stage_cpu_seconds": run.timer.cpu_seconds,
        "standardisation_nulled": run.summary["standardisation_nulled"],
        "replaced_strata": run.summary["replaced_strata"],
    }
    log.info("identity run %s (%s): %s", run_id, run.mode, summary)
    return summary


def _retrained_since_last_run(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Links scored by an older model should not survive a retrain."""
    last = scalar(con, "select max(finished_at) from identity.runs")
    if last is None or not path.exists():
        return False
    trained_at = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    return trained_at > last
