"""Why a customer holds its records: its records and every link inside it, with reasons."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from identity import _standardise as std
from identity._config import load_identity_config

if TYPE_CHECKING:
    import duckdb

    from cdp.settings import Settings


class CustomerNotFoundError(LookupError):
    """No customer matches the key given to explain."""


def _customer_ids(con: duckdb.DuckDBPyConnection, key: str, settings: Settings) -> list[str]:
    config = load_identity_config(settings.identity_config_path).standardisation
    found = con.execute(
        """
select customer_id from identity.customers where customer_id = $key and is_active
union select customer_id from identity.customer_aliases where retired_customer_id = $key""",
        {"key": key},
    ).fetchall()
    if found:
        return [row[0] for row in found]
    if "@" in key:
        column, value = (
            "email",
            con.execute(f"select {std.email_sql('$key', config)}", {"key": key}).fetchone()[0],
        )
    else:
        column = "phone"
        value = con.execute(f"select {std.phone_sql('$key')}", {"key": key}).fetchone()[
            0
        ] or std.phone_e164(key, config.default_phone_region)
    rows = con.execute(
        f"""
select distinct m.customer_id from identity.identity_records r
join identity.customer_records m using (record_id) where r.{column} = $value order by 1""",
        {"value": value},
    ).fetchall()
    return [row[0] for row in rows]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def explain(settings: Settings, key: str) -> dict[str, Any]:
    """Records and links of every customer matching a customer id, e-mail or phone."""
    from cdp.warehouse import connect

    with connect(settings) as con:
        ids = _customer_ids(con, key.strip(), settings)
        if not ids:
            raise CustomerNotFoundError(
                f"no customer for {key!r}: give a customer_id, an e-mail or a phone number "
                "known to identity.identity_records (run `cdp identity resolve` first)"
            )
        customers = []
        for customer_id in ids:
            records = _rows(
                con,
                """
select r.record_id, r.identity_type, r.source_key, r.first_name, r.last_name, r.email, r.phone,
  r.birth_date, r.postcode, r.city, r.last_seen_at
from identity.customer_records m join identity.identity_records r using (record_id)
where m.customer_id = ? order by r.record_id""",
                [customer_id],
            )
            links = _rows(
                con,
                """
select l.record_id_l, l.record_id_r, l.link_type, l.rule, l.match_weight, l.match_probability,
  l.top_comparisons, l.run_id
from identity.links l
join identity.customer_records a on a.record_id = l.record_id_l
where a.customer_id = ? order by l.link_type, l.match_weight desc nulls first""",
                [customer_id],
            )
            golden = _rows(
                con, "select * from identity.golden_records where customer_id = ?", [customer_id]
            )
            history = _rows(
                con,
                """select run_id, event, from_customer_id, to_customer_id, detail
from identity.id_history where customer_id = ? order by recorded_at""",
                [customer_id],
            )
            customers.append(
                {
                    "customer_id": customer_id,
                    "records": records,
                    "links": [
                        {**link, "top_comparisons": json.loads(link["top_comparisons"] or "null")}
                        for link in links
                    ],
                    "golden_record": golden[0] if golden else {},
                    "history": history,
                }
            )
    return {"key": key, "customers": customers}
