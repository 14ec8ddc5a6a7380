"""The truth pairs our engine left in two customers, with why, and the pairs of people it
wrongly put in one: `accuracy_bench --dump-misses`.

Every truth pair (two records of one person) is scored again with the run's saved model
(blocked on the person, so pairs no blocking rule reaches are scored too), then joined to
what the run stored: the conflict that refused the pair, the guard that split its chain.
One CSV per dataset, one row per missed pair, with both records' attributes, the match
weight and probability, each comparison's level and weight, and the configured blocking
rules that would reach the pair (none: only a new rule could). Beside it, ``*_wrong.csv``:
every pair of records of two people in one customer, the same columns, and whether the two
people share a household (where the data knows households).
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

from identity._config import ATTRIBUTES

_LARGEST = 300  # records per customer whose wrongly merged pairs are scored one by one


def dump_misses(settings, clusters, out: Path, people_file: Path | None = None) -> int:
    """Write the missed truth pairs of ``clusters`` (record_id, cluster_id) to ``out``, and
    the wrongly merged pairs beside it (``*_wrong.csv``); returns the missed pairs' count."""
    missed = _dump(settings, clusters, out, "person_id", "s.cluster_id_l <> s.cluster_id_r")
    household = (
        f"""(select ha.household_id = hb.household_id
   from read_parquet('{people_file}') ha, read_parquet('{people_file}') hb
   where ha.person_id = s.person_id_l and hb.person_id = s.person_id_r)"""
        if people_file is not None
        else "null"
    )
    wrong = out.with_name(out.name.replace("_misses", "_wrong"))
    _dump(settings, clusters, wrong, "cluster_id", "s.person_id_l <> s.person_id_r", household)
    return missed


def _dump(settings, clusters, out: Path, block: str, where: str, household: str = "null") -> int:
    """Score the pairs of records equal on ``block`` (person_id or cluster_id) that meet
    ``where``, explained, into the CSV ``out``."""
    from splink import Linker

    from core.warehouse import connect
    from identity._backend import SplinkTables
    from identity._config import load_identity_config
    from identity._model import (
        DERIVED_COLUMNS,
        RETAINED_COLUMNS,
        for_dialect,
        level_labels,
        model_columns_sql,
        with_link_type,
    )
    from identity._stages import model_path

    config = load_identity_config(settings.identity_config_path)
    path = model_path(settings, config)
    # every truth pair is scored, within a file or across (a link-only model included)
    model = with_link_type(
        for_dialect(json.loads(path.read_text(encoding="utf-8")), "duckdb"), False
    )
    truth = settings.truth_dir / "identity_truth.csv"
    with connect(settings) as con:
        con.register("_bench_clusters", clusters)
        con.execute(f"""create temp table _bench_people as
select t.identity_type || ':' || t.source_key as record_id, t.person_id, c.cluster_id
from read_csv('{truth}', all_varchar = true) t
join _bench_clusters c on c.record_id = t.identity_type || ':' || t.source_key""")
        if block == "cluster_id":
            # a customer of thousands of records (a chain through a shared value) would be
            # millions of pairs: its size is reported, its pairs are not scored
            big = con.execute(f"""select cluster_id, count(*) as n from _bench_people
group by all having n > {_LARGEST} order by n desc""").fetchall()
            if big:
                logging.getLogger(__name__).warning(
                    "%d customers above %d records left out of %s (largest: %s)",
                    len(big),
                    _LARGEST,
                    out.name,
                    big[:5],
                )
                con.execute(f"""delete from _bench_people where cluster_id in
(select cluster_id from _bench_people group by all having count(*) > {_LARGEST})""")
        model["blocking_rules_to_generate_predictions"] = [
            {"blocking_rule": f"l.{block} = r.{block}", "sql_dialect": "duckdb"}
        ]
        # the person, the customer, and the derived blocking keys (name_pair...): which
        # rules reach a pair is read from both sides' values
        derived = [c for cols in config.blocking for c in cols if c in DERIVED_COLUMNS]
        model.setdefault("additional_columns_to_retain", []).extend(
            ["person_id", "cluster_id", *dict.fromkeys(derived)]
        )
        with SplinkTables(con) as splink:
            splink.put(
                "bench_truth_records",
                f"select {model_columns_sql()}, "
                + "".join(f"0 as {c}, " for c in RETAINED_COLUMNS)
                + "p.person_id, p.cluster_id "
                "from identity.identity_records join _bench_people p using (record_id) "
                "where not is_anonymous",
            )
            linker = Linker(splink.frame("bench_truth_records"), model, log_level=logging.WARNING)
            scored = splink.read(linker.inference.predict(), "_bench_truth_scored")
            present = {r[0] for r in con.execute(f"describe select * from {scored}").fetchall()}
            labels = level_labels(model)
            levels = ", ".join(
                "case gamma_{n} {cases} end as {n}_level, round(mw_{n}, 2) as {n}_weight".format(
                    n=n,
                    cases=" ".join(
                        f"when {g} then '{lbl.replace(chr(39), chr(39) * 2)}'"
                        for g, lbl in gammas.items()
                    ),
                )
                for n, gammas in labels.items()
                if f"gamma_{n}" in present
            )
            reach = ", ".join(
                "case when "
                + " and ".join(f"{c}_l = {c}_r" for c in cols)
                + f" then '{'+'.join(cols)}' end"
                for cols in config.blocking
                if all(f"{c}_l" in present for c in cols)
            )
            sides = ", ".join(f"{c}_l, {c}_r" for c in ATTRIBUTES if f"{c}_l" in present)
            rows = con.execute(f"""
select s.record_id_l, s.record_id_r, s.person_id_l, s.person_id_r, s.cluster_id_l,
  s.cluster_id_r, round(s.match_weight, 2) as match_weight,
  round(s.match_probability, 4) as match_probability,
  (select string_agg(conflict, ' ') from identity.refused_links f
   where f.record_id_l in (s.record_id_l, s.record_id_r)
     and f.record_id_r in (s.record_id_l, s.record_id_r)) as conflict,
  (select string_agg(detail, ' | ') from identity.guard_events g
   where g.event_type = 'chain_split' and g.record_id_l in (s.record_id_l, s.record_id_r)
     and g.record_id_r in (s.record_id_l, s.record_id_r)) as chain_split,
  array_to_string(list_filter([{reach or "null"}], lambda x: x is not null), ' ')
    as reached_by,
  {household} as same_household, {levels}, {sides}
from {scored} s where {where}
order by s.match_weight desc""")
            names = [c[0] for c in rows.description]
            found = rows.fetchall()
    out.parent.mkdir(parents=True, exist_ok=True)
    # the run's model beside the misses: the weights they were scored with
    model_copy = out.with_name(out.name.replace("_misses.csv", "_model.json"))
    if model_copy != out:
        model_copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows(found)
    return len(found)
