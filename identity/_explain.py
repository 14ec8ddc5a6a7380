"""Why a customer holds its records: the chain of links, every link's reason, the guards
and stewards' decisions that shaped it.

The chain is a breadth-first spanning tree over the customer's stored links, rooted at its
oldest record (first seen), so each record is reached through the fewest links; each step
names the link that holds it (deterministic rule, match weight and top comparisons, or a
must-link decision). :func:`explain_rows` returns the same as flat rows, one per step.
"""

from __future__ import annotations

import json
from collections import deque
from typing import TYPE_CHECKING, Any

from core.warehouse import rows as dict_rows
from core.warehouse import scalar, table_exists
from identity import _standardise as std
from identity._config import load_identity_config

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings


class CustomerNotFoundError(LookupError):
    """No customer matches the key given to explain."""


def _customer_ids(con: duckdb.DuckDBPyConnection, key: str, settings: Settings) -> list[str]:
    config = load_identity_config(settings.identity_config_path).standardisation
    found = con.execute(
        """
select customer_id from identity.customers where customer_id = $key and is_active
union select customer_id from identity.customer_aliases where retired_customer_id = $key""",
        {"key": key},
    ).fetchall()
    if found:
        return [row[0] for row in found]
    if "@" in key:
        column, value = (
            "email",
            scalar(con, f"select {std.email_sql('$key', config)}", {"key": key}),
        )
    else:
        column = "phone"
        value = scalar(con, f"select {std.phone_sql('$key')}", {"key": key}) or std.phone_e164(
            key, config.default_phone_region
        )
    rows = con.execute(
        f"""
select distinct m.customer_id from identity.identity_records r
join identity.customer_records m using (record_id) where r.{column} = $value order by 1""",
        {"value": value},
    ).fetchall()
    return [row[0] for row in rows]


def _chain(records: list[dict], links: list[dict]) -> list[dict[str, Any]]:
    """Breadth-first spanning tree over the links, from the oldest record; one step per record."""
    if not records:
        return []
    adjacency: dict[str, list[tuple[str, dict]]] = {}
    for link in links:
        adjacency.setdefault(link["record_id_l"], []).append((link["record_id_r"], link))
        adjacency.setdefault(link["record_id_r"], []).append((link["record_id_l"], link))
    ordered = sorted(
        records, key=lambda r: (r["first_seen_at"] is None, r["first_seen_at"] or 0, r["record_id"])
    )
    steps: list[dict[str, Any]] = []
    reached: set[str] = set()
    for root in ordered:  # more than one root only when a link is missing from storage
        if root["record_id"] in reached:
            continue
        reached.add(root["record_id"])
        steps.append(
            {"record_id": root["record_id"], "via_record_id": None, "depth": 0, "link": None}
        )
        queue = deque([(root["record_id"], 0)])
        while queue:
            node, depth = queue.popleft()
            neighbours = sorted(adjacency.get(node, []), key=lambda n: n[0])
            for other, link in neighbours:
                if other not in reached:
                    reached.add(other)
                    steps.append(
                        {
                            "record_id": other,
                            "via_record_id": node,
                            "depth": depth + 1,
                            "link": link,
                        }
                    )
                    queue.append((other, depth + 1))
    return steps


def link_reason(link: dict[str, Any] | None) -> str:
    """One line saying why a link holds."""
    if link is None:
        return "root: the customer's oldest record"
    if link["link_type"] == "deterministic":
        return f"deterministic {link['rule']} {json.dumps(link['top_comparisons'])}"
    if link["link_type"] == "rare_name":  # identity._rare_names
        made = link["top_comparisons"] or {}
        return (
            f"{link['rule']}: a record known by its full name alone, a name about "
            f"{made.get('expected_people')} people are expected to bear"
        )
    if link["link_type"] == "decision":
        made = link["top_comparisons"] or {}
        return f"decision {link['rule']} by {made.get('by')}: {made.get('reason')}"

    def listed(comparisons: list[dict]) -> str:
        return ", ".join(
            f"{c['comparison']}: {c['level']} ({c['weight']:+.1f})" for c in comparisons
        )

    comparisons = link["top_comparisons"] or []
    reason = f"match weight {link['match_weight']:.1f} (p={link['match_probability']:.3f}): "
    reason += listed([c for c in comparisons if c["weight"] >= 0])
    against = [c for c in comparisons if c["weight"] < 0]
    return reason + (f"; against: {listed(against)}" if against else "")


def _governance(con: duckdb.DuckDBPyConnection, customer_id: str) -> dict[str, list]:
    """Decisions covering the customer's records, and guard events about it."""
    mine = "select record_id from identity.customer_records where customer_id = $c"
    decisions = []
    if table_exists(con, "identity", "decisions"):
        decisions = dict_rows(
            con,
            f"""
select d.decision_id, d.decision, d.record_id_l, d.left_customer_id, d.record_id_r,
  d.right_customer_id, d.decided_by, d.decided_at, d.reason,
  list(distinct r.record_id order by r.record_id) as records_here
from identity.decisions d join identity.decision_records r using (decision_id)
where d.revoked_at is null and r.record_id in ({mine})
group by all order by d.decided_at""",
            {"c": customer_id},
        )
    guards = []
    if table_exists(con, "identity", "guard_events"):
        guards = dict_rows(
            con,
            f"""
select run_id, event_type, customer_id, record_id_l, record_id_r, identifier_type,
  identifier_value, detail, created_at
from identity.guard_events
where customer_id = $c or record_id_l in ({mine}) or record_id_r in ({mine})
order by created_at""",
            {"c": customer_id},
        )
    return {"decisions": decisions, "guard_events": guards}


def explain(settings: Settings, key: str) -> dict[str, Any]:
    """Records and links of every customer matching a customer id, e-mail or phone."""
    from core.warehouse import connect

    with connect(settings) as con:
        ids = _customer_ids(con, key.strip(), settings)
        if not ids:
            raise CustomerNotFoundError(
                f"no customer for {key!r}: give a customer_id, an e-mail or a phone number "
                "known to identity.identity_records (run `cdp identity resolve` first)"
            )
        customers = []
        for customer_id in ids:
            records = dict_rows(
                con,
                """
select r.record_id, r.identity_type, r.source_key, r.first_name, r.last_name, r.email, r.phone,
  r.birth_date, r.postcode, r.city, r.first_seen_at, r.last_seen_at, r.source
from identity.customer_records m join identity.identity_records r using (record_id)
where m.customer_id = ? order by r.record_id""",
                [customer_id],
            )
            links = dict_rows(
                con,
                """
select l.record_id_l, l.record_id_r, l.link_type, l.rule, l.match_weight, l.match_probability,
  l.top_comparisons, l.run_id
from identity.links l
join identity.customer_records a on a.record_id = l.record_id_l
where a.customer_id = ? order by l.link_type, l.match_weight desc nulls first""",
                [customer_id],
            )
            # golden records are the profiles build's (dbt mart): none before the first build
            golden = (
                dict_rows(
                    con, "select * from marts.golden_records where customer_id = ?", [customer_id]
                )
                if table_exists(con, "marts", "golden_records")
                else []
            )
            history = dict_rows(
                con,
                """select run_id, event, from_customer_id, to_customer_id, detail
from identity.id_history where customer_id = ? order by recorded_at""",
                [customer_id],
            )
            links = [
                {**link, "top_comparisons": json.loads(link["top_comparisons"] or "null")}
                for link in links
            ]
            customers.append(
                {
                    "customer_id": customer_id,
                    "records": records,
                    "links": links,
                    "chain": [
                        {**step, "reason": link_reason(step["link"])}
                        for step in _chain(records, links)
                    ],
                    "golden_record": golden[0] if golden else {},
                    "history": history,
                    **_governance(con, customer_id),
                }
            )
    return {"key": key, "customers": customers}


def explain_rows(settings: Settings, key: str) -> list[dict[str, Any]]:
    """The chain as flat rows: customer_id, step, record_id, via_record_id, link, reason."""
    rows = []
    for customer in explain(settings, key)["customers"]:
        for number, step in enumerate(customer["chain"], start=1):
            link = step["link"] or {}
            rows.append(
                {
                    "customer_id": customer["customer_id"],
                    "step": number,
                    "depth": step["depth"],
                    "record_id": step["record_id"],
                    "via_record_id": step["via_record_id"],
                    "link_type": link.get("link_type"),
                    "rule": link.get("rule"),
                    "match_weight": link.get("match_weight"),
                    "match_probability": link.get("match_probability"),
                    "reason": step["reason"],
                }
            )
    return rows
