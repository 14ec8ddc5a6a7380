"""What the API answers about customers, read from one snapshot view.

Each function takes the request's :class:`api.snapshots.View` and makes one read of the
serving copy (:mod:`api.serving`); answers stored as JSON there are sent as text, with the
run spliced in. A forgotten customer is treated as absent everywhere; a consent refusal
loaded since the build is applied wherever consent is answered (:mod:`api.consent_now`).
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from api.consent_now import patched_answer
from core.warehouse import one_row

if TYPE_CHECKING:
    from api.snapshots import View
    from identity._config import IdentityConfig


class CustomerNotFound(LookupError):
    """No customer (or a forgotten one) under that id or identifier."""


class CustomerMoved(Exception):
    """A retired id: the customer lives on under ``customer_id``."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(customer_id)
        self.customer_id = customer_id


def _survivor(view: View, customer_id: str, survivor: str | None, chain: list[str]) -> str:
    """The active id ``customer_id`` leads to; 404 when none does or one on the way is
    forgotten, 308 (:class:`CustomerMoved`) when it is not ``customer_id`` itself."""
    if survivor is None or any(c in view.forgotten for c in chain):
        raise CustomerNotFound(customer_id)
    if survivor != customer_id:
        raise CustomerMoved(survivor)
    return survivor


def _route(view: View, customer_id: str) -> tuple[str | None, list[str]]:
    row = view.cursor.execute(
        "select survivor_id, chain from main.customer_answers where customer_id = ?",
        [customer_id],
    ).fetchone()
    if row is None:
        raise CustomerNotFound(customer_id)
    return row[0], row[1]


def customer(view: View, customer_id: str) -> dict[str, Any]:
    """The customer's answer as a dict (the console's pages read it)."""
    return json.loads(customer_json(view, customer_id))


def customer_json(view: View, customer_id: str) -> str:
    """The stored JSON answer (golden record, profile figures, segment, consent) with the
    run spliced in: one indexed read (``api.answers``)."""
    row = view.cursor.execute(
        "select survivor_id, chain, body from main.customer_answers where customer_id = ?",
        [customer_id],
    ).fetchone()
    if row is None:
        raise CustomerNotFound(customer_id)
    _survivor(view, customer_id, row[0], row[1])
    body = row[2]
    if customer_id in view.consent:  # a refusal loaded since the build (api.consent_now)
        body = patched_answer(body, view.consent[customer_id])
    return f"{body[:-1]},{view.generation.run_json}}}"


def find_by_identifier(view: View, kind: str, value: str, standardised: Any) -> list[str]:
    """Active customers holding an identifier already standardised (the console's search)."""
    from identity._realtime_input import KEYED_IDENTIFIERS

    if kind in ("email", "phone"):
        if standardised is None:
            return []
        found = view.cursor.execute(
            "select customer_ids from main.identifier_customers where kind = ? and value = ?",
            [kind, standardised],
        ).fetchone()
        return [c for c in (found[0] if found else []) if c not in view.forgotten]
    rows = view.cursor.execute(
        "select customer_id from identity.customer_records where record_id = ?",
        [f"{KEYED_IDENTIFIERS[kind]}:{value.strip()}"],
    ).fetchall()
    return [r[0] for r in rows if r[0] not in view.forgotten]


def find_customers(view: View, kind: str, value: str, config: IdentityConfig) -> list[str]:
    """Active customers holding the identifier, standardised as the pipeline does: one read
    that standardises and looks up (keyed identifiers: the record id is the key)."""
    from core.identifiers import email_canonical
    from identity._realtime_input import drop_blocked, phone_fallback, standardise_sql

    if kind not in ("email", "phone"):
        return find_by_identifier(view, kind, value, None)
    if kind == "email" and value.isascii():
        canonical = email_canonical(value, config.standardisation)
        standardised = drop_blocked({kind: canonical}, config)[kind]
        return find_by_identifier(view, kind, value, standardised)
    standardised, ids = one_row(
        view.cursor,
        f"select s.value, i.customer_ids from (select {standardise_sql(kind, '$1', config)} "
        "as value) s left join main.identifier_customers i on i.kind = $2 and i.value = s.value",
        [value, kind],
    )
    if standardised is None and kind == "phone":  # what SQL cannot tell, Python can
        standardised = phone_fallback(value, config)
        if drop_blocked({kind: standardised}, config)[kind] is None:
            return []
        return find_by_identifier(view, kind, value, standardised)
    if drop_blocked({kind: standardised}, config)[kind] is None:
        return []
    return [c for c in ids or [] if c not in view.forgotten]


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
    """The timeline page as a dict (the console's pages read it)."""
    return json.loads(timeline_json(view, customer_id, limit, before))


def timeline_json(view: View, customer_id: str, limit: int, before: str | None) -> str:
    """Touchpoints newest first, as JSON; ``next`` is the cursor for the page after this one.
    Two point reads: the customer's survivor row, then the page of stored touchpoint JSON
    (as one query with a join, DuckDB takes longer to plan it than to run both)."""
    survivor = _survivor(view, customer_id, *_route(view, customer_id))
    where, params = "customer_id = ?", [survivor]
    if before:
        occurred_at, touchpoint_id = _decode(before, 2)
        where += " and (occurred_at, touchpoint_id) < (?::timestamp, ?)"
        params += [occurred_at, touchpoint_id]
    rows = view.cursor.execute(
        f"select occurred_at, touchpoint_id, item from main.timeline_items where {where} "
        f"order by occurred_at desc, touchpoint_id desc limit {int(limit) + 1}",
        params,
    ).fetchall()
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if page else None
    cursor = json.dumps(_encode([last[0], last[1]])) if more and last else "null"
    head = json.dumps({"customer_id": survivor})[:-1]
    items = ",".join(r[2] for r in page)
    return f'{head},{view.generation.run_json},"touchpoints":[{items}],"next":{cursor}}}'


def segment_members(
    view: View, segment: str, channel: str, limit: int, after: str | None
) -> dict[str, Any]:
    """Customer ids of a segment a send on ``channel`` is allowed to (consent in force and a
    reachable contact point: ``marts.customer_consent.is_sendable``, with the refusals loaded
    since the build applied), by id."""
    where, params = "s.segment = ?", [segment]
    if after:
        (last_id,) = _decode(after, 1)
        where += " and s.customer_id > ?"
        params.append(last_id)
    rows = view.cursor.execute(
        f"""select s.customer_id from marts.customer_segments s
join marts.customer_consent c on c.customer_id = s.customer_id and c.channel = ?
where {where} and c.is_sendable
order by s.customer_id limit {int(limit) + 1}""",
        [channel, *params],
    ).fetchall()
    ids = [r[0] for r in rows]
    page, more = ids[:limit], len(ids) > limit
    return {
        "segment": segment,
        "channel": channel,
        **view.run,
        "customer_ids": [
            c for c in page if c not in view.forgotten and not view.refused_since_build(c, channel)
        ],
        "next": _encode([page[-1]]) if more and page else None,
    }
