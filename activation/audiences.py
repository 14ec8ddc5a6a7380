"""Named audiences from `config/exports.yml`: segment exports that respect consent.

An audience reads one relation per customer: the golden record, the customer's segment
(`marts.customer_segments`), every other column of `marts.customer_profile`, and, per
channel, the flag that governs a send (`marts.customer_consent.is_sendable`: consent in
force and a contact point that has not bounced; docs/consent.md). Whatever the filters say,
a customer enters only when that flag is true for the audience's channel.

`identifiers: clear` writes the contact point for the channel; `identifiers: hashed` writes
only SHA-256 of the normalised e-mail (trimmed, lower case) and phone (E.164 digits with
`+`), the form ad platforms match on, each only when its own channel is sendable.
Hashes are written for an audience that says `identifiers: hashed` and for no other. They
are unsalted, as the platforms require, so they are personal data: anyone holding a list of
addresses or phone numbers can hash it and find who is in the file (docs/exports.md).

Each audience ships a JSON Schema beside its files (`<name>.schema.json`, named in the
manifest); CSV files follow activation/export_dialect.py.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from activation import export_dialect, export_files
from activation.export import (
    ExportError,
    ExportResult,
    NothingToExportError,
    require_golden_records,
    run_stamp,
)
from activation.export_config import Audience, Filter, load_exports_config
from core.identifiers import email_typed_sql, phone_e164_sql
from core.warehouse import connect, scalar, table_exists

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)

KIND = "audiences"
BASE = "_audience_base"
_CONTACT = {"email": "email", "sms": "phone"}
_GOLDEN = (
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "postcode",
    "city",
    "first_name_display",
    "last_name_display",
    "city_display",
)
HASHING_NOTE = (
    "unsalted SHA-256 of the normalised e-mail (trimmed, lower case) and E.164 phone, as ad "
    "platforms match them: re-identifiable by anyone who can hash a list of contacts; share "
    "only with the destination that asked for hashes"
)


def _build_base(con: duckdb.DuckDBPyConnection, consent: str) -> list[str]:
    """One row per identified customer with segment, profile and, per channel, whether a
    send is allowed (``email_sendable``, ``sms_sendable``); returns the columns."""
    joins, extra = [], []
    if table_exists(con, "marts", "customer_segments"):
        joins.append("left join marts.customer_segments seg using (customer_id)")
        extra.append("seg.segment")
    else:
        extra.append("null::varchar as segment")
    if table_exists(con, "marts", "customer_profile"):
        profile_columns = [r[0] for r in con.execute("describe marts.customer_profile").fetchall()]
        kept = [
            c
            for c in profile_columns
            if c not in (*_GOLDEN, "segment", "email_sendable", "sms_sendable")
        ]
        joins.append("left join marts.customer_profile p using (customer_id)")
        extra += [f'p."{c}"' for c in kept]
    golden = ", ".join(f"g.{c}" for c in _GOLDEN)
    con.execute(f"""create or replace temp table {BASE} as
select {golden}, {", ".join(extra)},
  coalesce(ce.is_sendable, false) as email_sendable,
  coalesce(cs.is_sendable, false) as sms_sendable
from marts.golden_records g
left join identity.customers c using (customer_id)
{" ".join(joins)}
left join {consent} ce on ce.customer_id = g.customer_id and ce.channel = 'email'
left join {consent} cs on cs.customer_id = g.customer_id and cs.channel = 'sms'
where not coalesce(c.is_anonymous, false)""")
    return [r[0] for r in con.execute(f"describe {BASE}").fetchall()]


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _filter_sql(item: Filter) -> str:
    if item.op in ("in", "not in"):
        values = item.value if isinstance(item.value, list) else [item.value]
        return f'"{item.column}" {item.op} ({", ".join(_literal(v) for v in values)})'
    return f'"{item.column}" {item.op} {_literal(item.value)}'


def audience_sql(name: str, audience: Audience, columns: list[str]) -> str:
    """SELECT of one audience over the base relation; consent is always required."""
    unknown = [f.column for f in audience.filters if f.column not in columns]
    if unknown:
        raise ExportError(
            f"audience {name!r} in exports.yml filters on unknown column(s) "
            f"{unknown}; available: {', '.join(columns)}"
        )
    contact = _CONTACT[audience.channel]
    conditions = [f"{audience.channel}_sendable", f"{contact} is not null"]
    if audience.segments:
        conditions.append(f"segment in ({', '.join(_literal(s) for s in audience.segments)})")
    conditions += [_filter_sql(f) for f in audience.filters]
    if audience.identifiers == "hashed":
        selected = (
            f"case when email_sendable then sha256({email_typed_sql('email')}) end "
            "as email_sha256, "
            f"case when sms_sendable then sha256(coalesce({phone_e164_sql('phone')}, phone)) end "
            "as phone_sha256"
        )
        order = "email_sha256, phone_sha256"
    else:
        # the display forms to greet and address people; the match keys to join on
        selected = (
            f"customer_id, first_name, last_name, {contact}, postcode, city, segment, "
            "first_name_display, last_name_display, city_display"
        )
        order = "customer_id"
    return (
        f"select {selected} from {BASE} where "
        + " and ".join(f"({c})" for c in conditions)
        + f" order by {order}"
    )


def export_audiences(settings: Settings, names: list[str] | None = None) -> ExportResult:
    """Export the configured audiences (all, or ``names``) into one dated folder."""
    config = load_exports_config(settings.exports_config_path)
    wanted = names or list(config.audiences)
    missing = [n for n in wanted if n not in config.audiences]
    if missing:
        raise ExportError(
            f"audience(s) {missing} not defined in {settings.exports_config_path}; "
            f"defined: {sorted(config.audiences)}"
        )
    started_at, run_id, folder = run_stamp(settings, KIND, "audiences")
    with connect(settings) as con:
        consent = require_golden_records(con, settings, "the audiences")
        columns = _build_base(con, consent)
        if not scalar(con, f"select count(*) from {BASE}"):
            raise NothingToExportError(
                f"nothing to export: marts.golden_records in {settings.duckdb_path} holds "
                "no identified customer; run `cdp ingest` and `cdp identity resolve` first"
            )
        if any(config.audiences[n].segments for n in wanted) and not table_exists(
            con, "marts", "customer_segments"
        ):
            raise ExportError(
                "marts.customer_segments is missing; run `cdp profiles build` "
                "before exporting segment audiences"
            )
        queries = {n: audience_sql(n, config.audiences[n], columns) for n in wanted}
        files, summary = [], {}
        with export_files.staged_folder(folder) as staging:
            for name, sql in queries.items():
                audience = config.audiences[name]
                schema = export_dialect.write_schema(
                    staging,
                    f"{name}.schema.json",
                    export_dialect.json_schema(
                        export_dialect.described(con, sql),
                        f"Audience {name}",
                        audience.description or f"Rows of the audience {name}.",
                    ),
                )
                for fmt in audience.formats:
                    entry = export_files.write_data_file(con, sql, staging, name, fmt)
                    files.append({"audience": name, "schema": schema, **entry})
                summary[name] = {
                    "rows": files[-1]["rows"],
                    "channel": audience.channel,
                    "identifiers": audience.identifiers,
                    "segments": audience.segments,
                    "description": audience.description,
                    "schema": schema,
                }
                if audience.identifiers == "hashed":
                    summary[name]["hashing"] = HASHING_NOTE
            export_files.write_manifest(
                staging,
                {
                    "kind": KIND,
                    "run_id": run_id,
                    "created_at": started_at,
                    "audiences": summary,
                    "csv_dialect": export_dialect.CSV_DIALECT,
                    "files": files,
                },
            )
    total = sum(s["rows"] for s in summary.values())
    log.info("exported %d audience(s), %d rows, to %s", len(summary), total, folder)
    return ExportResult(
        KIND, run_id, "full", folder, total, {n: s["rows"] for n, s in summary.items()}, files
    )
