"""Evaluation against the generator's truth: pairwise and B-cubed precision, recall, F1.

Two scopes are reported, because anonymous web cookies (never logged in, no attribute)
cannot be linked by any method and would otherwise dominate recall:
- ``identified`` (the headline): records with at least one identifying attribute or strong
  identifier (``is_anonymous = false``);
- ``all``: every record in the truth, anonymous cookies included.
Records missing from either side (truth keys never loaded, e.g. quarantined rows) are left
out and counted in ``unmatched_truth_rows``.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from core.warehouse import one_row, scalar
from identity._config import load_identity_config
from identity._tables import TRUTH
from identity._truth import load_truth

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

    from core.settings import Settings
    from identity._config import IdentityConfig

log = logging.getLogger(__name__)


class TruthNotFoundError(FileNotFoundError):
    """The generator's identity_truth.csv is missing."""


class EvaluationError(RuntimeError):
    """Nothing to evaluate: no resolved identities, or no truth row matching one."""


def _metrics(con: duckdb.DuckDBPyConnection, where: str) -> dict[str, float]:
    row = one_row(
        con,
        f"""
with j as (select * from _identity_eval where {where}),
cells as (select customer_id, person_id, count(*) n from j group by all),
pred as (select customer_id, count(*) n from j group by all),
true_ as (select person_id, count(*) n from j group by all),
b3 as (
  select avg(c.n / p.n) as precision, avg(c.n / t.n) as recall
  from j join cells c using (customer_id, person_id) join pred p using (customer_id)
  join true_ t using (person_id)
)
select (select sum(n * (n - 1) / 2) from cells), (select sum(n * (n - 1) / 2) from pred),
  (select sum(n * (n - 1) / 2) from true_), b3.precision, b3.recall, (select count(*) from j)
from b3""",
    )
    tp, predicted, actual, b3_p, b3_r, records = row
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0

    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    return {
        "records": records,
        "true_pairs": int(actual or 0),
        "predicted_pairs": int(predicted or 0),
        "pairwise_precision": round(precision, 4),
        "pairwise_recall": round(recall, 4),
        "pairwise_f1": round(f1(precision, recall), 4),
        "bcubed_precision": round(b3_p or 0, 4),
        "bcubed_recall": round(b3_r or 0, 4),
        "bcubed_f1": round(f1(b3_p or 0, b3_r or 0), 4),
    }


def _false_merges_by_case(con: duckdb.DuckDBPyConnection, people) -> dict[str, int]:
    """Wrongly merged record pairs, per hard case of either person (households, namesakes...)."""
    kind = con.execute(f"select typeof(cases) from read_parquet('{people}') limit 1").fetchone()
    as_list = "cases" if kind and kind[0].endswith("[]") else "string_split(cases, ',')"
    rows = con.execute(f"""
with j as (select identity_type || ':' || source_key as k, * from _identity_eval),
wrong as (
  select a.person_id as pa, b.person_id as pb from j a
  join j b on a.customer_id = b.customer_id and a.k < b.k and a.person_id <> b.person_id
), cases as (
  select person_id, unnest({as_list}) as case_name
  from read_parquet('{people}')
)
select trim(c.case_name), count(*) from wrong w
join cases c on c.person_id in (w.pa, w.pb)
where coalesce(trim(c.case_name), '') <> '' group by 1 order by 1""").fetchall()
    result = {name: count for name, count in rows}
    # Over-merges inside one household (two people of one home made one customer), counted
    # apart from the cases above, which count any wrong pair one of their people is in.
    result["same_household"] = scalar(
        con,
        f"""
with j as (select identity_type || ':' || source_key as k, * from _identity_eval),
homes as (select person_id, household_id from read_parquet('{people}'))
select count(*) from j a
join j b on a.customer_id = b.customer_id and a.k < b.k and a.person_id <> b.person_id
join homes ha on ha.person_id = a.person_id join homes hb on hb.person_id = b.person_id
where ha.household_id = hb.household_id""",
    )
    return result


def _no_match_message(con: duckdb.DuckDBPyConnection, truth: Path, rows: int) -> str:
    ours = con.execute(
        "select identity_type, source_key from identity.customer_records limit 1"
    ).fetchone()
    theirs = con.execute(f"select identity_type, source_key from {TRUTH} limit 1").fetchone()
    return (
        f"none of the {rows} rows of {truth} names a resolved identity record; keys must "
        f"spell identity_type and source_key as identity.customer_records does (for example "
        f"{ours}, truth has {theirs})"
    )


def evaluate(settings: Settings, truth_path: Path | None = None) -> dict[str, Any]:
    """Compare identity.customer_records with a truth file (identity_type, source_key,
    person_id; or source, key, person_id in the export's terms, see :mod:`identity._truth`);
    by default truth_dir/identity_truth.csv, written by `cdp generate`."""
    from core.warehouse import connect, table_exists

    truth = truth_path or settings.truth_dir / "identity_truth.csv"
    if not truth.exists():
        raise TruthNotFoundError(
            f"{truth}: not found; run `cdp generate`, or give your own truth file "
            "(CSV with source, key, person_id, the key as your export writes it) with --truth"
        )
    with connect(settings) as con:
        if not table_exists(con, "identity", "customer_records"):
            raise EvaluationError("no identities resolved yet: run `cdp identity resolve` first")
        truth_rows = load_truth(con, truth, settings)
        con.execute(f"""create or replace temp table _identity_eval as
select t.identity_type, t.source_key, t.person_id, m.customer_id, r.is_anonymous
from {TRUTH} t
join identity.customer_records m using (identity_type, source_key)
join identity.identity_records r using (record_id)""")
        matched = scalar(con, "select count(*) from _identity_eval")
        if matched == 0:
            raise EvaluationError(_no_match_message(con, truth, truth_rows))
        unmatched = truth_rows - matched
        result = {
            "identified": _metrics(con, "not is_anonymous"),
            "all": _metrics(con, "true"),
            "unmatched_truth_rows": unmatched,
        }
        people = settings.truth_dir / "people.parquet"
        if people.exists():
            result["false_merge_pairs_by_case"] = _false_merges_by_case(con, people)
        store_evaluation(con, result, truth, load_identity_config(settings.identity_config_path))
    log.info("identity evaluation: %s", result)
    return result


_EVALUATIONS_DDL = """create table if not exists identity.evaluations (evaluated_at timestamp,
  truth_file varchar, match_threshold double, scope varchar, records bigint,
  pairwise_precision double, pairwise_recall double, pairwise_f1 double,
  bcubed_precision double, bcubed_recall double, bcubed_f1 double)"""


def store_evaluation(
    con: duckdb.DuckDBPyConnection, result: dict[str, Any], truth: Path, config: IdentityConfig
) -> None:
    """Keep the figures in ``identity.evaluations`` (one row per scope), so the published
    snapshot carries the latest evaluation to the console's health page."""
    from datetime import datetime

    con.execute(_EVALUATIONS_DDL)
    at = datetime.now()  # one time for both scopes: the page shows the latest evaluation's rows
    metrics = (
        "records",
        "pairwise_precision",
        "pairwise_recall",
        "pairwise_f1",
        "bcubed_precision",
        "bcubed_recall",
        "bcubed_f1",
    )
    for scope in ("identified", "all"):
        con.execute(
            "insert into identity.evaluations values (?, ?, ?, ?, "
            + ", ".join("?" for _ in metrics)
            + ")",
            [at, str(truth), config.match_threshold, scope, *(result[scope][m] for m in metrics)],
        )


def write_threshold_chart(settings: Settings, out: Path, truth_path: Path | None = None) -> Path:
    """Splink's threshold / precision / recall chart of the saved model against the truth,
    as one offline HTML page (``save_offline_chart``: its JS inlined, no CDN).

    The chart scores the blocked pairs of the identified records that the truth names, with
    the model alone: the conflicts and guards that refuse some of them later are not in it,
    so it shows where to set ``match_threshold`` for the model, not the customers' accuracy
    (``evaluate`` says that)."""
    import logging

    from splink import DuckDBAPI, Linker
    from splink.internals.splink_dataframe import SplinkDataFrame

    from core.warehouse import connect
    from identity._backend import arrow
    from identity._model import RETAINED_COLUMNS, model_columns_sql
    from identity._model_report import _paths

    model_file, _ = _paths(settings)
    model = json.loads(model_file.read_text(encoding="utf-8"))
    truth = truth_path or settings.truth_dir / "identity_truth.csv"
    if not truth.exists():
        raise TruthNotFoundError(f"{truth}: not found; give a truth file with --truth")
    retained = ", ".join(f"0 as {c}" for c in RETAINED_COLUMNS)  # read by conflicts only
    with connect(settings) as con:
        load_truth(con, truth, settings)
        labelled = arrow(
            con,
            f"select {model_columns_sql()}, {retained}, t.person_id from identity.identity_records "
            f"join {TRUTH} t using (identity_type, source_key) "
            "where not is_anonymous order by record_id",
        )
    if labelled.num_rows < 2:
        raise EvaluationError("fewer than two resolved records are named in the truth file")
    linker = Linker(DuckDBAPI().register(labelled), model, log_level=logging.WARNING)
    chart = linker.evaluation.accuracy_analysis_from_labels_column(
        "person_id", output_type="threshold_selection", add_metrics=["f1"]
    )
    assert not isinstance(chart, SplinkDataFrame)  # a chart type answers a chart
    out.parent.mkdir(parents=True, exist_ok=True)
    chart.save_offline_chart(str(out), overwrite=True, print_msg=False)
    return out
