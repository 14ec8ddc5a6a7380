"""Which raw rows an incremental run must read again: those of batches loaded since the last.

Ingestion only appends to raw tables, one batch (``_batch_id``) per file. Each run stores how
many rows each batch of each raw table held (``identity.extraction_state``) with a hash of
what turns raw rows into records (the `identities:` mappings and the standardisation
settings). The next incremental run re-reads only the source keys that appear in batches
that are new or grew: every other record keeps its stored row. Anything else (the first
run, a changed mapping or setting, a raw table without ``_batch_id``, a batch that shrank or
vanished, as after an erasure) reads everything, as a full run does.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING

from core.warehouse import one_row
from identity._tables import CHANGED_KEYS, EXTRACTION_STATE_NOW

if TYPE_CHECKING:
    import duckdb

    from identity._config import IdentityMapping

log = logging.getLogger(__name__)

STATE = "identity.extraction_state"
CURRENT = EXTRACTION_STATE_NOW
# the record ids of the source keys an incremental run re-reads
REREAD_RECORD_IDS = f"select identity_type || ':' || source_key from {CHANGED_KEYS}"


def _state_hash(mappings: list[IdentityMapping], settings_hash: str) -> str:
    described = {
        "mappings": [m.model_dump(mode="json") for m in mappings],
        "settings": settings_hash,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def measure(
    con: duckdb.DuckDBPyConnection, mappings: list[IdentityMapping], settings_hash: str
) -> bool:
    """Count the rows per batch of every mapped raw table (kept for this run's state);
    False when a table has no batches to count (then no state is kept)."""
    from core.warehouse import columns_of

    tables = sorted({m.raw_table for m in mappings})
    if not all("_batch_id" in columns_of(con, t) for t in tables):
        con.execute(
            f"create or replace temp table {CURRENT} (raw_table varchar, batch_id varchar, "
            "row_count bigint, state_hash varchar)"
        )
        return False
    counts = " union all ".join(
        f"select '{t}' as raw_table, _batch_id as batch_id, count(*) as row_count "
        f"from {t} group by _batch_id"
        for t in tables
    )
    con.execute(
        f"create or replace temp table {CURRENT} as select *, "
        f"'{_state_hash(mappings, settings_hash)}' as state_hash from ({counts})"
    )
    return True


def changed_keys(con: duckdb.DuckDBPyConnection, mappings: list[IdentityMapping]) -> bool:
    """Build :data:`CHANGED_KEYS` (identity_type, source_key) from the batches that are new
    or grew since the stored state; False when the whole raw layer must be read."""
    from core.warehouse import table_exists

    if not table_exists(con, "identity", "extraction_state"):
        return False
    lost, stale = one_row(
        con,
        f"""select
  (select count(*) from {STATE} s left join {CURRENT} c using (raw_table, batch_id)
   where c.row_count is null or c.row_count < s.row_count),
  (select count(*) from {CURRENT} where state_hash not in (select state_hash from {STATE}))
    + (select cast(count(*) = 0 as integer) from {STATE})""",
    )
    if lost or stale:
        log.info("raw batches shrank or the mappings changed: reading every raw row")
        return False
    con.execute(f"""create or replace temp table _identity_new_batches as
select c.raw_table, c.batch_id from {CURRENT} c left join {STATE} s using (raw_table, batch_id)
where s.row_count is null or c.row_count > s.row_count""")
    keys = " union all ".join(
        f"select '{m.identity_type}' as identity_type, cast(({m.source_key}) as varchar) "
        f"as source_key from {m.raw_table} where _batch_id in (select batch_id from "
        f"_identity_new_batches where raw_table = '{m.raw_table}')"
        + (f" and ({m.where})" if m.where else "")
        for m in mappings
    )
    con.execute(f"create or replace temp table {CHANGED_KEYS} as select distinct * from ({keys})")
    return True


def only_changed(mapping: IdentityMapping) -> str:
    """SQL filter on a mapping's raw rows: those of its changed source keys."""
    return (
        f"cast(({mapping.source_key}) as varchar) in (select source_key from {CHANGED_KEYS} "
        f"where identity_type = '{mapping.identity_type}')"
    )


def save(con: duckdb.DuckDBPyConnection) -> None:
    """Store this run's batch counts (inside the run's transaction)."""
    con.execute(f"create or replace table {STATE} as select * from {CURRENT}")
