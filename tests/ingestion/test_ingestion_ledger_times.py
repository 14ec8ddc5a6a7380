"""Load times are UTC: the ledger as instants (timestamptz), and a warehouse written in local
time before is converted once, so its loads compare with the build log (UTC)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from ingestion_landing import write_callcenter

import ingestion
from core.warehouse import connect
from ingestion.ledger import ensure_ops_tables

OLD_LEDGER = """
create schema raw; create schema ops;
create table ops.load_ledger (batch_id varchar not null, source varchar not null,
  entity varchar not null, file_path varchar not null, file_hash varchar,
  file_size_bytes bigint, rows_read bigint, rows_accepted bigint, rows_quarantined bigint,
  rows_suppressed bigint, status varchar not null, error varchar,
  started_at timestamp not null, finished_at timestamp);
insert into ops.load_ledger values ('b1', 'pos', 'receipt_lines', 'f.csv', 'h', 1, 1, 1, 0, 0,
  'loaded', null, timestamp '2026-07-01 12:00:00', timestamp '2026-07-01 12:00:05');
create table ops.quarantine (batch_id varchar not null, source varchar not null,
  entity varchar not null, file_path varchar not null, source_row bigint, raw_record varchar,
  reason varchar not null, quarantined_at timestamp not null);
insert into ops.quarantine values ('b1', 'pos', 'receipt_lines', 'f.csv', 2, 'x', 'bad',
  timestamp '2026-07-01 12:00:00');
create table raw.pos__receipt_lines (card varchar, _loaded_at timestamp);
insert into raw.pos__receipt_lines values ('C1', timestamp '2026-01-15 09:00:00');
"""


def test_a_ledger_written_in_local_time_is_read_as_utc_once():
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'Europe/Paris'")  # the zone the old rows were written in
        con.execute(OLD_LEDGER)

        ensure_ops_tables(con)
        ensure_ops_tables(con)  # a second time changes nothing

        ledger = con.execute(
            "select typeof(started_at), timezone('UTC', started_at), "
            "timezone('UTC', finished_at) from ops.load_ledger"
        ).fetchone()
        quarantined = con.execute("select quarantined_at from ops.quarantine").fetchone()[0]
        loaded = con.execute("select _loaded_at from raw.pos__receipt_lines").fetchone()[0]

    assert ledger == (
        "TIMESTAMP WITH TIME ZONE",
        datetime(2026, 7, 1, 10, 0, 0),  # Paris summer time is UTC+2
        datetime(2026, 7, 1, 10, 0, 5),
    )
    assert quarantined == datetime(2026, 7, 1, 10, 0, 0)
    assert loaded == datetime(2026, 1, 15, 8, 0, 0)  # winter: UTC+1


@pytest.fixture
def paris_clock(monkeypatch):
    """Python's local time is Paris (UTC+1 in winter), as on a French retailer's server."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_load_records_utc_whatever_the_local_time(settings, paris_clock):
    write_callcenter(settings.landing_dir)
    before = datetime.now(UTC)

    ingestion.ingest(settings, sources=["callcenter"])

    after = datetime.now(UTC)
    with connect(settings) as con:
        started, finished, loaded = con.execute(
            "select l.started_at, l.finished_at, max(r._loaded_at) from ops.load_ledger l "
            "join raw.callcenter__tickets r on r._batch_id = l.batch_id group by all"
        ).fetchone()
    slack = timedelta(seconds=1)
    assert before - slack <= started <= finished <= after + slack
    assert before - slack <= loaded.replace(tzinfo=UTC) <= after + slack
