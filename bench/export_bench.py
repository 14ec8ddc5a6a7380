"""Golden-record export benchmark: `python -m bench.export_bench --customers 1000000`.

Synthesises N golden records (with customers and consent signals) in a fresh DuckDB file,
then times `export_golden_records(mode="full")` to Parquet (the target: 1M in < 20 s), an
incremental export after 1% of the records changed, and optionally the CSV and JSON-lines
writers. Prints one JSON document with the timings.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
import time
from pathlib import Path

from activation.golden_record import GOLDEN_ATTRIBUTES

_ATTRIBUTES = GOLDEN_ATTRIBUTES  # the golden record's columns, in its order


def synthesise(con, customers: int) -> None:
    """marts.golden_records / identity.customers and an e-mail consent per customer."""
    from activation.golden_record import DISPLAYED_ATTRIBUTES

    picked = ", ".join(
        f"{a}, {f'{a} as {a}_display, ' if a in DISPLAYED_ATTRIBUTES else ''}"
        f"'web_account' as {a}_source, timestamp '2024-01-01' + to_days(i % 365) "
        f"as {a}_updated_at"
        for a in _ATTRIBUTES
    )
    con.execute(f"""
create schema identity; create schema raw; create schema marts;
create table marts.golden_records as
with people as (
  select i, 'cust-' || lpad(i::varchar, 8, '0') as customer_id,
    (['Jean', 'Marie', 'Léa', 'Hugo', 'Chloé', 'Paul'])[1 + i % 6] as first_name,
    'Nom' || (i % 50000)::varchar as last_name,
    'person' || i::varchar || '@example.org' as email,
    '+336' || lpad((i % 100000000)::varchar, 8, '0') as phone,
    date '1950-01-01' + to_days((i * 7) % 20000) as birth_date,
    i::varchar || ' rue de la Paix' as address_line,
    lpad(((i % 95) + 1)::varchar, 2, '0') || '000' as postcode, 'Ville' || (i % 900) as city
  from range({customers}) t(i)
)
select customer_id, {picked} from people;
create table identity.customers as select customer_id, true as is_active,
  false as is_anonymous, 3::bigint as record_count, 'run-1' as created_run_id,
  'run-1' as updated_run_id, false as is_oversized, timestamp '2024-01-01' as created_at
from marts.golden_records;
create table identity.customer_records as select 'web_account:' || customer_id as record_id,
  'web_account' as identity_type, customer_id as source_key, customer_id, 'run-1' as run_id
from marts.golden_records;
create table identity.customer_aliases (retired_customer_id varchar, customer_id varchar,
  run_id varchar);
create table raw.web__accounts as select customer_id as account_id, email,
  (hash(customer_id) % 3 = 0) as email_opt_in, (hash(customer_id) % 5 = 0) as sms_opt_in,
  timestamp '2024-01-01' as created_at, timestamp '2024-02-01' as updated_at
from marts.golden_records""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--all-formats", action="store_true", help="also time CSV and JSON lines (full export each)"
    )
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from activation.export import export_golden_records
    from core.settings import Settings
    from core.warehouse import connect

    work = args.keep or Path(tempfile.mkdtemp(prefix="cdp-export-bench-"))
    settings = Settings(data_dir=work / "data", exports_config_path=work / "none.yml")
    settings.ensure_dirs()
    results: dict = {"customers": args.customers}
    started = time.perf_counter()
    with connect(settings) as con:
        synthesise(con, args.customers)
    results["synthesise_s"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    full = export_golden_records(settings, mode="full", formats=["parquet"])
    results["full_parquet_s"] = round(time.perf_counter() - started, 2)
    results["full_parquet_rows"] = full.row_count
    results["full_parquet_mb"] = round(full.files[0]["bytes"] / 1e6, 1)

    with connect(settings) as con:
        con.execute(
            "update marts.golden_records set city = 'Moved' where hash(customer_id) % 100 = 0"
        )
    started = time.perf_counter()
    incremental = export_golden_records(settings, mode="incremental", formats=["parquet"])
    results["incremental_parquet_s"] = round(time.perf_counter() - started, 2)
    results["incremental_rows"] = incremental.row_count

    if args.all_formats:
        for fmt in ("csv", "jsonl"):
            started = time.perf_counter()
            export_golden_records(settings, mode="full", formats=[fmt])
            results[f"full_{fmt}_s"] = round(time.perf_counter() - started, 2)
    results["target_met"] = results["full_parquet_s"] < 20
    print(json.dumps(results, indent=2))
    from bench._figures import record

    record(f"golden records to Parquet, {args.customers:,}", results["full_parquet_s"])
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
