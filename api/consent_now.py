"""The consent the API answers: the snapshot's mart with the refusals loaded since its build.

The writer publishes those refusals beside the snapshot
(:mod:`activation.consent_published`); for each snapshot generation and each version of
that file, the rule the exports apply (:func:`activation.consent_since_build.in_force_sql`)
is run over the serving copy's ``marts.customer_consent``, and the rows it changes are kept
as an overlay: customer -> channel -> the answer's consent block. A request then patches
the stored answer of a customer in the overlay and drops them from a segment's members on
a channel no longer sendable; every other answer is read as stored.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from activation.consent_published import PUBLISHED_COLUMNS
from activation.consent_since_build import in_force_sql
from api.answers import consent_block, to_json

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

log = logging.getLogger(__name__)

Overlay = dict[str, dict[str, dict[str, Any]]]
_MART = "marts.customer_consent"


def read_overlay(con: duckdb.DuckDBPyConnection, path: Path) -> Overlay:
    """customer -> channel -> consent block, for the rows the refusals in ``path`` change
    (``con``: a cursor on the serving catalog); empty when the file is absent."""
    import duckdb

    try:
        return _read_overlay(con, path)
    except duckdb.IOException:
        if path.exists():
            raise
        return {}  # removed while being read: no refusals since the build any more


def _read_overlay(con: duckdb.DuckDBPyConnection, path: Path) -> Overlay:
    escaped = str(path).replace("'", "''")
    refusals = f"(select {PUBLISHED_COLUMNS}, null::varchar as record_id from '{escaped}')"
    mart = f"(select * from {_MART} where customer_id in (select customer_id from {refusals}))"
    changed = " or ".join(
        f"n.{c} is distinct from m.{c}"
        for c in (
            "consent_status",
            "is_consent_granted",
            "is_sendable",
            "consent_decided_at",
            "consent_source",
        )
    )
    rows = con.execute(f"""with now as ({in_force_sql(mart, refusals)})
select n.customer_id, n.channel, n.is_consent_granted, n.is_sendable, n.consent_decided_at,
  n.consent_source
from now n join {_MART} m using (customer_id, channel)
where {changed}""").fetchall()
    overlay: Overlay = {}
    for customer_id, channel, granted, sendable, decided_at, source in rows:
        overlay.setdefault(customer_id, {})[channel] = consent_block(
            granted, sendable, decided_at, source
        )
    log.info("%d customer(s) answered with refusals loaded since the build", len(overlay))
    return overlay


def patched_answer(body: str, changes: dict[str, dict[str, Any]]) -> str:
    """A stored customer answer with the consent blocks of ``changes`` replaced."""
    answer = json.loads(body)
    answer["consent"].update(changes)
    return to_json(answer)
