"""Why two identity records did or did not end in one customer (``cdp identity explain-pair``).

The pair is scored again with the saved model (Splink's ``score_pair``, term frequencies
from every record), so the answer shows every comparison, those weighing for a link and
those weighing against it, beside the score and threshold; then what the stored run says:
the link between them, the conflict that refused it, the guard that split their chain, the
stewards' decisions covering both. The verdict names the first of these that decided.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from core.warehouse import rows

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

_RECORD = """select r.*, m.customer_id from identity.identity_records r
left join identity.customer_records m using (record_id) where r.record_id = ?"""


class RecordNotFoundError(LookupError):
    """A key of explain-pair names no identity record."""


def _row(con: duckdb.DuckDBPyConnection, sql: str, params) -> list[dict[str, Any]]:
    return rows(con, sql, params)


def _score(con, settings, config, a: str, b: str) -> dict[str, Any]:
    """The pair scored by the saved model, every comparison with its weight."""
    import json

    from splink import Linker

    from core.warehouse import sql_literal
    from identity import _links, _replaced
    from identity._backend import SplinkTables
    from identity._model import RETAINED_COLUMNS, for_dialect, level_labels, model_columns_sql
    from identity._resolve import model_path

    path = model_path(settings, config)
    if not path.exists():
        return {"error": f"{path}: no trained model; run `cdp identity train`"}
    model = for_dialect(json.loads(path.read_text(encoding="utf-8")), "duckdb")
    retained = ", ".join(f"0 as {c}" for c in RETAINED_COLUMNS)
    records = f"select {model_columns_sql()}, {retained} from identity.identity_records"
    with SplinkTables(con) as splink:
        splink.put("explain_records", f"{records} where not is_anonymous")
        linker = Linker(splink.frame("explain_records"), model, log_level=logging.WARNING)
        # each record as a typed table, not a Python dict: Splink writes a dict's None as an
        # untyped NULL literal, and the birth-date levels' year() cannot bind to it
        left, right = (
            splink.put(side, f"select * from ({records}) where record_id = {sql_literal(key)}")
            for side, key in (("explain_left", a), ("explain_right", b))
        )
        scored = linker.inference.score_pair(left, right, include_found_by_blocking_rules=True)
        read = splink.read(scored, "explain_pair_scored")
        row = _row(con, f"select * from {read}", [])[0]
        # as the run weighs it: a household's shared address capped, replaced values'
        # differences discounted (what the threshold is held against)
        replaced = _replaced.of_stored_records(con, config)
        run_weighted = _links.run_weighted_sql(read, set(row), config, replaced)
        weighed = _row(con, f"select match_weight, match_probability from {run_weighted}", [])[0]
    labels = level_labels(model)
    comparisons: list[dict[str, Any]] = []
    for name, gammas in labels.items():
        if f"gamma_{name}" not in row:
            continue
        weight = float(row.get(f"mw_{name}") or 0.0) + float(row.get(f"mw_tf_adj_{name}") or 0.0)
        comparisons.append(
            {"comparison": name, "level": gammas.get(row[f"gamma_{name}"]), "weight": weight}
        )
    comparisons.sort(key=lambda c: -abs(c["weight"]))
    return {
        "match_weight": weighed["match_weight"],
        "match_probability": weighed["match_probability"],
        # the comparisons' weights add up to this; the run's rules moved it to the above
        "model_match_weight": row["match_weight"],
        "threshold": config.match_threshold,
        "found_by_blocking": bool(row.get("found_by_blocking_rules", True)),
        "for": [c for c in comparisons if c["weight"] > 0],
        "against": [c for c in comparisons if c["weight"] < 0],
    }


def explain_pair(settings: Settings, key_a: str, key_b: str) -> dict[str, Any]:
    """Both records, their customers, the pair's score and what the last run decided."""
    from core.warehouse import connect
    from identity._config import load_identity_config

    config = load_identity_config(settings.identity_config_path)
    with connect(settings) as con:
        records = []
        for key in (key_a, key_b):
            found = _row(con, _RECORD, [key])
            if not found:
                raise RecordNotFoundError(
                    f"{key}: no identity record; give a record_id as "
                    "`identity_type:source_key` (see identity.identity_records)"
                )
            records.append(found[0])
        pair = [key_a, key_b]
        stored = {
            "links": _row(
                con,
                "select * from identity.links where record_id_l in (?, ?) and "
                "record_id_r in (?, ?)",
                pair + pair,
            ),
            "refused": _row(
                con,
                "select * from identity.refused_links where record_id_l in (?, ?) and "
                "record_id_r in (?, ?)",
                pair + pair,
            ),
            "guard_events": _row(
                con,
                "select * from identity.guard_events where record_id_l in (?, ?) "
                "or record_id_r in (?, ?) order by created_at",
                pair + pair,
            ),
            "decisions": _row(
                con,
                """select d.* from identity.decisions d where revoked_at is null
  and exists (select 1 from identity.decision_records x
              where x.decision_id = d.decision_id and x.record_id = ?)
  and exists (select 1 from identity.decision_records x
              where x.decision_id = d.decision_id and x.record_id = ?)""",
                pair,
            )
            if _has(con, "decisions")
            else [],
        }
        score = _score(con, settings, config, key_a, key_b)
    same = records[0]["customer_id"] == records[1]["customer_id"]
    return {
        "records": records,
        "same_customer": same,
        "score": score,
        **stored,
        "verdict": _verdict(same, score, stored),
    }


def _has(con, table: str) -> bool:
    from core.warehouse import table_exists

    return table_exists(con, "identity", table)


def _verdict(same: bool, score: dict, stored: dict) -> str:
    for decision in stored["decisions"]:
        return f"steward's {decision['decision']} ({decision['decided_by']}: {decision['reason']})"
    if same:
        for link in stored["links"]:
            how = link["rule"] or f"match weight {link['match_weight']:.2f}"
            return f"one customer: linked directly ({link['link_type']}, {how})"
        return "one customer: joined through other records (see `cdp identity explain`)"
    for refused in stored["refused"]:
        return f"two customers: conflict {refused['conflict']} refused the link"
    for event in stored["guard_events"]:
        if event["event_type"] == "chain_split":
            return f"two customers: {event['detail']}"
    if "error" in score:
        return f"two customers: {score['error']}"
    if not score["found_by_blocking"]:
        return "two customers: never compared (no blocking rule pairs them)"
    return (
        f"two customers: match probability {score['match_probability']:.3f} is below the "
        f"threshold {score['threshold']}"
    )
