"""The Parquet lake: DuckDB writes the warehouse's raw and identity tables, Spark reads them
as they are (raw partitioned by load batch). The one short Spark test of the default suite."""

from __future__ import annotations

from conftest import SMALL_SPARK, sample_settings


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
        written = lake.export_raw(con, settings) | lake.export_identity(con, settings)
    assert written == {"pos__receipts": 5, "customers": 2}
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
        ("C1", 2, __import__("datetime").date(1980, 2, 29)),
        ("C2", 0, None),
    ]
