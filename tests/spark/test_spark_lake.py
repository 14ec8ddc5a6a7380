"""The Parquet lake: DuckDB writes the warehouse's raw and identity tables, Spark reads them
as they are (raw partitioned by load batch). The one short Spark test of the default suite."""

from __future__ import annotations

from datetime import date

from spark_samples import SMALL_SPARK, sample_settings


def test_spark_reads_raw_batches_and_identity_tables_duckdb_wrote(tmp_path):
    from core import lake
    from core.spark import spark_session
    from core.warehouse import connect

    settings = sample_settings(tmp_path, spark_master="local[1]", spark_conf=SMALL_SPARK)
    with connect(settings) as con:
        # two batches of receipts (3 + 2 rows) and two customers, one of them without records
        con.execute("create schema raw; create schema identity")
        con.execute("""create table raw.pos__receipts as select * from (values
            ('R1', 10.5, 'b1'), ('R2', 3.0, 'b1'), ('R3', 7.25, 'b1'),
            ('R4', 1.0, 'b2'), ('R5', 2.0, 'b2')) t(receipt_id, amount, _batch_id)""")
        con.execute("""create table identity.customers as select * from (values
            ('C1', 2::bigint, date '1980-02-29'), ('C2', 0::bigint, null::date))
            t(customer_id, record_count, born)""")
        con.execute("create table identity.links (record_id_l varchar, record_id_r varchar)")
        written = lake.export_raw(con, settings) | lake.export_identity(con, settings)
    assert written == {"pos__receipts": 5, "customers": 2, "links": 0}
    batches = sorted(
        p.name for p in (tmp_path / "data" / "lake" / "raw" / "pos__receipts").iterdir()
    )
    assert batches == ["batch_id=b1", "batch_id=b2"]

    spark = spark_session(settings)
    receipts = spark.read.parquet(lake.uri(settings, "raw", "pos__receipts"))
    per_batch = {
        r["batch_id"]: r["n"]
        for r in receipts.groupBy("batch_id").count().withColumnRenamed("count", "n").collect()
    }
    assert per_batch == {"b1": 3, "b2": 2}
    customers = spark.read.parquet(lake.uri(settings, "identity", "customers"))
    assert sorted(tuple(r) for r in customers.collect()) == [
        ("C1", 2, date(1980, 2, 29)),
        ("C2", 0, None),
    ]
    # an empty table is still one file with its schema
    assert spark.read.parquet(lake.uri(settings, "identity", "links")).columns == [
        "record_id_l",
        "record_id_r",
    ]
    # a result that is a bare scan of Parquet files is read from them, not written again
    from identity._backend import _parquet_files

    assert _parquet_files(customers) == customers.inputFiles()
    assert _parquet_files(customers.where("record_count > 0")) == []


def test_raw_sync_writes_new_batches_and_drops_replaced_ones(tmp_path):
    from core import lake
    from core.warehouse import connect

    settings = sample_settings(tmp_path)
    root = tmp_path / "data" / "lake" / "raw" / "web__events"
    with connect(settings) as con:
        con.execute("create schema raw")
        con.execute("""create table raw.web__events as select * from (values
            ('E1', 'b1'), ('E2', 'b1'), ('E3', 'b2')) t(event_id, _batch_id)""")
        assert lake.sync_raw(con, settings, ["web__events"]) == 2
        # a reload replaces batch b2 by b3; b1 is already in the lake: not written again
        first_write = (root / "batch_id=b1" / "data_0.parquet").stat().st_mtime_ns
        con.execute("delete from raw.web__events where _batch_id = 'b2'")
        con.execute("insert into raw.web__events values ('E3', 'b3'), ('E4', 'b3')")
        assert lake.sync_raw(con, settings, ["web__events"]) == 1
        rows = con.execute(
            f"select _batch_id, count(*) from read_parquet('{lake.files(str(root))}') "
            "group by 1 order by 1"
        ).fetchall()
    assert sorted(p.name for p in root.iterdir()) == ["batch_id=b1", "batch_id=b3"]
    assert rows == [("b1", 2), ("b3", 2)]
    assert (root / "batch_id=b1" / "data_0.parquet").stat().st_mtime_ns == first_write
