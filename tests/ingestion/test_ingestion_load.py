"""Loading the hand-made landing files: counts, quarantine reasons, idempotence, atomicity."""

from __future__ import annotations

import pytest
from ingestion_landing import SPECIAL_PRODUCT, write_all, write_callcenter, write_pos

import ingestion
from core.warehouse import connect
from ingestion import load as load_module
from ingestion.contracts import CONTRACTS
from ingestion.definitions import load_definitions


@pytest.fixture
def landed(settings):
    """Every source's fixture files written under the landing folder."""
    import duckdb

    with duckdb.connect() as scratch:
        return write_all(settings.landing_dir, scratch)


def _ledger(con):
    return con.execute(
        "select source || '__' || entity, status, rows_read, rows_accepted, rows_quarantined, "
        "rows_suppressed from ops.load_ledger order by started_at"
    ).fetchall()


def test_each_source_loads_and_counts_reconcile(settings, landed):
    report = ingestion.ingest(settings)

    assert [r.status for r in report.files] == ["loaded"] * 6
    with connect(settings) as con:
        for table, expected in landed.items():
            accepted = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            quarantined = con.execute(
                "select count(*) from ops.quarantine where source || '__' || entity = ?", [table]
            ).fetchone()[0]
            assert (accepted, quarantined) == (expected["accepted"], expected["quarantined"]), table
        for table, status, read, accepted, quarantined, suppressed in _ledger(con):
            assert status == "loaded"
            assert read == landed[table]["read"] == accepted + quarantined + suppressed
        for table, expected in landed.items():
            nulled = con.execute(
                "select field, reason, rows_nulled from ops.field_issues "
                "where source || '__' || entity = ?",
                [table],
            ).fetchall()
            assert {(f, r): n for f, r, n in nulled} == expected.get("nulled", {}), table


def test_malformed_rows_land_in_quarantine_with_reasons(settings, landed):
    ingestion.ingest(settings)

    with connect(settings) as con:
        for table, expected in landed.items():
            rows = dict(
                con.execute(
                    "select source_row, reason from ops.quarantine "
                    "where source || '__' || entity = ? and raw_record is not null",
                    [table],
                ).fetchall()
            )
            assert sorted(rows) == sorted(expected["bad"]), table
            for row, reason_start in expected["bad"].items():
                assert rows[row].startswith(reason_start), (table, row, rows[row])
        # the reason quotes the bad value and the raw record keeps the original line
        reason, raw = con.execute(
            "select reason, raw_record from ops.quarantine where entity = 'receipt_lines' "
            "and reason like 'quantity%' order by source_row limit 1"
        ).fetchone()
        assert reason == "quantity: must be >= 1, got '-2'"
        assert raw.startswith("M012;T000021;1;03/02/2024 10:15;") and ";-2;12,99;" in raw
        # rows accepted around the bad ones keep their own line numbers
        rows = [
            r[0]
            for r in con.execute(
                "select _source_row from raw.pos__receipt_lines order by 1"
            ).fetchall()
        ]
        assert rows == [*range(1, 21), 27, 28]


def test_values_are_typed_and_cp1252_characters_survive(settings, landed):
    ingestion.ingest(settings)

    with connect(settings) as con:
        assert (
            con.execute(
                "select count(*) from raw.pos__receipt_lines where product_name = ?",
                [SPECIAL_PRODUCT],
            ).fetchone()[0]
            == 1
        )
        member = con.execute(
            "select sold_at, unit_price, discount_amount, customer_first_name, "
            "customer_birth_date, email_opt_in, sms_opt_in from raw.pos__receipt_lines "
            "where loyalty_card_id = 'C900'"
        ).fetchone()
        assert str(member[0]) == "2024-02-03 10:15:00" and str(member[1]) == "12.99"
        assert str(member[2]) == "1.00" and member[3] == "Chloé"
        assert str(member[4]) == "1985-07-14" and member[5] is True and member[6] is True
        purchase = con.execute(
            "select event_at, session_id, transaction_id, purchase_revenue, "
            "items->>'$[0].item_name', page_title from raw.web__events "
            "where event_name = 'purchase'"
        ).fetchone()
        assert str(purchase[0]) == "2024-02-03 10:00:04" and purchase[1] == "1706950004"
        assert (purchase[2], str(purchase[3]), purchase[4]) == ("W123", "59.90", "Thé")
        assert purchase[5] == "Pâtes fraîches"
        verbatim = con.execute(
            "select verbatim from raw.callcenter__tickets where ticket_id = 'K3'"
        ).fetchone()[0]
        assert verbatim == "Client « mécontent »; rappel"


def test_accepted_rows_satisfy_the_pydantic_contracts(settings, landed):
    """The SQL compiled from a contract and the model itself agree on every accepted row."""
    ingestion.ingest(settings)
    contracts = {
        f"{d.source}__{name}": CONTRACTS[e.contract]
        for d in load_definitions(settings.sources_dir)
        for name, e in d.entities.items()
    }
    with connect(settings) as con:
        for table in landed:
            cursor = con.execute(
                f"select * exclude (_source_file, _source_row, _batch_id, "
                f"_loaded_at, _nulled_fields) from raw.{table}"
            )
            names = [d[0] for d in cursor.description]
            for row in cursor.fetchall():
                values = {k: v for k, v in zip(names, row, strict=True) if v is not None}
                for key in ("items", "event_params"):
                    if key in values and not isinstance(values[key], str):
                        values[key] = str(values[key])
                contracts[table].model_validate(values)


def test_loading_the_same_files_twice_adds_nothing(settings, landed):
    ingestion.ingest(settings)
    with connect(settings) as con:
        before = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in landed}
        quarantined = con.execute("select count(*) from ops.quarantine").fetchone()[0]

    report = ingestion.ingest(settings)

    assert {r.status for r in report.files} == {"skipped_duplicate"}
    with connect(settings) as con:
        after = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in landed}
        assert after == before
        assert con.execute("select count(*) from ops.quarantine").fetchone()[0] == quarantined


def test_a_new_file_adds_only_its_rows_and_reexported_rows_keep_lineage(settings, landed):
    ingestion.ingest(settings)
    # the next export re-sends receipts 16-20 and adds 15 new good ones (+ the 9 fixed rows)
    write_pos(settings.landing_dir, "pos_receipts_20240204.csv", valid=20, first_receipt=16)

    report = ingestion.ingest(settings, sources=["pos"])

    statuses = {r.file_path: r.status for r in report.files}
    assert statuses == {
        "pos/pos_receipts_20240203.csv": "skipped_duplicate",
        "pos/pos_receipts_20240204.csv": "loaded",
    }
    with connect(settings) as con:
        per_file = dict(
            con.execute(
                "select _source_file, count(*) from raw.pos__receipt_lines group by 1"
            ).fetchall()
        )
        assert per_file == {
            "pos/pos_receipts_20240203.csv": 22,
            "pos/pos_receipts_20240204.csv": 22,
        }
        resent = con.execute(
            "select count(distinct _batch_id) from raw.pos__receipt_lines "
            "where receipt_id = 'T000016'"
        ).fetchone()[0]
        assert resent == 2


def test_a_crash_mid_file_leaves_nothing_partial(settings, landed, monkeypatch):
    real_write = load_module._write

    def write_then_crash(con, result, *args):
        real_write(con, result, *args)  # raw rows and quarantine rows are written...
        raise OSError("disk full (injected)")  # ...then the process fails before commit

    monkeypatch.setattr(load_module, "_write", write_then_crash)
    with pytest.raises(ingestion.IngestionError, match="disk full"):
        ingestion.ingest(settings, sources=["pos"])
    with connect(settings) as con:
        assert (
            con.execute(
                "select count(*) from information_schema.tables where table_schema = 'raw'"
            ).fetchone()[0]
            == 0
        )
        assert con.execute("select count(*) from ops.quarantine").fetchone()[0] == 0
        assert _ledger(con) == [("pos__receipt_lines", "failed", 0, 0, 0, 0)]

    monkeypatch.setattr(load_module, "_write", real_write)
    report = ingestion.ingest(settings, sources=["pos"])  # the re-run loads the whole file

    assert report.files[0].status == "loaded"
    with connect(settings) as con:
        assert con.execute("select count(*) from raw.pos__receipt_lines").fetchone()[0] == 22


def test_unreadable_files_fail_clearly_while_other_sources_load(settings, landed):
    # a POS export whose header lost a column, and a call-center export written in cp1252
    (settings.landing_dir / "pos" / "pos_receipts_20240205.csv").write_bytes(
        landed["pos__receipt_lines"]["path"].read_bytes().replace(b"NUM_TICKET;", b"", 1)
    )
    callcenter = write_callcenter(settings.landing_dir, "tickets_20240205.csv")["path"]
    callcenter.write_bytes(callcenter.read_text(encoding="utf-8-sig").encode("cp1252"))

    with pytest.raises(ingestion.IngestionError) as caught:
        ingestion.ingest(settings)

    message = str(caught.value)
    assert "2 file(s) failed" in message
    assert "pos_receipts_20240205.csv" in message and "missing column(s) ['NUM_TICKET']" in message
    assert "tickets_20240205.csv" in message and "encoding: utf-8-sig" in message
    report = caught.value.report
    assert sum(r.status == "loaded" for r in report.files) == 6
    with connect(settings) as con:
        failed = con.execute(
            "select file_path, error from ops.load_ledger where status = 'failed' order by 1"
        ).fetchall()
        assert [f[0] for f in failed] == [
            "callcenter/tickets_20240205.csv",
            "pos/pos_receipts_20240205.csv",
        ]
        assert all(f[1] for f in failed)
        tickets = con.execute("select count(*) from raw.callcenter__tickets").fetchone()[0]
        assert tickets == landed["callcenter__tickets"]["accepted"]
