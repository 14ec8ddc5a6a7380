"""A hand-made raw + identity warehouse for the dbt marts, and the figures it implies.

- cust-A, Alice (card L1, account A1, cookie K1, subscriber, ticket T1): 2 receipts and
  1 web order, one receipt line re-exported in a later file; e-mail consent refused last.
- cust-B, Bruno (subscriber only): prospect.
- cust-C, Chloé (card L3 with her e-mail, e-mail opt-in at the till): one 225 EUR receipt
  500 days ago: dormant, a win-back target.

Each identity record's e-mail and phone (`identity.identity_records`) say what a consent
decision it carried is about: a grant counts only from a record holding the channel's
contact point (docs/consent.md), so Alice's card holds her mobile and Chloé's her e-mail.
- cust-Z (anonymous cookie K9) and receipt R9 (no card): in no mart.

The expected figures are worked out in Python from the rows below, not by SQL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from activation.golden_record import GOLDEN_ATTRIBUTES

AS_OF = date(2026, 10, 31)  # latest activity in the data (Alice's e-mail unsubscribe)
ALICE_EMAIL = "alice.martin@example.org"
D = Decimal

POS_COLUMNS = (
    "store_id, receipt_id, line_number, sold_at, sku, product_name, category, "
    "quantity, unit_price, discount_amount, unit_cost, payment_method, loyalty_card_id, "
    "email_opt_in, sms_opt_in, _source_file"
)
# (store, receipt, line, sold_at, sku, name, category, qty, price, discount, cost, payment,
#  card, email_opt_in, sms_opt_in, file)
POS_LINES = [
    (
        "S01",
        "R1",
        1,
        datetime(2026, 9, 2, 10, 0),
        "SKU1",
        "Pull",
        "Mode femme",
        2,
        D("50.00"),
        D("10.00"),
        D("20.00"),
        "CB",
        "L1",
        True,
        True,
        "pos_receipts_20261024.csv",
    ),
    (
        "S01",
        "R1",
        2,
        datetime(2026, 9, 2, 10, 0),
        "SKU2",
        "Écharpe",
        "Accessoires",
        1,
        D("30.00"),
        None,
        None,
        "CB",
        "L1",
        True,
        True,
        "pos_receipts_20261024.csv",
    ),
    (
        "S02",
        "R2",
        1,
        datetime(2026, 10, 20, 15, 0),
        "SKU3",
        "Bougie",
        "Maison",
        3,
        D("12.50"),
        D("0.00"),
        D("4.00"),
        "SANS_CONTACT",
        "L1",
        True,
        True,
        "pos_receipts_20261024.csv",
    ),
    # the same line re-exported in the next file: counted once
    (
        "S02",
        "R2",
        1,
        datetime(2026, 10, 20, 15, 0),
        "SKU3",
        "Bougie",
        "Maison",
        3,
        D("12.50"),
        D("0.00"),
        D("4.00"),
        "SANS_CONTACT",
        "L1",
        True,
        True,
        "pos_receipts_20261031.csv",
    ),
    (
        "S03",
        "R3",
        1,
        datetime(2025, 6, 18, 11, 0),
        "SKU1",
        "Pull",
        "Mode femme",
        5,
        D("45.00"),
        D("0.00"),
        None,
        "ESPECES",
        "L3",
        True,
        None,
        "pos_receipts_20261024.csv",
    ),
    (
        "S01",
        "R9",
        1,
        datetime(2026, 10, 1, 9, 0),
        "SKU2",
        "Écharpe",
        "Accessoires",
        1,
        D("30.00"),
        D("0.00"),
        None,
        "CB",
        None,
        None,
        None,
        "pos_receipts_20261024.csv",
    ),
]

WEB_COLUMNS = (
    "event_at, event_name, user_pseudo_id, user_id, session_id, page_location, "
    "page_title, transaction_id, purchase_revenue, items"
)
WEB_EVENTS = [
    (
        datetime(2026, 10, 10, 20, 0),
        "session_start",
        "K1",
        None,
        "s1",
        "https://shop/",
        "Accueil",
        None,
        None,
        "[]",
    ),
    (
        datetime(2026, 10, 10, 20, 1),
        "view_item",
        "K1",
        None,
        "s1",
        "https://shop/p/SKU4",
        "Manteau",
        None,
        None,
        '[{"item_id": "SKU4", "item_name": "Manteau", "item_category": "Mode femme", '
        '"price": 120.0, "quantity": 1}]',
    ),
    (
        datetime(2026, 10, 10, 20, 2),
        "view_item",
        "K1",
        None,
        "s1",
        "https://shop/p/SKU3",
        "Bougie",
        None,
        None,
        '[{"item_id": "SKU3", "item_name": "Bougie", "item_category": "Maison", '
        '"price": 12.5, "quantity": 1}]',
    ),
    (
        datetime(2026, 10, 12, 19, 0),
        "session_start",
        "K1",
        "A1",
        "s2",
        "https://shop/",
        "Accueil",
        None,
        None,
        "[]",
    ),
    (
        datetime(2026, 10, 12, 19, 5),
        "purchase",
        "K1",
        "A1",
        "s2",
        "https://shop/merci",
        "Merci",
        "W1",
        D("80.00"),
        '[{"item_id": "SKU5", "item_name": "Gants", "item_category": "Accessoires", '
        '"price": 40.0, "quantity": 2}]',
    ),
    (
        datetime(2026, 10, 5, 8, 0),
        "page_view",
        "K9",
        None,
        "s9",
        "https://shop/",
        "Accueil",
        None,
        None,
        "[]",
    ),
]

ACCOUNTS = [  # account_id, email, email_opt_in, sms_opt_in, created_at, updated_at
    ("A1", ALICE_EMAIL, True, False, datetime(2026, 1, 5), datetime(2026, 1, 5)),
]
SUBSCRIBERS = [  # email, status, opted_in_at, status_changed_at
    (ALICE_EMAIL, "subscribed", datetime(2026, 2, 1), datetime(2026, 2, 1)),
    ("bruno@example.org", "subscribed", datetime(2026, 3, 3), datetime(2026, 3, 3)),
]
ACTIVITY = [  # campaign_id, campaign_name, email, action, at
    ("CMP1", "Soldes", ALICE_EMAIL, "sent", datetime(2026, 10, 8, 8, 0)),
    ("CMP1", "Soldes", ALICE_EMAIL, "delivered", datetime(2026, 10, 8, 8, 1)),
    ("CMP1", "Soldes", ALICE_EMAIL, "open", datetime(2026, 10, 8, 9, 0)),
    ("CMP1", "Soldes", ALICE_EMAIL, "click", datetime(2026, 10, 8, 9, 1)),
    ("CMP1", "Soldes", "bruno@example.org", "sent", datetime(2026, 10, 8, 8, 0)),
    ("CMP1", "Soldes", "bruno@example.org", "delivered", datetime(2026, 10, 8, 8, 1)),
    ("CMP1", "Soldes", ALICE_EMAIL, "unsubscribe", datetime(2026, 10, 31, 18, 0)),
]
TICKETS = [  # ticket_id, opened_at, status, reason, csat
    ("T1", datetime(2026, 10, 22, 14, 0), "open", "Livraison en retard", None),
]

# identity: record -> customer
RECORDS = [
    ("loyalty_card", "L1", "cust-A"),
    ("web_account", "A1", "cust-A"),
    ("web_cookie", "K1", "cust-A"),
    ("email_subscriber", ALICE_EMAIL, "cust-A"),
    ("callcenter_caller", "T1", "cust-A"),
    ("email_subscriber", "bruno@example.org", "cust-B"),
    ("loyalty_card", "L3", "cust-C"),
    ("web_cookie", "K9", "cust-Z"),
]
CHLOE_EMAIL = "chloe.durand@example.org"
ALICE_PHONE = "+33611223344"
CUSTOMERS = [  # customer_id, is_anonymous, first, last, email
    ("cust-A", False, "Alice", "Martin", ALICE_EMAIL),
    ("cust-B", False, "Bruno", "Petit", "bruno@example.org"),
    ("cust-C", False, "Chloé", "Durand", CHLOE_EMAIL),
    ("cust-Z", True, None, None, None),
]
# record -> (e-mail, phone) the record carried, as identity standardised them
CONTACT_POINTS = {
    "loyalty_card:L1": (None, ALICE_PHONE),
    "web_account:A1": (ALICE_EMAIL, None),
    f"email_subscriber:{ALICE_EMAIL}": (ALICE_EMAIL, None),
    "email_subscriber:bruno@example.org": ("bruno@example.org", None),
    "loyalty_card:L3": (CHLOE_EMAIL, None),
}
ATTRIBUTES = GOLDEN_ATTRIBUTES  # the golden record's columns, in its order


def _lineage(file: str, row: int) -> tuple:
    return (file, row, f"batch-{file}", datetime(2026, 11, 1) + timedelta(minutes=row))


def create_warehouse(path) -> None:
    """Write the raw and identity tables above into a new DuckDB file at ``path``."""
    import duckdb

    lineage = "_source_file varchar, _source_row bigint, _batch_id varchar, _loaded_at timestamp"
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema raw; create schema identity")
        con.execute(f"""create table raw.pos__receipt_lines (store_id varchar, receipt_id varchar,
            line_number integer, sold_at timestamp, sku varchar, product_name varchar,
            category varchar, quantity integer, unit_price decimal(12,2),
            discount_amount decimal(12,2), unit_cost decimal(12,2), payment_method varchar,
            loyalty_card_id varchar, customer_last_name varchar, customer_first_name varchar,
            customer_email varchar, customer_phone varchar, customer_postcode varchar,
            customer_city varchar, customer_birth_date date, email_opt_in boolean,
            sms_opt_in boolean, {lineage})""")
        for i, (*row, file) in enumerate(POS_LINES, start=1):
            con.execute(
                f"insert into raw.pos__receipt_lines ({POS_COLUMNS}, _source_row, "
                "_batch_id, _loaded_at) values (" + ", ".join(["?"] * 19) + ")",
                [*row, *_lineage(file, i)],
            )
        con.execute(f"""create table raw.web__events (event_at timestamp, event_name varchar,
            user_pseudo_id varchar, user_id varchar, session_id varchar, page_location varchar,
            page_title varchar, transaction_id varchar, purchase_revenue decimal(12,2),
            items json, event_params json, device_category varchar, geo_city varchar,
            traffic_source varchar, traffic_medium varchar, {lineage})""")
        for i, row in enumerate(WEB_EVENTS, start=1):
            con.execute(
                f"insert into raw.web__events ({WEB_COLUMNS}, _source_file, _source_row, "
                "_batch_id, _loaded_at) values (" + ", ".join(["?"] * 14) + ")",
                [*row, *_lineage("ga4_events_20261031.jsonl", i)],
            )
        con.execute(f"""create table raw.web__accounts (account_id varchar, email varchar,
            first_name varchar, last_name varchar, birth_date date, phone varchar,
            address_line varchar, postcode varchar, city varchar, email_opt_in boolean,
            sms_opt_in boolean, created_at timestamp, updated_at timestamp, {lineage})""")
        for i, (account, email, e_opt, s_opt, created, updated) in enumerate(ACCOUNTS, start=1):
            con.execute(
                "insert into raw.web__accounts (account_id, email, email_opt_in, "
                "sms_opt_in, created_at, updated_at, _source_file, _source_row, _batch_id, "
                "_loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    account,
                    email,
                    e_opt,
                    s_opt,
                    created,
                    updated,
                    *_lineage("eshop_accounts_20261031.parquet", i),
                ],
            )
        con.execute(f"""create table raw.email__subscribers (email varchar, first_name varchar,
            last_name varchar, status varchar, opted_in_at timestamp,
            status_changed_at timestamp, postcode varchar, {lineage})""")
        for i, (email, status, opted, changed) in enumerate(SUBSCRIBERS, start=1):
            con.execute(
                "insert into raw.email__subscribers (email, status, opted_in_at, "
                "status_changed_at, _source_file, _source_row, _batch_id, _loaded_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?)",
                [email, status, opted, changed, *_lineage("subscribers_20261031.csv", i)],
            )
        con.execute(f"""create table raw.email__activity (campaign_id varchar,
            campaign_name varchar, email varchar, activity_type varchar, activity_at timestamp,
            url varchar, bounce_type varchar, {lineage})""")
        for i, (campaign, name, email, action, at) in enumerate(ACTIVITY, start=1):
            con.execute(
                "insert into raw.email__activity (campaign_id, campaign_name, email, "
                "activity_type, activity_at, _source_file, _source_row, _batch_id, "
                "_loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [campaign, name, email, action, at, *_lineage("activity_20261031.csv", i)],
            )
        con.execute(f"""create table raw.callcenter__tickets (ticket_id varchar,
            opened_at timestamp, closed_at timestamp, caller_name varchar, caller_phone varchar,
            caller_email varchar, loyalty_card_id varchar, contact_channel varchar,
            reason varchar, status varchar, duration_seconds integer, csat integer,
            verbatim varchar, {lineage})""")
        for i, (ticket, opened, status, reason, csat) in enumerate(TICKETS, start=1):
            con.execute(
                "insert into raw.callcenter__tickets (ticket_id, opened_at, "
                "contact_channel, reason, status, csat, _source_file, _source_row, "
                "_batch_id, _loaded_at) values (?, ?, 'phone', ?, ?, ?, ?, ?, ?, ?)",
                [ticket, opened, reason, status, csat, *_lineage("tickets_20261031.csv", i)],
            )
        _create_identity(con)
    finally:
        con.close()


def _create_identity(con) -> None:
    con.execute("""create table identity.customer_records (record_id varchar,
        identity_type varchar, source_key varchar, customer_id varchar, run_id varchar)""")
    con.executemany(
        "insert into identity.customer_records values (?, ?, ?, ?, 'run-1')",
        [(f"{t}:{k}", t, k, c) for t, k, c in RECORDS],
    )
    con.execute("""create table identity.customers (customer_id varchar, is_active boolean,
        is_anonymous boolean, record_count bigint, created_run_id varchar,
        updated_run_id varchar, is_oversized boolean, created_at timestamp)""")
    con.executemany(
        "insert into identity.customers values (?, true, ?, ?, 'run-1', 'run-1', false, ?)",
        [
            (c, anon, sum(1 for *_, owner in RECORDS if owner == c), datetime(2026, 11, 1))
            for c, anon, *_ in CUSTOMERS
        ],
    )
    # the records golden records (the dbt mart) pick each customer's values from
    displayed = ("first_name", "last_name", "email", "address_line", "city")
    columns = ", ".join(
        f"{a} {'date' if a == 'birth_date' else 'varchar'}"
        + (f", {a}_display varchar" if a in displayed else "")
        for a in ATTRIBUTES
    )
    con.execute(f"""create table identity.identity_records (record_id varchar,
        identity_type varchar, source_key varchar, {columns}, last_seen_at timestamp)""")
    # names on each customer's first record, e-mail and phone on the records that carried
    # them: golden records (the dbt mart) pick the customer's values from these
    carrier = {}
    for identity_type, key, customer in RECORDS:
        carrier.setdefault(customer, f"{identity_type}:{key}")
    names = {c: {"first_name": f, "last_name": ln} for c, _, f, ln, _ in CUSTOMERS}
    for identity_type, key, customer in RECORDS:
        record_id = f"{identity_type}:{key}"
        email, phone = CONTACT_POINTS.get(record_id, (None, None))
        values = {"email": email, "phone": phone}
        if carrier[customer] == record_id:
            values |= names[customer]
        row: list = [record_id, identity_type, key]
        for attribute in ATTRIBUTES:
            row.append(values.get(attribute))
            if attribute in displayed:
                row.append(values.get(attribute))
        row.append(datetime(2026, 1, 5))
        con.execute(
            f"insert into identity.identity_records values ({', '.join(['?'] * len(row))})", row
        )
    con.execute("""create table identity.survivorship_trust as select * from (values
        ('email', 'web_account', 0), ('email', 'email_subscriber', 1)
        ) t(attribute, identity_type, trust_rank)""")
    con.execute("""create table identity.customer_aliases (retired_customer_id varchar,
        customer_id varchar, run_id varchar)""")


def expected_lifetime_revenue(card: str, cookies: set[str]) -> Decimal:
    """Revenue of a customer's receipts (each line once) and web orders, from the rows above."""
    seen: set[tuple] = set()
    total = Decimal("0")
    for store, receipt, line, _, _, _, _, qty, price, discount, *_rest in POS_LINES:
        owner = _rest[2]
        if owner == card and (store, receipt, line) not in seen:
            seen.add((store, receipt, line))
            total += qty * price - (discount or 0)
    for _, name, cookie, _, _, _, _, _transaction, revenue, _ in WEB_EVENTS:
        if name == "purchase" and cookie in cookies:
            total += revenue
    return total


def query(settings, sql: str, params=None) -> list[tuple]:
    """Rows of ``sql`` on the warehouse (read-only)."""
    import duckdb

    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
