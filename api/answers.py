"""Each customer's ``GET /v1/customers/{id}`` answer, written once per snapshot generation.

The answer of an active customer (golden record with sources and dates, profile figures,
segment, consent per channel) is assembled here from the snapshot's tables and stored as
JSON, so a request reads one row and sends its text. Retired and merged ids get a row
naming their surviving id and the ids on the way (a request checks those against the
forgotten list: a forgotten survivor makes its old ids 404 too).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from activation.golden_record import GOLDEN_ATTRIBUTES

if TYPE_CHECKING:
    import duckdb

PROFILE_GROUPS = {
    "rfm": (
        # RFM frequency is order_count, monetary lifetime_revenue (one column per figure)
        "recency_days",
        "order_count",
        "lifetime_revenue",
        "recency_score",
        "frequency_score",
        "monetary_score",
    ),
    "lifetime_value": ("lifetime_revenue", "predicted_clv", "order_count"),
    "activity": ("first_seen_at", "last_seen_at", "first_order_at", "last_order_at"),
}
CHANNELS = ("email", "sms")
MAX_ALIAS_HOPS = 20


def _encode(value: Any) -> Any:
    """What FastAPI's encoder gives for the values DuckDB returns."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent >= 0 else float(value)  # type: ignore[operator]
    return str(value)


def to_json(answer: dict[str, Any]) -> str:
    """The answer as the API sends JSON (compact, UTF-8, no NaN)."""
    return json.dumps(
        answer, default=_encode, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )


def customer_answer(
    customer_id: str,
    golden: dict[str, Any],
    profile: dict[str, Any],
    segment: dict[str, Any] | None,
) -> dict[str, Any]:
    """The answer for one active customer (empty dicts where a table has no row)."""
    answer: dict[str, Any] = {
        "customer_id": customer_id,
        "golden_record": {
            name: {
                "value": golden.get(name),
                # as the customer typed it; phone, postcode, birth date show their value
                "display": golden.get(f"{name}_display", golden.get(name)),
                "source": golden.get(f"{name}_source"),
                "updated_at": golden.get(f"{name}_updated_at"),
            }
            for name in GOLDEN_ATTRIBUTES
            if name in golden
        },
    }
    for group, names in PROFILE_GROUPS.items():
        answer[group] = {n: profile[n] for n in names if n in profile}
    answer["average_basket"] = profile.get("average_basket")
    answer["preferred_channel"] = profile.get("preferred_channel")
    answer["segment"] = segment
    answer["consent"] = {
        channel: consent_block(
            profile.get(f"is_{channel}_consent_granted"),
            profile.get(f"is_{channel}_sendable"),
            profile.get(f"{channel}_consent_decided_at"),
            profile.get(f"{channel}_consent_source"),
        )
        for channel in CHANNELS
    }
    return answer


def consent_block(granted: Any, sendable: Any, decided_at: Any, source: Any) -> dict[str, Any]:
    """One channel's consent in an answer; ``sendable`` is the flag that governs a send
    (``marts.customer_consent.is_sendable``)."""
    return {
        "granted": bool(granted),
        "sendable": bool(sendable),
        "decided_at": decided_at,
        "source": source,
    }


def survivors(
    active: dict[str, bool], moved_to: dict[str, str]
) -> dict[str, tuple[str, list[str]]]:
    """id -> (surviving id, the ids from it to the survivor) for every id that leads to an
    active customer within ``MAX_ALIAS_HOPS``; the others answer 404."""
    out = {}
    for start in {*active, *moved_to}:
        chain, seen = [start], start
        for _ in range(MAX_ALIAS_HOPS):
            if active.get(seen):
                out[start] = (seen, chain)
                break
            if seen not in moved_to:
                break
            seen = moved_to[seen]
            chain.append(seen)
    return out


def _row(struct: dict[str, Any] | None) -> dict[str, Any]:
    """A left-joined table's row as a dict; empty when the table has none for the key."""
    return struct if struct and struct.get("customer_id") is not None else {}


def write_customer_answers(con: duckdb.DuckDBPyConnection, source: str, table: str) -> int:
    """Create ``table`` (customer_id, survivor_id, chain, body) from the ``source`` catalog;
    returns its row count. The answers are encoded a batch of customers at a time."""
    import pyarrow as pa

    active = dict(
        con.execute(f"select customer_id, is_active from {source}.identity.customers").fetchall()
    )
    moved_to = dict(
        con.execute(
            f"select retired_customer_id, arg_max(customer_id, run_id) "
            f"from {source}.identity.customer_aliases group by 1"
        ).fetchall()
    )
    routes = survivors(active, moved_to)
    del active, moved_to
    ids = sorted(routes)
    bodies: dict[str, list] = {"customer_id": [], "body": []}
    cursor = con.cursor()
    try:
        # each table's row as one struct column: no name clash between their columns
        cursor.execute(f"""select c.customer_id, g, p, s
from {source}.identity.customers c
left join {source}.marts.golden_records g using (customer_id)
left join {source}.marts.customer_profile p using (customer_id)
left join {source}.marts.customer_segments s using (customer_id)
where c.is_active""")
        while batch := cursor.fetchmany(5000):
            for customer_id, golden, profile, segment in batch:
                segment = _row(segment)
                answer = customer_answer(
                    customer_id,
                    _row(golden),
                    _row(profile),
                    {k: segment[k] for k in ("segment", "segment_entered_at")} if segment else None,
                )
                bodies["customer_id"].append(customer_id)
                bodies["body"].append(to_json(answer))
    finally:
        cursor.close()
    con.register(
        "answer_routes",
        pa.table(
            {
                "customer_id": ids,
                "survivor_id": [routes[i][0] for i in ids],
                "chain": [routes[i][1] for i in ids],
            }
        ),
    )
    con.register("answer_bodies", pa.table(bodies))
    try:
        con.execute(f"""create table {table} as
select r.customer_id, r.survivor_id, r.chain, b.body from answer_routes r
left join answer_bodies b on b.customer_id = r.customer_id and r.survivor_id = r.customer_id
order by r.customer_id""")
    finally:
        con.unregister("answer_routes")
        con.unregister("answer_bodies")
    return len(ids)
