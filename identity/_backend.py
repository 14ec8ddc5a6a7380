"""Where Splink runs, and how tables travel between the warehouse connection and Splink.

On DuckDB, Splink works in an in-memory catalog (:data:`SCRATCH`) attached to the warehouse
connection, through a cursor whose default catalog it is: an input is written there with one
``CREATE TABLE AS`` and Splink's outputs are read back by their qualified name. Nothing
crosses into Python or Arrow, Splink's working tables never touch the warehouse file, and
detaching the catalog frees them. Other backends (Spark, the ``spark`` extra) receive
Arrow tables as pandas frames and hand their results back through Arrow.
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

from core.warehouse import one_row, scalar

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from identity._config import IdentityConfig

log = logging.getLogger(__name__)
SCRATCH = "identity_splink"


def make_db_api(config: IdentityConfig):
    """The one place that picks Splink's backend (a fresh, standalone database)."""
    if config.backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    from pyspark.sql import SparkSession  # the `spark` extra
    from splink import SparkAPI
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.jars", similarity_jar_location())
        .getOrCreate()
    )
    return SparkAPI(spark_session=spark)


def arrow(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> pa.Table:
    """A query's result as an Arrow table (the copy DuckDB warns about is small here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return con.execute(sql, params).to_arrow_table()


def to_arrow(splink_df) -> pa.Table:
    """A Splink result as Arrow, whatever the backend."""
    import pyarrow as pa

    if hasattr(splink_df, "as_duckdbpyrelation"):
        return splink_df.as_duckdbpyrelation().to_arrow_table()
    return pa.Table.from_pandas(splink_df.as_pandas_dataframe(), preserve_index=False)


class SplinkTables:
    """Splink's database for one run, and the tables it was given (use as a context)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, config: IdentityConfig) -> None:
        self.con = con
        self.is_duckdb = config.backend == "duckdb"
        self._frames: dict = {}
        self._registered: list[str] = []
        self._cursor: duckdb.DuckDBPyConnection | None = None
        if self.is_duckdb:
            from splink import DuckDBAPI

            con.execute(f"attach if not exists ':memory:' as {SCRATCH}")
            self._cursor = con.cursor()
            self._cursor.execute(f"use {SCRATCH}")
            self.db_api = DuckDBAPI(connection=self._cursor)
        else:
            self.db_api = make_db_api(config)

    def __enter__(self) -> SplinkTables:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def put(self, name: str, sql: str):
        """Give Splink the rows of a warehouse query as table ``name``; its SplinkDataFrame."""
        if self.is_duckdb:
            # Splink looks columns up by bare table name in information_schema, across every
            # attached catalog: the prefix keeps warehouse tables of the same name out.
            physical = f"_identity_splink_{name}"
            self.con.execute(f"create or replace table {SCRATCH}.main.{physical} as {sql}")
            frame = self.db_api.register(physical, dataset_display_name=name)
        else:
            rows = arrow(self.con, sql).to_pandas()
            frame = self.db_api.register(rows, dataset_display_name=name)
        self._frames[name] = frame
        return frame

    def has(self, name: str) -> bool:
        """True when a table of that name was given with :meth:`put`."""
        return name in self._frames

    def frame(self, name: str):
        """The SplinkDataFrame of a table given with :meth:`put`."""
        return self._frames[name]

    def rows(self, name: str) -> int:
        """Row count of a table given with :meth:`put`."""
        if self.is_duckdb:
            physical = self._frames[name].physical_name
            return scalar(self.con, f"select count(*) from {SCRATCH}.main.{physical}")
        return len(self._frames[name].as_pandas_dataframe())

    def non_null_counts(self, name: str, columns: tuple[str, ...]) -> dict[str, int]:
        """How many rows of a table given with :meth:`put` carry each column."""
        if self.is_duckdb:
            physical = self._frames[name].physical_name
            counts = one_row(
                self.con,
                "select "
                + ", ".join(f"count({c})" for c in columns)
                + f" from {SCRATCH}.main.{physical}",
            )
            return dict(zip(columns, counts, strict=True))
        frame = self._frames[name].as_pandas_dataframe()
        return {c: int(frame[c].notna().sum()) for c in columns}

    def pairs_carrying(
        self, name: str, keys: list[str], carrying: dict[str, tuple[str, ...]]
    ) -> dict[str, int]:
        """Pairs of rows equal on ``keys`` (an EM session's blocking) in which both rows carry
        one of each entry's columns: what the session sees of each comparison."""
        if self.is_duckdb:
            table = f"{SCRATCH}.main.{self._frames[name].physical_name}"
            key_ok = " and ".join(f"{k} is not null" for k in keys)
            parts = []
            for columns in carrying.values():
                has = " or ".join(f"{c} is not null" for c in columns)
                parts.append(
                    f"(select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) n "
                    f"from {table} where {key_ok} and ({has}) group by {', '.join(keys)}))"
                )
            counts = one_row(self.con, "select " + ", ".join(parts))
            return {label: int(n) for label, n in zip(carrying, counts, strict=True)}
        frame = self._frames[name].as_pandas_dataframe().dropna(subset=keys)
        result = {}
        for label, columns in carrying.items():
            sizes = frame[frame[list(columns)].notna().any(axis=1)].groupby(keys).size()
            result[label] = int((sizes * (sizes - 1) // 2).sum())
        return result

    def repeat_probability(self, name: str, column: str) -> float:
        """The chance that two random rows carrying ``column`` hold the same value (the sum
        of squared term frequencies): the u of an exact match on it."""
        if self.is_duckdb:
            table = f"{SCRATCH}.main.{self._frames[name].physical_name}"
            value = scalar(
                self.con,
                f"select sum(n * n) / pow(sum(n), 2) from (select count(*) n from {table} "
                f"where {column} is not null group by {column})",
            )
            return float(value or 0.0)
        shares = self._frames[name].as_pandas_dataframe()[column].value_counts(normalize=True)
        return float((shares**2).sum())

    def read(self, splink_df, name: str) -> str:
        """A relation name the warehouse connection can query for a Splink result."""
        if self.is_duckdb:
            return f"{SCRATCH}.main.{splink_df.physical_name}"
        self.con.register(name, to_arrow(splink_df))
        self._registered.append(name)
        return name

    def close(self) -> None:
        """Free Splink's tables: detach the scratch catalog, or unregister Arrow views."""
        for name in self._registered:
            self.con.unregister(name)
        self._registered.clear()
        if self.is_duckdb and self._cursor is not None:
            self._cursor.close()
            self._cursor = None
            self.con.execute(f"detach database if exists {SCRATCH}")
