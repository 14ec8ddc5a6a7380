"""The refusals loaded since the last build, published beside the snapshot for the API.

The API answers from the published snapshot, a copy of the warehouse as the last build left
it, and never opens the warehouse itself. An unsubscribe loaded after that build would reach
the API only with the next build and publish; until then the API would answer the customer
as sendable and list them among a segment's members. So whenever files are loaded (and after
an erasure), the writer computes the refusals since the build
(:func:`activation.consent_since_build.refusals_since_build`, the exports' own) and writes
them to ``<published_dir>/consent_refusals.parquet``; the API applies them to the snapshot's
mart with the same rule (:func:`activation.consent_since_build.in_force_sql`).

The file holds customer id, channel, decision time and source: no e-mail, phone or record
id (the record ids quote identifiers). It is replaced atomically, and removed when nothing
was loaded since the build. A file older than the snapshot is harmless: each refusal in it
is either in the newer mart already (a tie: the same answer) or overridden there by a later
decision (the rule keeps the later one).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from activation.consent_since_build import refusals_since_build
from core.snapshot import snapshot_path
from core.step_runs import IncompleteStepError
from core.warehouse import connect, copy_atomically, scalar, table_exists
from profiles.build import MissingMartError, require_customer_consent

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

REFUSALS_FILE = "consent_refusals.parquet"
# what the file holds: the refusal columns in_force_sql reads, record_id left out
PUBLISHED_COLUMNS = "customer_id, channel, decided_at, source"


def refusals_path(settings: Settings) -> Path:
    """Where the API finds the refusals loaded since the build of its snapshot."""
    return settings.published_dir / REFUSALS_FILE


def publish_refusals(settings: Settings, con: duckdb.DuckDBPyConnection | None = None) -> int:
    """Write (or remove) the refusals file; returns how many refusals it holds (-1: left as
    it was, a build being under way).

    Nothing is written while no snapshot is published (the API serves nothing yet). Give
    ``con``, an open warehouse connection, from inside a writer that holds it."""
    path = refusals_path(settings)
    if not snapshot_path(settings).exists():
        path.unlink(missing_ok=True)
        return 0
    if con is None:
        with connect(settings) as own:
            return _publish(own, settings, path)
    return _publish(con, settings, path)


def _publish(con: duckdb.DuckDBPyConnection, settings: Settings, path: Path) -> int:
    try:
        require_customer_consent(con, "the API's consent refusals")
    except IncompleteStepError:
        # a build under way: it publishes its snapshot, then this file, when it finishes
        log.warning("consent refusals not republished: a profiles build is under way")
        return -1
    except MissingMartError:
        path.unlink(missing_ok=True)  # no build to be newer than: the snapshot is the build's
        return 0
    refusals = (
        refusals_since_build(con, settings)
        if table_exists(con, "marts", "golden_records")
        else None
    )
    count = int(scalar(con, f"select count(*) from {refusals}")) if refusals else 0
    if not count:
        path.unlink(missing_ok=True)
        return 0
    copy_atomically(
        con, f"select {PUBLISHED_COLUMNS} from {refusals} order by customer_id, channel", path
    )
    log.info("published %d consent refusal(s) loaded since the last build to %s", count, path)
    return count
