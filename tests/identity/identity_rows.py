"""Row builders for the identity tests: raw rows following the contract, and queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta


def account(
    account_id,
    first,
    last,
    email=None,
    phone=None,
    birth=None,
    postcode="75011",
    city="Paris",
    at=datetime(2025, 6, 1),
):
    return {
        "account_id": account_id,
        "email": email,
        "first_name": first,
        "last_name": last,
        "birth_date": birth,
        "phone": phone,
        "address_line": "1 rue de la Paix",
        "postcode": postcode,
        "city": city,
        "email_opt_in": True,
        "sms_opt_in": False,
        "created_at": at,
        "updated_at": at,
    }


def card(
    card_id,
    first,
    last,
    email=None,
    phone=None,
    birth=None,
    postcode="75011",
    at=datetime(2025, 6, 2),
):
    return {
        "store_id": "S99",
        "receipt_id": f"R-{card_id}",
        "line_number": 1,
        "sold_at": at,
        "loyalty_card_id": card_id,
        "customer_last_name": last,
        "customer_first_name": first,
        "customer_email": email,
        "customer_phone": phone,
        "customer_postcode": postcode,
        "customer_city": "PARIS",
        "customer_birth_date": birth,
    }


def subscriber(email, first=None, last=None, at=datetime(2025, 6, 3)):
    return {
        "email": email,
        "first_name": first,
        "last_name": last,
        "status": "subscribed",
        "opted_in_at": at,
        "status_changed_at": None,
        "postcode": None,
    }


def ticket(ticket_id, name=None, phone=None, email=None, card_id=None, at=datetime(2025, 6, 4)):
    return {
        "ticket_id": ticket_id,
        "opened_at": at,
        "closed_at": None,
        "caller_name": name,
        "caller_phone": phone,
        "caller_email": email,
        "loyalty_card_id": card_id,
    }


def add_rows(settings, **rows) -> None:
    """Append rows to raw tables: accounts=[...], receipts=[...], subscribers=[...], ..."""
    from bench.identity_synthetic import write_raw
    from core.warehouse import connect

    with connect(settings) as con:
        write_raw(con, rows)


def customer_of(settings, record_id: str) -> str:
    from core.warehouse import connect

    with connect(settings) as con:
        row = con.execute(
            "select customer_id from identity.customer_records where record_id = ?", [record_id]
        ).fetchone()
    assert row, f"{record_id} has no customer"
    return row[0]


def query(settings, sql: str, params=None) -> list[tuple]:
    from core.warehouse import connect

    with connect(settings) as con:
        return con.execute(sql, params or []).fetchall()


DOB_A, DOB_B = date(1971, 3, 14), date(1988, 11, 2)


def homes_with_replaced_values(
    people: int, first_replaced: int, birth_replaced: int, both_replaced: int, households: int
):
    """A DuckDB table ``records`` of ``people`` people, three records each at their home
    (surname, address line, postcode) agreeing on first name and birth date; in that order,
    ``first_replaced`` of them have a fourth record with the first name replaced,
    ``birth_replaced`` one with the birth date replaced, ``both_replaced`` one with both, and
    ``households`` live with a second member (another first name and birth date)."""
    import duckdb

    first_ends = first_replaced
    birth_ends = first_ends + birth_replaced
    both_ends = birth_ends + both_replaced
    rows = []
    for person in range(people):
        home = (f"surname{person}", f"{person} rue des lilas", f"{44000 + person}")
        born = date(1950, 1, 1) + timedelta(days=97 * person)
        own = [(f"first{person}", born)] * 3
        if person < first_ends:
            own.append(("replaced", born))
        elif person < birth_ends:
            own.append((f"first{person}", date(1901, 1, 1)))
        elif person < both_ends:
            own.append(("replaced", date(1901, 1, 1)))
        elif person < both_ends + households:
            own.append((f"member{person}", date(2001, 1, 1)))
        rows += [(*home, first, birth) for first, birth in own]
    con = duckdb.connect()
    con.execute(
        "create table records (last_name varchar, address_line varchar, postcode varchar, "
        "first_name varchar, birth_date date, is_anonymous boolean default false)"
    )
    con.executemany(
        "insert into records (last_name, address_line, postcode, first_name, birth_date) "
        "values (?, ?, ?, ?, ?)",
        rows,
    )
    return con


def one_home_waived(left: tuple, right: tuple) -> bool:
    """Whether two records (first name, last name, address line, postcode, city each) are
    read as one home where the records show values replaced there (``_replaced.waived_sql``)."""
    import duckdb

    from identity._replaced import Replaced, pair_column, waived_sql

    sides = ", ".join(
        f"? as {column}_{side}"
        for side in ("l", "r")
        for column in ("first_name", "last_name", "address_line", "postcode", "city")
    )
    condition = waived_sql(Replaced(frozenset({"home"})), ["home"], pair_column)
    row = duckdb.connect().execute(f"select {condition} from (select {sides})", [*left, *right])
    return row.fetchall()[0][0]
