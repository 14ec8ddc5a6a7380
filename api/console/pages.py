"""What the console pages show, read from one snapshot view (no HTML here).

Customer 360 reuses identity's explanation pieces (the chain of links and each link's
reason); the review queue is identity's own (``_review.queue_rows``, read-only); health
reads the saved model and the run tables; quality reads ``quality.validation_results``.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from api import customers as queries
from core.warehouse import table_exists

if TYPE_CHECKING:
    from api.snapshots import View
    from core.settings import Settings


def rows(view: View, sql: str, params: list | dict | None = None) -> list[dict[str, Any]]:
    cursor = view.cursor.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def search(view: View, settings: Settings, text: str) -> list[dict[str, Any]]:
    """Customers matching an identifier (standardised as the pipeline does) or a name."""
    from identity import standardise_attributes

    text = text.strip()
    if not text:
        return []
    ids: list[str] = []
    if "@" in text:
        email = standardise_attributes(view.cursor, settings, {"email": text})["email"]
        ids = queries.find_by_identifier(view, "email", text, email)
    elif sum(ch.isdigit() for ch in text) >= 9:
        phone = standardise_attributes(view.cursor, settings, {"phone": text})["phone"]
        ids = queries.find_by_identifier(view, "phone", text, phone)
    if not ids:
        found = rows(
            view,
            """select distinct m.customer_id from identity.customer_records m
join identity.identity_records r using (record_id)
where m.customer_id = $t or r.source_key = $t
   or r.last_name = $n or r.first_name || ' ' || r.last_name = $full
order by 1 limit 50""",
            {
                "t": text,
                "n": _name_key(view, settings, text),
                "full": " ".join(_name_key(view, settings, w) or "" for w in text.split()),
            },
        )
        ids = [r["customer_id"] for r in found if r["customer_id"] not in view.forgotten]
    if not ids:
        return []
    return rows(
        view,
        """select c.customer_id, coalesce(g.first_name_display, g.first_name) as first_name,
  coalesce(g.last_name_display, g.last_name) as last_name, g.email,
  coalesce(g.city_display, g.city) as city, c.record_count
from identity.customers c left join marts.golden_records g using (customer_id)
where c.customer_id in (select unnest($ids)) order by c.customer_id""",
        {"ids": ids},
    )


def _name_key(view: View, settings: Settings, text: str) -> str | None:
    from identity import standardise_attributes

    return standardise_attributes(view.cursor, settings, {"last_name": text})["last_name"]


def pair_scores(
    view: View, settings: Settings, pairs: list[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Each pair's match-weight waterfall from identity (the saved model, Splink's bars);
    none when no model is saved yet."""
    from api.identify import _scorer
    from identity._waterfall import score_pairs

    if not pairs:
        return {}
    try:
        scorer = _scorer(settings, view)  # one per snapshot generation, shared with identify
    except FileNotFoundError:
        return {}
    return score_pairs(scorer, view.cursor, pairs)


def customer_360(view: View, customer_id: str, settings: Settings) -> dict[str, Any]:
    """Everything the Customer 360 page shows; raises the API's not-found/moved errors."""
    from identity._explain import _chain, link_reason

    answer = queries.customer(view, customer_id)
    records = rows(
        view,
        """select r.record_id, r.identity_type, r.source_key, r.first_name, r.last_name, r.email,
  r.phone, r.birth_date, r.postcode, r.city, r.first_seen_at, r.last_seen_at
from identity.customer_records m join identity.identity_records r using (record_id)
where m.customer_id = ? order by r.identity_type, r.record_id""",
        [customer_id],
    )
    links = rows(
        view,
        """select l.record_id_l, l.record_id_r, l.link_type, l.rule, l.match_weight,
  l.match_probability, l.top_comparisons
from identity.links l join identity.customer_records a on a.record_id = l.record_id_l
where a.customer_id = ?""",
        [customer_id],
    )
    for link in links:
        link["top_comparisons"] = json.loads(link["top_comparisons"] or "null")
    chain = [{**step, "reason": link_reason(step["link"])} for step in _chain(records, links)]
    scored = pair_scores(
        view,
        settings,
        [
            (s["link"]["record_id_l"], s["link"]["record_id_r"])
            for s in chain
            if s["link"] and s["link"]["link_type"] == "probabilistic"
        ],
    )
    for step in chain:
        link = step["link"]
        step["score"] = scored.get((link["record_id_l"], link["record_id_r"])) if link else None
    grouped: dict[str, list[dict]] = {}
    for record in records:
        grouped.setdefault(record["identity_type"], []).append(record)
    history = rows(
        view,
        """select run_id, event, from_customer_id, to_customer_id, recorded_at, detail
from identity.id_history where customer_id = ? or to_customer_id = ? or from_customer_id = ?
order by recorded_at""",
        [customer_id] * 3,
    )
    retired = rows(
        view,
        "select retired_customer_id, run_id from identity.customer_aliases where customer_id = ?",
        [customer_id],
    )
    timeline = queries.timeline(view, customer_id, 20, None)["touchpoints"]
    return {
        **answer,
        "records": grouped,
        "chain": chain,
        "history": history,
        "retired_ids": retired,
        "timeline": timeline,
    }


def review_queue(view: View) -> list[dict[str, Any]]:
    """Pairs in the review band, refused links and guard splits, not yet decided."""
    from identity._review import queue_rows

    return [
        q
        for q in queue_rows(view.cursor, read_only=True)
        if q["customer_l"] not in view.forgotten and q["customer_r"] not in view.forgotten
    ]


def review_pair(view: View, settings: Settings, left: str, right: str) -> dict[str, Any] | None:
    """Both records of a pair side by side, its queue entry if any, and its waterfall."""
    from identity._review import SIDE, queue_rows

    side = ", ".join(f"r.{c}" for c in SIDE)
    records = rows(
        view,
        f"""select r.record_id, m.customer_id, {side} from identity.identity_records r
join identity.customer_records m using (record_id) where r.record_id in (?, ?)""",
        [left, right],
    )
    by_id = {r["record_id"]: r for r in records if r["customer_id"] not in view.forgotten}
    if left not in by_id or right not in by_id:
        return None
    entry = next(
        (
            q
            for q in queue_rows(view.cursor, read_only=True)
            if (q["record_id_l"], q["record_id_r"]) == (left, right)
        ),
        None,
    )
    return {
        "left": by_id[left],
        "right": by_id[right],
        "columns": SIDE,
        "entry": entry,
        "score": pair_scores(view, settings, [(left, right)]).get((left, right)),
    }


def match_weights(settings: Settings) -> list[dict[str, Any]]:
    """Each comparison level's match weight, log2(m/u), from the saved model."""
    from identity._config import load_identity_config

    config = load_identity_config(settings.identity_config_path)
    path = settings.model_dir / config.model_file
    if not path.exists():
        return []
    model = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            out.append(
                {
                    "comparison": comparison["output_column_name"],
                    "level": level.get("label_for_charts") or level["sql_condition"],
                    "weight": weight,
                }
            )
    return out


def identity_health(view: View, settings: Settings) -> dict[str, Any]:
    """Model weights, cluster sizes, oversized customers, per-run counts and the churn gate."""
    sizes = rows(
        view,
        "select record_count as size, count(*) as customers from identity.customers "
        "where is_active and not is_anonymous group by 1 order by 1",
    )
    oversized = rows(
        view,
        "select customer_id, record_count from identity.customers where is_active and "
        "is_oversized order by record_count desc limit 50",
    )
    runs = rows(
        view,
        "select run_id, mode, finished_at, record_count, customers, created, merged, split, "
        "retired from identity.runs order by finished_at desc limit 20",
    )
    gates = {}
    if table_exists(view.cursor, "identity", "run_stability"):
        gates = {
            r["run_id"]: r
            for r in rows(
                view, "select run_id, gate, changed_share, ceiling from identity.run_stability"
            )
        }
    for run in runs:
        run["gate"] = gates.get(run["run_id"], {}).get("gate")
    return {
        "weights": match_weights(settings),
        "sizes": sizes,
        "oversized": oversized,
        "runs": runs,
        "evaluation": latest_evaluation(view),
        "stewards": steward_accuracy(view, settings),
    }


def latest_evaluation(view: View) -> list[dict[str, Any]]:
    """The last `cdp identity evaluate` against a truth file, one row per scope."""
    if not table_exists(view.cursor, "identity", "evaluations"):
        return []
    return rows(
        view,
        """select * from identity.evaluations
qualify evaluated_at = max(evaluated_at) over () order by scope desc""",
    )


def steward_accuracy(view: View, settings: Settings) -> dict[str, Any] | None:
    """The model's precision/recall/F1 on the stewards' decisions (once per snapshot)."""
    from api.identify import _scorer
    from identity._steward_labels import labelled_pairs, steward_accuracy

    cache = view.generation.cache
    if "steward_accuracy" not in cache:
        if not labelled_pairs(view.cursor):
            cache["steward_accuracy"] = None
        else:
            try:
                scorer = _scorer(settings, view)
            except FileNotFoundError:  # no saved model: nothing to score the labels with
                return None
            cache["steward_accuracy"] = steward_accuracy(scorer, view.cursor)
    return cache["steward_accuracy"]


def quality(view: View) -> list[dict[str, Any]]:
    """The latest validation results of each stage."""
    if not table_exists(view.cursor, "quality", "validation_results"):
        return []
    return rows(
        view,
        """select stage, suite, expectation, severity, success, unexpected_count, validated_at
from quality.validation_results
qualify run_id = first_value(run_id) over (partition by stage order by validated_at desc)
order by stage, success, suite, expectation""",
    )
