"""POST /v1/identify: who an incoming person is, and (when asked) queue them for the RCU.

A strong identifier (loyalty card, e-shop account) answers deterministically; otherwise the
attributes are scored with the saved Splink model against the snapshot's records
(:mod:`identity._realtime`, one scorer per snapshot generation, reading its candidates in
the serving copy's records sorted by blocking key). With ``record: true`` the
contact is written as a call-center ticket export into the landing folder, so the next
``cdp ingest`` + ``cdp identity resolve`` take it in like any other touchpoint; the API
never writes the warehouse.
"""

from __future__ import annotations

import csv
import io
import threading
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.app import IdentifyRequest
    from api.snapshots import View
    from core.settings import Settings

_TICKET_COLUMNS = (
    "ticket_id;opened_at;closed_at;caller_name;caller_phone;caller_email;loyalty_number;"
    "channel;reason;status;duration_sec;csat;verbatim"
).split(";")
_SCORER_LOCK = threading.Lock()


def _scorer(settings: Settings, view: View):
    from api.serving import records_by
    from identity import realtime_scorer

    cache = view.generation.cache
    with _SCORER_LOCK:
        if "scorer" not in cache:  # per generation: term frequencies follow the records
            cache["scorer"] = realtime_scorer(settings, view.cursor, records_by(view.cursor))
    return cache["scorer"]


def identify_person(settings: Settings, view: View, body: IdentifyRequest) -> dict[str, Any]:
    """The customer the attributes name (probability, reasons) or ``new``."""
    from identity import standardise_attributes
    from identity._realtime import Identification, identify_keyed

    answer: dict[str, Any] = {**view.run}
    keyed = None
    for kind in ("loyalty_card", "web_account"):
        value = getattr(body, kind)
        if value:
            keyed = identify_keyed(view.cursor, kind, value)
            if keyed and keyed[0] not in view.forgotten:
                answer.update(
                    customer_id=keyed[0],
                    match_probability=1.0,
                    reasons=[{"comparison": kind, "level": f"same {kind}", "weight": None}],
                    matched_record_id=keyed[1],
                )
                break
            keyed = None
    if keyed is None:
        record = standardise_attributes(view.cursor, settings, body.model_dump())
        found = _scorer(settings, view).score(view.cursor, record)
        if found.customer_id in view.forgotten:
            # answered as no match at all: the matched record's id quotes the person's
            # identifiers, and its reasons what they hold
            found = Identification(None, None, None)
        answer.update(
            customer_id=found.customer_id or "new",
            match_probability=found.match_probability,
            match_weight=found.match_weight,
            reasons=found.reasons,
            matched_record_id=found.matched_record_id,
            refused=[r for r in found.refused if r["customer_id"] not in view.forgotten],
        )
    if body.record:
        answer["queued_ticket_id"] = queue_contact(settings, body)
    return answer


def queue_contact(settings: Settings, body: IdentifyRequest) -> str:
    """Write the contact as a one-ticket call-center export; returns its ticket id."""
    ticket_id = "API-" + uuid.uuid4().hex[:12].upper()
    now = datetime.now().strftime("%d/%m/%Y %H:%M:%S")  # local time, as the call center exports
    name = " ".join(p for p in (body.last_name, body.first_name) if p)
    row = {
        "ticket_id": ticket_id,
        "opened_at": now,
        "closed_at": now,
        "caller_name": name,
        "caller_phone": body.phone or "",
        "caller_email": body.email or "",
        "loyalty_number": body.loyalty_card or "",
        "channel": body.channel,
        "reason": "api_identify",
        "status": "closed",
        "duration_sec": "",
        "csat": "",
        "verbatim": "",
    }
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_TICKET_COLUMNS, delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    folder = settings.landing_dir / "callcenter"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d")
    final = folder / f"tickets_{stamp}_api_{ticket_id.lower()}.csv"
    partial = folder / f".{final.name}.partial"  # outside the tickets_*.csv glob until complete
    partial.write_text(out.getvalue(), encoding="utf-8-sig")
    partial.replace(final)
    return ticket_id
