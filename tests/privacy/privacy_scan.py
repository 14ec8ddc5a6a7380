"""Helpers for the privacy tests: a person's identifiers in every form, and a byte scan."""

from __future__ import annotations

import os
from pathlib import Path

from core.identifiers import email_canonical_sql, email_typed_sql, phone_e164_sql
from core.warehouse import connect
from identity import identity_mappings


def identifier_forms(settings, customer_id: str, rules) -> set[str]:
    """Every identifier of a customer's records, as the sources wrote it and keyed: raw
    e-mails (as typed, lower, canonical), phones (as typed, E.164), cards, accounts, cookies."""
    with connect(settings) as con:
        keys = con.execute(
            "select identity_type, source_key from identity.customer_records where customer_id = ?",
            [customer_id],
        ).fetchall()
        strong = con.execute(
            "select identifier_value from identity.record_identifiers "
            "join identity.customer_records using (record_id) where customer_id = ?",
            [customer_id],
        ).fetchall()
        forms = {k for _, k in keys} | {v for (v,) in strong}
        # where each identity type's records come from, and how their key is computed, as
        # the source definitions say (identity reads the same mappings)
        mappings: dict[str, list] = {}
        for mapping in identity_mappings(settings):
            mappings.setdefault(mapping.identity_type, []).append(mapping)
        contacts = {  # the raw contact columns (e-mail, phone) of the tables holding people
            "raw.pos__receipt_lines": ("customer_email", "customer_phone"),
            "raw.web__accounts": ("email", "phone"),
            "raw.email__subscribers": ("email", "null"),
            "raw.callcenter__tickets": ("caller_email", "caller_phone"),
            "raw.reviews__reviews": ("author_email", "null"),
            "raw.reviews__mentions": ("null", "author_handle"),  # a handle: as written, '@' kept
            "raw.sms__activity": ("null", "phone"),
        }
        for identity_type, source_key in keys:
            for mapping in mappings[identity_type]:
                if mapping.raw_table not in contacts:
                    continue
                email, phone = contacts[mapping.raw_table]
                for e, p in con.execute(
                    f"select distinct {email}, {phone} from {mapping.raw_table} "
                    f"where ({mapping.source_key}) = ? and ({mapping.where or 'true'})",
                    [source_key],
                ).fetchall():
                    for value in (e, p):
                        if value:
                            forms.add(value)
        for value in list(forms):
            forms |= {
                v
                for v in con.execute(
                    f"select {email_typed_sql('$1')}, {email_canonical_sql('$1', rules)}, "
                    f"{phone_e164_sql('$1')}",
                    [value],
                ).fetchone()
                if v
            }
        events = con.execute(
            "select distinct user_id from raw.web__events where user_pseudo_id in "
            "(select unnest(?))",
            [[k for t, k in keys if t == "web_cookie"]],
        ).fetchall()
        forms |= {u for (u,) in events if u}
    return {f for f in forms if len(f) >= 6}


def byte_scan(data_dir: Path, forms: set[str], skipped: tuple[str, ...]) -> list[str]:
    """Files under ``data_dir`` (bytes, any format) holding one of ``forms``, case-insensitive."""
    needles = {f.lower().encode() for f in forms}
    found = []
    for root, dirs, names in os.walk(data_dir):
        folder = Path(root)
        dirs[:] = [d for d in dirs if (folder / d).relative_to(data_dir).as_posix() not in skipped]
        for name in names:
            content = (folder / name).read_bytes().lower()
            for needle in needles:
                if needle in content:
                    found.append(f"{(folder / name).relative_to(data_dir)}: {needle.decode()}")
    return found


def resend_all(landing_dir: Path) -> list[Path]:
    """Every landing file again under a new name with new bytes, as a source re-exporting
    the same rows does (same bytes would be skipped as already loaded)."""
    import duckdb

    sent = []
    for path in sorted(p for p in landing_dir.rglob("*") if p.is_file()):
        head, _, tail = path.stem.rpartition("_")
        copy = path.with_name(f"{head}_resent_{tail}{path.suffix}")
        if path.suffix == ".parquet":
            duckdb.connect().execute(
                f"copy (select * from read_parquet('{path}')) to '{copy}' "
                "(format parquet, compression uncompressed)"
            )
        else:
            content = path.read_bytes()  # the other line ending: same rows, other bytes
            if b"\r\n" in content:
                copy.write_bytes(content.replace(b"\r\n", b"\n"))
            else:
                copy.write_bytes(content.replace(b"\n", b"\r\n"))
        sent.append(copy)
    return sent


def rewritten_person(settings) -> tuple[str, str]:
    """(customer_id, raw e-mail) of a customer with an e-shop account, a cookie and a Gmail
    address identity rewrote (dots dropped): the case lookups by ``lower(trim())`` missed."""
    with connect(settings) as con:
        row = con.execute("""
            select m.customer_id, a.email from raw.web__accounts a
            join identity.identity_records r
              on r.identity_type = 'web_account' and r.source_key = a.account_id
            join identity.customer_records m using (record_id)
            where lower(trim(a.email)) <> r.email and r.email like '%@gmail.com'
              and m.customer_id in (select customer_id from identity.customer_records
                                    where identity_type = 'web_cookie')
            order by 1 limit 1""").fetchone()
    assert row, "the sample holds no rewritten Gmail customer with a cookie: change the seed"
    return row


def other_spelling(email: str) -> str:
    """The same Gmail address as a data subject might type it: case, +tag, typo domain."""
    local, _ = email.split("@")
    return f" {local.title()}+promo@GMIAL.com "
