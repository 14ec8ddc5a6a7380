"""What the API answers about customers, read from one snapshot view.

Each function takes the request's :class:`api.snapshots.View`; a forgotten customer is
treated as absent everywhere. Columns missing from an older snapshot are left out of the
answer rather than failing it.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from activation.golden_record import GOLDEN_ATTRIBUTES

if TYPE_CHECKING:
    from api.snapshots import View

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
_MAX_ALIAS_HOPS = 20


class CustomerNotFound(LookupError):
    """No customer (or a forgotten one) under that id or identifier."""


class CustomerMoved(Exception):
    """A retired id: the customer lives on under ``customer_id``."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(customer_id)
        self.customer_id = customer_id


def _row(view: View, sql: str, params: list) -> dict[str, Any] | None:
    cursor = view.cursor.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row, strict=True))


def surviving_id(view: View, customer_id: str) -> str:
    """The active id for ``customer_id``: itself, or its survivor through the alias chain."""
    seen = customer_id
    for _ in range(_MAX_ALIAS_HOPS):
        if seen in view.forgotten:
            raise CustomerNotFound(customer_id)
        active = view.cursor.execute(
            "select is_active from identity.customers where customer_id = ?", [seen]
        ).fetchone()
        if active and active[0]:
            return seen
        moved = view.cursor.execute(
            "select customer_id from identity.customer_aliases where retired_customer_id = ? "
            "order by run_id desc limit 1",
            [seen],
        ).fetchone()
        if not moved:
            raise CustomerNotFound(customer_id)
        seen = moved[0]
    raise CustomerNotFound(customer_id)


def customer(view: View, customer_id: str) -> dict[str, Any]:
    """The golden record with sources and dates, profile figures, segment, consent."""
    survivor = surviving_id(view, customer_id)
    if survivor != customer_id:
        raise CustomerMoved(survivor)
    golden = _row(view, "select * from identity.golden_records where customer_id = ?", [survivor])
    golden = golden or {}
    answer: dict[str, Any] = {
        "customer_id": survivor,
        **view.run,
        "golden_record": {
            name: {
                "value": golden.get(name),
                "source": golden.get(f"{name}_source"),
                "updated_at": golden.get(f"{name}_updated_at"),
            }
            for name in GOLDEN_ATTRIBUTES
            if name in golden
        },
    }
    profile = (
        _row(view, "select * from marts.customer_profile where customer_id = ?", [survivor]) or {}
    )
    for group, names in PROFILE_GROUPS.items():
        answer[group] = {n: profile[n] for n in names if n in profile}
    answer["average_basket"] = profile.get("average_basket")
    answer["preferred_channel"] = profile.get("preferred_channel")
    segment = _row(
        view,
        "select segment, segment_entered_at from marts.customer_segments where customer_id = ?",
        [survivor],
    )
    answer["segment"] = segment
    answer["consent"] = {
        channel: {
            "granted": bool(profile.get(f"is_{channel}_consent_granted")),
            "decided_at": profile.get(f"{channel}_consent_decided_at"),
            "source": profile.get(f"{channel}_consent_source"),
        }
        for channel in CHANNELS
    }
    return answer


def find_by_identifier(view: View, kind: str, value: str, standardised: Any) -> list[str]:
    """Active customers holding the identifier (standardised as the pipeline does)."""
    if kind in ("email", "phone"):
        if standardised is None:
            return []
        rows = view.cursor.execute(
            "select distinct customer_id from main.identifier_customers "
            "where kind = ? and value = ? order by 1",
            [kind, standardised],
        ).fetchall()
    else:
        rows = view.cursor.execute(
            "select customer_id from identity.customer_records where record_id = ?",
            [standardised],
        ).fetchall()
    return [r[0] for r in rows if r[0] not in view.forgotten]


def _encode(values: list[Any]) -> str:
    text = json.dumps([str(v) for v in values])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, parts: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as error:
        raise ValueError(f"cursor {cursor!r} is not one this API gave out") from error
    if not isinstance(values, list) or len(values) != parts:
        raise ValueError(f"cursor {cursor!r} is not one this API gave out")
    return values


def timeline(view: View, customer_id: str, limit: int, before: str | None) -> dict[str, Any]:
    """Touchpoints, newest first; ``next`` is the cursor for the page after this one."""
    survivor = surviving_id(view, customer_id)
    if survivor != customer_id:
        raise CustomerMoved(survivor)
    where, params = "customer_id = ?", [survivor]
    if before:
        occurred_at, touchpoint_id = _decode(before, 2)
        where += " and (occurred_at, touchpoint_id) < (?::timestamp, ?)"
        params += [occurred_at, touchpoint_id]
    cursor = view.cursor.execute(
        "select touchpoint_id, occurred_at, channel, event_type, amount, detail "
        f"from marts.customer_timeline where {where} "
        f"order by occurred_at desc, touchpoint_id desc limit {int(limit) + 1}",
        params,
    )
    names = [c[0] for c in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if page else None
    return {
        "customer_id": survivor,
        **view.run,
        "touchpoints": page,
        "next": _encode([last["occurred_at"], last["touchpoint_id"]]) if more and last else None,
    }


def segment_members(
    view: View, segment: str, channel: str, limit: int, after: str | None
) -> dict[str, Any]:
    """Customer ids of a segment whose consent for ``channel`` is granted, by id."""
    where, params = "s.segment = ?", [segment]
    if after:
        (last_id,) = _decode(after, 1)
        where += " and s.customer_id > ?"
        params.append(last_id)
    rows = view.cursor.execute(
        f"""select s.customer_id from marts.customer_segments s
join marts.customer_profile p using (customer_id)
where {where} and p.is_{channel}_consent_granted
order by s.customer_id limit {int(limit) + 1}""",
        params,
    ).fetchall()
    ids = [r[0] for r in rows]
    page, more = ids[:limit], len(ids) > limit
    return {
        "segment": segment,
        "channel": channel,
        **view.run,
        "customer_ids": [c for c in page if c not in view.forgotten],
        "next": _encode([page[-1]]) if more and page else None,
    }
