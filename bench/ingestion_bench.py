"""Ingestion benchmark: `ingest` rows/s beside DuckDB's bare read of the same file.

    .venv/bin/python -m bench.ingestion_bench [--rows 1000000] [--regenerate]

Writes (or reuses) under ``<data_dir>/bench/ingestion/landing``: one POS export (cp1252,
``;``, comma decimals) and one GA4 JSONL export, each with ``--rows`` rows, produced by
DuckDB itself so generation stays fast. It then times, on a fresh warehouse each time:

- the bare read: ``create table as select * from read_csv(...)`` / ``read_json(...)``, i.e.
  DuckDB materialising the file with type detection and no checks. DuckDB cannot read
  cp1252 (its latin-1 reader rejects 0x80-0x9F), so the POS baseline reads a UTF-8 copy of
  the same export: the physical limit;
- ``ingestion.ingest`` for that source: hash, transcode, parse as text, contract SQL,
  quarantine, raw insert with lineage, ledger, commit.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import ingestion
from cdp.settings import Settings

PRODUCTS = [
    "Pain de campagne",
    "Bon d’achat 10 €",
    "Cœur de bœuf",
    "Thé vert…",
    "Crème brûlée",
    "Œufs frais x6",
    "Café moulu",
    "Pâtes fraîches",
]


def _utf8_copy(path: Path) -> Path:
    # outside the landing folder, or ingestion would pick it up as a POS export
    return path.parents[2] / "baseline" / (path.stem + ".utf8.csv")


def write_pos(path: Path, rows: int) -> None:
    """`rows` POS lines as cp1252 `;` CSV; one line in 1,000 has a negative quantity."""
    import duckdb

    utf8 = _utf8_copy(path)
    utf8.parent.mkdir(parents=True, exist_ok=True)
    products = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in PRODUCTS) + "]"
    duckdb.execute(f"""
        copy (select
            'M' || lpad((i % 120)::varchar, 3, '0') as CODE_MAGASIN,
            'T' || (i // 3) as NUM_TICKET,
            i % 3 + 1 as NUM_LIGNE,
            strftime(timestamp '2024-01-01' + to_seconds((i * 37) % 31536000),
                     '%d/%m/%Y %H:%M') as DATE_HEURE,
            'SKU' || lpad((i % 5000)::varchar, 5, '0') as CODE_ARTICLE,
            {products}[i % 8 + 1] as LIBELLE_ARTICLE,
            ['Boulangerie', 'Épicerie', 'Boucherie', 'Crèmerie'][i % 4 + 1] as FAMILLE,
            case when i % 1000 = 7 then '-1' else (i % 4 + 1)::varchar end as QUANTITE,
            replace(printf('%.2f', (i % 5000) / 100.0 + 0.99), '.', ',') as PRIX_UNITAIRE,
            case when i % 10 = 0 then '1,00' else '0,00' end as REMISE,
            case when i % 2 = 0 then replace(printf('%.2f', (i % 3000) / 100.0), '.', ',') end
                as PRIX_ACHAT,
            ['CB', 'ESPECES', 'CHEQUE', 'CARTE_CADEAU', 'AMEX', 'SANS_CONTACT'][i % 6 + 1]
                as MODE_PAIEMENT,
            case when i % 3 = 0 then 'C' || lpad((i % 200000)::varchar, 9, '0') end as card,
            case when i % 3 = 0 then ['DUPONT', 'MARTIN', 'LE GOFF', 'NGUYEN'][i % 4 + 1] end
                as NOM_CLIENT,
            case when i % 3 = 0 then ['Jean', 'Chloé', 'Anaïs', 'François'][i % 4 + 1] end
                as PRENOM_CLIENT,
            case when i % 3 = 0 then 'client' || (i % 200000) || '@example.fr' end
                as EMAIL_CLIENT,
            case when i % 3 = 0 then '06 ' || lpad((i % 100000000)::varchar, 8, '0') end
                as TEL_CLIENT,
            case when i % 3 = 0 then lpad((i % 95000 + 1000)::varchar, 5, '0') end as CP_CLIENT,
            case when i % 3 = 0 then ['Paris', 'Lyon', 'Saint-Étienne', 'Créteil'][i % 4 + 1] end
                as VILLE_CLIENT,
            case when i % 3 = 0 then strftime(date '1950-01-01' + (i % 20000)::integer,
                                              '%d/%m/%Y') end as DATE_NAISSANCE_CLIENT,
            case when i % 3 = 0 then ['O', 'N'][i % 2 + 1] end as OPTIN_EMAIL,
            case when i % 3 = 0 then ['N', 'O'][i % 2 + 1] end as OPTIN_SMS
        from range({rows}) t(i)) to '{utf8}' (delimiter ';', header true)
    """)
    text = utf8.read_text(encoding="utf-8").replace("card", "NUM_CARTE_FIDELITE", 1)
    path.write_bytes(text.encode("cp1252"))
    utf8.write_text(text, encoding="utf-8")


def write_events(path: Path, rows: int) -> None:
    """`rows` GA4 events as JSONL; one purchase in 20 carries `ecommerce` and `items`."""
    import duckdb

    names = (
        "['session_start', 'page_view', 'view_item', 'add_to_cart', 'page_view', "
        "'begin_checkout', 'login', 'page_view']"
    )
    duckdb.execute(f"""
        copy (select
            '20240203' as event_date,
            1706954400000000 + i * 1000000 as event_timestamp,
            case when i % 20 = 19 then 'purchase' else {names}[i % 8 + 1] end as event_name,
            (1000000000 + i % 300000)::varchar || '.1706950000' as user_pseudo_id,
            case when i % 4 = 0 then 'A' || (i % 50000) end as user_id,
            [{{'key': 'ga_session_id', 'value': {{'string_value': NULL, 'int_value': 1706950000 + i // 10,
               'double_value': NULL}}}},
             {{'key': 'page_location', 'value': {{'string_value': 'https://shop.example.fr/p/' || (i % 5000),
               'int_value': NULL, 'double_value': NULL}}}},
             {{'key': 'page_title', 'value': {{'string_value': 'Pâtes fraîches', 'int_value': NULL,
               'double_value': NULL}}}}] as event_params,
            {{'category': ['mobile', 'desktop', 'tablet'][i % 3 + 1]}} as device,
            {{'country': 'France', 'city': ['Paris', 'Lyon', 'Lille'][i % 3 + 1]}} as geo,
            {{'source': 'google', 'medium': 'organic'}} as traffic_source,
            case when i % 20 = 19 then {{'transaction_id': 'W' || i, 'purchase_revenue': 59.9,
                'total_item_quantity': 2}} end as ecommerce,
            case when i % 20 = 19 then [{{'item_id': 'SKU1', 'item_name': 'Thé', 'item_category':
                'Épicerie', 'price': 29.95, 'quantity': 2}}] end as items
        from range({rows}) t(i)) to '{path}' (format json)
    """)


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _bare(sql: str) -> float:

    import duckdb

    con = duckdb.connect()
    try:
        return _timed(lambda: con.execute(f"create table t as {sql}"))
    finally:
        con.close()


def _ingest(settings: Settings, source: str) -> tuple[float, ingestion.IngestReport]:
    if settings.duckdb_path.exists():
        settings.duckdb_path.unlink()
    holder = {}
    seconds = _timed(lambda: holder.setdefault("report", ingestion.ingest(settings, [source])))
    return seconds, holder["report"]


def main() -> None:
    """Generate or reuse the exports, time bare reads and ingestion, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()

    base = Settings()
    root = base.data_dir / "bench" / "ingestion" / str(args.rows)
    settings = Settings(data_dir=root, sources_dir=base.sources_dir)
    if args.regenerate and root.exists():
        shutil.rmtree(root)
    settings.ensure_dirs()
    pos = settings.landing_dir / "pos" / f"pos_receipts_bench{args.rows}.csv"
    events = settings.landing_dir / "web" / f"ga4_events_bench{args.rows}.jsonl"
    for path, writer in ((pos, write_pos), (events, write_events)):
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            print(f"writing {path} ...", flush=True)
            print(f"  {_timed(lambda w=writer, p=path: w(p, args.rows)):.1f}s")

    utf8 = _utf8_copy(pos)
    results = []
    bare = _bare(f"select * from read_csv('{utf8}', delim=';', header=true, decimal_separator=',')")
    seconds, report = _ingest(settings, "pos")
    results.append(("POS lines (cp1252 CSV)", pos, bare, seconds, report))
    bare = _bare(f"select * from read_json('{events}', format='newline_delimited')")
    seconds, report = _ingest(settings, "web")
    results.append(("GA4 events (JSONL)", events, bare, seconds, report))

    print(
        f"\n{'file':<24}{'MB':>7}{'rows':>11}{'accepted':>11}{'quarant.':>10}"
        f"{'bare read s':>13}{'ingest s':>10}{'ingest rows/s':>15}{'ratio':>7}"
    )
    for label, path, bare_s, ingest_s, report in results:
        read = report.total("rows_read")
        print(
            f"{label:<24}{path.stat().st_size / 1e6:>7.0f}{read:>11,}"
            f"{report.total('rows_accepted'):>11,}{report.total('rows_quarantined'):>10,}"
            f"{bare_s:>13.2f}{ingest_s:>10.2f}{read / ingest_s:>15,.0f}{ingest_s / bare_s:>7.2f}"
        )
    print("\nratio = ingest time / bare DuckDB read time (target <= 3)")


if __name__ == "__main__":
    main()
