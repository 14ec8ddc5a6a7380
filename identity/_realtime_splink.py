"""Splink's own scoring of known pairs with the saved model, for the console's waterfall.

Splink's ``compare_records`` scores pairs in a private in-memory DuckDB database (never the
warehouse's), opened on first use; one scoring at a time, since its tables are shared.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from core.warehouse import rows

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb
    import pyarrow as pa


class SplinkPairScorer:
    """Scores given pairs of records with Splink and the saved ``model``.

    ``prepare(con, records)`` turns the records (Arrow, record columns) into Splink's input
    (derived columns, term frequencies), with ``con`` the private database."""

    def __init__(
        self,
        model: dict[str, Any],
        prepare: Callable[[duckdb.DuckDBPyConnection, pa.Table], pa.Table],
    ) -> None:
        self.model = model
        self._prepare = prepare
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._db_api: Any = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            import duckdb
            from splink import DuckDBAPI

            self._con = duckdb.connect()
            self._db_api = DuckDBAPI(connection=self._con)
        return self._con

    def compare(self, records: pa.Table, pairs: pa.Table) -> list[dict[str, Any]]:
        """Splink's scored rows (``compare_records``, every comparison's columns) for
        ``pairs`` (``record_id_l``, ``record_id_r``) of ``records``."""
        from splink.internals.realtime import compare_records

        with self._lock:
            con = self._open()
            con.register("waterfall_records", self._prepare(con, records))
            con.register("waterfall_pairs", pairs)
            try:
                # the pairs are a table, so the SQL is the same on every call: Splink caches it
                scored = compare_records(
                    "waterfall_records",
                    "waterfall_records",
                    self.model,
                    self._db_api,
                    sql_cache_key=f"cdp_waterfall_{id(self)}",
                    join_condition="exists (select 1 from waterfall_pairs p where "
                    "p.record_id_l = l.record_id and p.record_id_r = r.record_id)",
                )
                try:
                    return rows(con, f"select * from {scored.physical_name}")
                finally:
                    scored.drop_table_from_database_and_remove_from_cache(
                        force_non_splink_table=True
                    )
            finally:
                con.unregister("waterfall_records")
                con.unregister("waterfall_pairs")

    def close(self) -> None:
        """Close the private database, if it was opened."""
        if self._con is not None:
            self._con.close()
            self._con = None
