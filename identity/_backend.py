"""Where Splink runs, and how tables travel between the warehouse connection and Splink.

On DuckDB (the default engine), Splink works in an in-memory catalog (:data:`SCRATCH`)
attached to the warehouse connection, through a cursor whose default catalog it is: an input
is written there with one ``CREATE TABLE AS`` and Splink's outputs are read back by their
qualified name. Nothing crosses into Python or Arrow, Splink's working tables never touch
the warehouse file, and detaching the catalog frees them.

On Spark (``CDP_ENGINE=spark``, docs/scale.md), tables travel through the Parquet lake's
work area (``core.lake``): an input is written by DuckDB with ``COPY`` and read by Spark with
``spark.read.parquet``; a result is written by Spark and read back by DuckDB. Blocking,
term frequencies, scoring and clustering run on the cluster; the counts training asks for
are read by DuckDB from the same files. Nothing travels as pandas frames.
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

from core.warehouse import one_row, scalar, sql_literal

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from core.settings import Settings

log = logging.getLogger(__name__)
SCRATCH = "identity_splink"
GRAPH_IDS = "_identity_graph_ids"  # record_id -> the integer connected components see


def make_db_api():
    """A fresh, standalone DuckDB database for Splink (benchmarks, ad-hoc scoring)."""
    from splink import DuckDBAPI

    return DuckDBAPI()


def arrow(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> pa.Table:
    """A query's result as an Arrow table (the copy DuckDB warns about is small here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return con.execute(sql, params).to_arrow_table()


def to_arrow(splink_df) -> pa.Table:
    """A DuckDB-backed Splink result as Arrow."""
    return splink_df.as_duckdbpyrelation().to_arrow_table()


def _spark_db_api(settings: Settings):
    from splink import SparkAPI
    from splink.backends.spark import similarity_jar_location

    from core.lake import WORK, uri
    from core.spark import spark_session, splink_options

    options = splink_options(settings)
    spark = spark_session(settings, jars=[similarity_jar_location()])
    # with `parquet` or `checkpoint`, Splink cuts its query lineages by writing there: a place
    # every executor reads (docs/scale.md)
    spark.sparkContext.setCheckpointDir(uri(settings, WORK, "checkpoints"))
    return SparkAPI(spark_session=spark, **options)


def _parquet_files(frame) -> list[str]:
    """The Parquet files a Spark DataFrame is, when it is a bare scan of them (its optimised
    plan one file relation: no filter, no projection), else []: nothing to recompute."""
    try:
        plan = frame._jdf.queryExecution().optimizedPlan()
        if plan.getClass().getSimpleName() != "LogicalRelation":
            return []
        found = list(frame.inputFiles())
    except Exception:  # py4j internals moved (another Spark): write the result instead
        log.debug("cannot tell whether a Spark result is a Parquet scan", exc_info=True)
        return []
    return found if all(f.endswith(".parquet") for f in found) else []


class SplinkTables:
    """Splink's database for one run, and the tables it was given (use as a context).

    ``settings`` chooses the engine (``settings.engine``); without them, DuckDB."""

    def __init__(self, con: duckdb.DuckDBPyConnection, settings: Settings | None = None) -> None:
        self.con = con
        self.settings = settings
        self.is_duckdb = settings is None or settings.engine == "duckdb"
        self._frames: dict = {}
        self._tables: dict[str, str] = {}  # name -> relation the warehouse connection reads
        self._results: list[str] = []
        self._cursor: duckdb.DuckDBPyConnection | None = None
        if self.is_duckdb:
            from splink import DuckDBAPI

            con.execute(f"attach if not exists ':memory:' as {SCRATCH}")
            self._cursor = con.cursor()
            self._cursor.execute(f"use {SCRATCH}")
            # DuckDBAPI or SparkAPI, as the engine says
            self.db_api: Any = DuckDBAPI(connection=self._cursor)
        else:
            assert settings is not None
            self.db_api = _spark_db_api(settings)

    @property
    def dialect(self) -> str:
        """Splink's SQL dialect of the engine (``duckdb`` or ``spark``)."""
        return self.db_api.sql_dialect.sql_dialect_str

    def __enter__(self) -> SplinkTables:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _work(self, name: str) -> str:
        from core.lake import WORK, uri

        assert self.settings is not None
        return uri(self.settings, WORK, name)

    def put(self, name: str, sql: str):
        """Give Splink the rows of a warehouse query as table ``name``; its SplinkDataFrame."""
        if self.is_duckdb:
            # Splink looks columns up by bare table name in information_schema, across every
            # attached catalog: the prefix keeps warehouse tables of the same name out.
            physical = f"_identity_splink_{name}"
            self.con.execute(f"create or replace table {SCRATCH}.main.{physical} as {sql}")
            frame = self.db_api.register(physical, dataset_display_name=name)
            self._tables[name] = f"{SCRATCH}.main.{physical}"
        else:
            from core.lake import copy_query, files

            location = self._work(name)
            copy_query(self.con, sql, location)
            frame = self.db_api.register(
                self.db_api.spark.read.parquet(location), dataset_display_name=name
            )
            self._tables[name] = f"read_parquet('{files(location)}')"
        self._frames[name] = frame
        return frame

    def put_graph(self, nodes_sql: str, edges_sql: str) -> tuple[Any, Any]:
        """Give Splink a graph's nodes (``record_id``) and edges (``record_id_l``,
        ``record_id_r``) for connected components, numbered (:meth:`number_graph`); their
        SplinkDataFrames."""
        edges = self.number_graph(nodes_sql, edges_sql)
        nodes = self.put("cluster_nodes", f"select node as record_id from {GRAPH_IDS}")
        return nodes, self.put("cluster_edges", edges)

    def number_graph(self, nodes_sql: str, edges_sql: str) -> str:
        """Number a graph's nodes (``record_id``) 1 to n; a query of its edges
        (``record_id_l``, ``record_id_r``) by number.

        Connected components see dense integers (named back by :meth:`name_components`):
        Spark takes a string's minimum with a sort (`SortAggregate`) and shuffles and joins
        the long string ids in every iteration, and DuckDB hashes and compares them in every
        iteration too, where integers are hashed and compared in place (connected
        components: half the CPU at 100k records on Spark; at 1M records on DuckDB 2.0 s
        instead of 3.9, the numbering included). Numbered in no order (a sort of the ids
        cost 0.4 s of CPU at 1M records): each component is named by its smallest record
        id."""
        self.con.execute(
            f"create or replace temp table {GRAPH_IDS} as select record_id, "
            f"row_number() over () as node from ({nodes_sql})"
        )
        self._results.append(GRAPH_IDS)
        return (
            f"select l.node as record_id_l, r.node as record_id_r from ({edges_sql}) e "
            f"join {GRAPH_IDS} l on l.record_id = e.record_id_l "
            f"join {GRAPH_IDS} r on r.record_id = e.record_id_r"
        )

    def read_graph(self, splink_df, name: str) -> str:
        """Splink's connected components of a graph given with :meth:`put_graph` as a
        relation (record_id, cluster_id) the warehouse connection reads."""
        return self.name_components(self.read(splink_df, f"{name}_by_node"), name)

    def name_components(self, components: str, name: str) -> str:
        """Temp table ``name`` (record_id, cluster_id) of the components of a graph numbered
        by :meth:`number_graph` (``components``: a relation of its node numbers as
        ``record_id`` and their components as ``cluster_id``), each named by its smallest
        record id."""
        return self.keep(
            name,
            "select m.record_id, min(m.record_id) over (partition by k.cluster_id) as cluster_id "
            f"from {components} k join {GRAPH_IDS} m on m.node = k.record_id",
        )

    def keep(self, name: str, sql: str) -> str:
        """Temp table ``name`` of a query's rows on the warehouse connection, dropped with
        Splink's tables at :meth:`close`."""
        self.con.execute(f"create or replace temp table {name} as {sql}")
        self._results.append(name)
        return name

    def has(self, name: str) -> bool:
        """True when a table of that name was given with :meth:`put`."""
        return name in self._frames

    def frame(self, name: str):
        """The SplinkDataFrame of a table given with :meth:`put`."""
        return self._frames[name]

    def rows(self, name: str) -> int:
        """Row count of a table given with :meth:`put`."""
        return scalar(self.con, f"select count(*) from {self._tables[name]}")

    def non_null_counts(self, name: str, columns: tuple[str, ...]) -> dict[str, int]:
        """How many rows of a table given with :meth:`put` carry each column."""
        counts = one_row(
            self.con,
            "select " + ", ".join(f"count({c})" for c in columns) + f" from {self._tables[name]}",
        )
        return dict(zip(columns, counts, strict=True))

    def pairs_carrying(
        self, name: str, keys: list[str], carrying: dict[str, tuple[str, ...]], floor: int
    ) -> set[str]:
        """The entries of ``carrying`` (label -> columns) that at least ``floor`` pairs of
        rows equal on ``keys`` (an EM session's blocking) carry, both rows holding one of
        the entry's columns: the comparisons the session sees enough of.

        Counted over a sixteenth of the key values first (by their hash): each value's pairs
        are counted whole there, so an entry reaching the floor there reaches it over every
        row; only the entries falling short are counted over every row (at 1M records 0.04-0.09
        s of CPU a session instead of 0.21-0.24, every entry reaching the floor in the
        sample)."""
        sample = f"hash({', '.join(keys)}) % 16 = 0"
        short = [
            label
            for label, n in self._pairs_carrying(name, keys, carrying, sample).items()
            if n < floor
        ]
        if short:
            counted = self._pairs_carrying(name, keys, {c: carrying[c] for c in short})
            short = [label for label, n in counted.items() if n < floor]
        return set(carrying) - set(short)

    def _pairs_carrying(
        self,
        name: str,
        keys: list[str],
        carrying: dict[str, tuple[str, ...]],
        sample: str = "true",
    ) -> dict[str, int]:
        """Pairs of rows equal on ``keys`` in which both rows carry one of each entry's
        columns, among the rows ``sample`` keeps."""
        if not carrying:
            return {}
        table = self._tables[name]
        key_ok = " and ".join(f"{k} is not null" for k in keys)
        # one grouping of the table for every entry, not one per entry
        per_key = ", ".join(
            f"count(*) filter (where {' or '.join(f'{c} is not null' for c in columns)}) as n{i}"
            for i, columns in enumerate(carrying.values())
        )
        pairs = ", ".join(f"coalesce(sum(n{i} * (n{i} - 1) / 2), 0)" for i in range(len(carrying)))
        counts = one_row(
            self.con,
            f"select {pairs} from (select {per_key} from {table} where {key_ok} and {sample} "
            f"group by {', '.join(keys)})",
        )
        return {label: int(n) for label, n in zip(carrying, counts, strict=True)}

    def repeat_probability(self, name: str, column: str) -> float:
        """The chance that two random rows carrying ``column`` hold the same value (the sum
        of squared term frequencies): the u of an exact match on it."""
        value = scalar(
            self.con,
            f"select sum(n * n) / pow(sum(n), 2) from (select count(*) n "
            f"from {self._tables[name]} where {column} is not null group by {column})",
        )
        return float(value or 0.0)

    def read(self, splink_df, name: str) -> str:
        """A relation name the warehouse connection can query for a Splink result."""
        if self.is_duckdb:
            return f"{SCRATCH}.main.{splink_df.physical_name}"
        from core.lake import files

        frame = splink_df.as_spark_dataframe()
        written = _parquet_files(frame)
        if written:
            # Splink cut the table's lineage by writing it (`parquet`): read those files
            # rather than have Spark write the same rows again (one job fewer per result)
            source = "[" + ", ".join(sql_literal(f.removeprefix("file://")) for f in written) + "]"
        else:
            location = self._work(name)
            frame.write.mode("overwrite").parquet(location)
            source = f"'{files(location)}'"
        self.con.execute(
            f"create or replace temp table {name} as select * from read_parquet({source})"
        )
        self._results.append(name)
        return name

    def close(self) -> None:
        """Free Splink's tables: detach the scratch catalog, or drop what came back from
        Spark and delete the run's working files."""
        for name in self._results:
            self.con.execute(f"drop table if exists {name}")
        self._results.clear()
        if self.is_duckdb and self._cursor is not None:
            self._cursor.close()
            self._cursor = None
            self.con.execute(f"detach database if exists {SCRATCH}")
        elif not self.is_duckdb and self.settings is not None and self._frames:
            from core.lake import remove_work

            self._drop_spark_views()
            self._frames.clear()
            remove_work(self.settings)

    def _drop_spark_views(self) -> None:
        """Drop the session's views of this run's inputs and of Splink's tables (which
        uncaches what Splink persisted): the session outlives the run, and a second run in
        the process (train, then resolve) registers the same names again."""
        catalog = self.db_api.spark.catalog
        for table in catalog.listTables():
            if table.isTemporary and (
                table.name in self._frames or table.name.startswith("__splink__")
            ):
                catalog.dropTempView(table.name)
