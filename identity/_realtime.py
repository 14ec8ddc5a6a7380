"""Real-time identification: one incoming person scored against the resolved records.

The same rules as a resolve run, applied to one record: the attributes are standardised by
the pipeline's own SQL (``_standardise``), junk values are dropped by the configured block
list (``_guards``), a strong identifier (loyalty card, e-shop account) answers
deterministically, and otherwise the records sharing a blocking key with it are scored with
the saved Splink model through Splink's real-time ``compare_records`` (its SQL cached
between calls), conflicts refuse a pair exactly as ``_links`` does, and the best pair above
the match threshold names the customer. Term frequencies come from the records scored
against, computed once per :class:`RealtimeScorer`.

The scorer reads through any DuckDB connection holding the ``identity`` schema (the API
gives it the published snapshot); Splink works in a private in-memory database.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.warehouse import table_exists
from identity import _links, _model, _plan
from identity import _standardise as std
from identity._backend import arrow
from identity._config import ATTRIBUTES, IdentityConfig, load_identity_config

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb

    from core.settings import Settings

# identifier given to the API -> identity type whose source_key it is (docs/architecture.md)
KEYED_IDENTIFIERS = {
    "loyalty_card": "loyalty_card",
    "web_account": "web_account",
    "cookie": "web_cookie",
}
_MAX_CANDIDATES = 200
_NEW_ID = "new:request"


@lru_cache(maxsize=8)
def _config_at(path: Path, mtime_ns: int) -> IdentityConfig:
    return load_identity_config(path)


def cached_config(path: Path) -> IdentityConfig:
    """config/identity.yml, read again only when the file changes (one read per request
    would cost more than the lookup it serves)."""
    return _config_at(path, path.stat().st_mtime_ns)


def standardise(
    con: duckdb.DuckDBPyConnection, values: dict[str, Any], config: IdentityConfig
) -> dict[str, Any]:
    """The attributes given, standardised exactly as identity records are (None when junk)."""
    cfg = config.standardisation
    expressions = {
        "first_name": std.name_sql("$first_name", cfg),
        "last_name": std.name_sql("$last_name", cfg),
        "email": std.email_sql("$email", cfg),
        "phone": std.phone_sql("$phone"),
        "birth_date": std.birth_date_sql("$birth_date", cfg),
        "postcode": std.postcode_sql("$postcode"),
        "city": std.city_sql("$city"),
        "address_line": std.address_sql("$address_line"),
    }
    given = {name: values.get(name) for name in expressions if values.get(name) not in (None, "")}
    if not given:
        return dict.fromkeys(ATTRIBUTES)
    sql = "select " + ", ".join(f"{expressions[name]} as {name}" for name in given)
    row = con.execute(sql, {name: str(value) for name, value in given.items()}).fetchone()
    assert row is not None  # a select without from has one row
    out = dict.fromkeys(ATTRIBUTES)
    out.update(zip(given, row, strict=True))
    if given.get("phone") and out["phone"] is None:  # what SQL cannot tell, Python can
        out["phone"] = std.phone_e164(str(given["phone"]), cfg.default_phone_region)
    return _drop_blocked(out, config)


def _drop_blocked(record: dict[str, Any], config: IdentityConfig) -> dict[str, Any]:
    """Junk e-mails and phones (the configured block list) identify nobody."""
    for kind in ("email", "phone"):
        rules = config.guards.blocklist.get(kind)
        value = record.get(kind)
        if rules is None or value is None:
            continue
        if value in rules.values or any(re.search(p, value) for p in rules.patterns):
            record[kind] = None
    return record


@dataclass
class Identification:
    """The answer for one incoming person."""

    customer_id: str | None
    match_probability: float | None
    match_weight: float | None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    matched_record_id: str | None = None
    refused: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.customer_id is None


class RealtimeScorer:
    """The saved model and term frequencies over one set of resolved records."""

    def __init__(
        self,
        settings: Settings,
        con: duckdb.DuckDBPyConnection,
        records_by: Callable[[str], str] | None = None,
    ) -> None:
        """``records_by(column)``: a table of the identity records to look candidates up in
        by that column (a copy sorted by it serves a lookup fastest); by default
        ``identity.identity_records`` for every column."""
        import duckdb
        from splink import DuckDBAPI

        from identity._training import load_model

        self.config = load_identity_config(settings.identity_config_path)
        model_path = settings.model_dir / self.config.model_file
        if not model_path.exists():
            raise FileNotFoundError(
                f"no saved identity model at {model_path}: run `cdp identity train` (or a "
                "resolve, which trains on first run) before identifying in real time"
            )
        self.model = load_model(model_path, self.config)
        self.labels = _model.level_labels(self.model)
        self.columns = [c for c in _model.MODEL_COLUMNS if c != "record_id"]
        # the columns a resolve run gives Splink beyond the records' own (identity._scoring):
        # term frequencies, derived columns, people known by each full name; over the
        # records scored against, computed once
        self.tf_columns = [
            c for c, comparison in _model.TF_COLUMNS.items() if comparison in self.labels
        ]
        self.tf: dict[str, dict[str, float]] = {}
        for column in self.tf_columns:
            value = _model.DERIVED_COLUMNS.get(column, column)
            rows = con.execute(
                f"select {value}, count(*) / sum(count(*)) over () from "
                f"identity.identity_records where not is_anonymous and {value} is not null "
                "group by 1"
            ).fetchall()
            self.tf[column] = dict(rows)
        self.name_people: dict[tuple[str, str], int] = {
            (first, last): people
            for first, last, people in con.execute(
                "select first_name, last_name, greatest(count(distinct birth_date), "
                "count(distinct phone), count(distinct email)) from identity.identity_records "
                "where not is_anonymous and first_name is not null and last_name is not null "
                "group by all"
            ).fetchall()
        }
        self.blocking = [cols for cols in self.config.blocking if set(cols) <= set(self.columns)]
        # what the last run's guards blocked (block list, frequency ceiling): links nobody
        self.blocked: set[tuple[str, str]] = set()
        if table_exists(con, "identity", "blocked_identifiers"):
            self.blocked = set(
                con.execute(
                    "select identifier_type, identifier_value from identity.blocked_identifiers"
                ).fetchall()
            )
        self.records_by = records_by or (lambda column: "identity.identity_records")
        self._splink_con = duckdb.connect()
        self._db_api = DuckDBAPI(connection=self._splink_con)
        self._lock = threading.Lock()  # one Splink database: one scoring at a time
        self._explain_sql: str | None = None

    def close(self) -> None:
        self._splink_con.close()

    def candidates(self, con: duckdb.DuckDBPyConnection, record: dict[str, Any]):
        """Records sharing a blocking key with ``record``, with their customer (Arrow)."""
        rules = [cols for cols in self.blocking if all(record.get(c) is not None for c in cols)]
        if not rules:
            return None
        columns = ", ".join(f"r.{c}" for c in self.columns)
        # one equality lookup per blocking rule, each in the records sorted by its first column
        lookups = " union ".join(
            f"select r.record_id, {columns} from {self.records_by(cols[0])} r where "
            + " and ".join(f"r.{c} = ${c}" for c in cols)
            + " and not r.is_anonymous"
            for cols in rules
        )
        params = {c: record[c] for cols in rules for c in cols}
        return arrow(
            con,
            f"""select f.*, m.customer_id from ({lookups}) f
join identity.customer_records m using (record_id)
order by f.record_id limit {_MAX_CANDIDATES}""",
            params,
        )

    def _model_input(self, table):
        """``table`` (record columns) with what Splink's input holds beyond them: the derived
        columns, people known by the full name and the term frequencies (under the lock:
        the derivation runs in the scorer's private database)."""
        import pyarrow as pa

        derived = ", ".join(f"{sql} as {name}" for name, sql in _model.DERIVED_COLUMNS.items())
        self._splink_con.register("identify_derive", table)
        try:
            table = arrow(self._splink_con, f"select *, {derived} from identify_derive")
        finally:
            self._splink_con.unregister("identify_derive")
        names = zip(
            table.column("first_name").to_pylist(),
            table.column("last_name").to_pylist(),
            strict=True,
        )
        people = [self.name_people.get(name, 0) for name in names]
        table = table.append_column("name_people", pa.array(people, pa.int64()))
        for column in self.tf_columns:
            values = table.column(column).to_pylist()
            tf = [self.tf[column].get(v) if v is not None else None for v in values]
            table = table.append_column(f"tf_{column}", pa.array(tf, pa.float64()))
        return table

    def _new_table(self, record: dict[str, Any], template):
        import pyarrow as pa

        arrays = {"record_id": pa.array([_NEW_ID], pa.string())}
        for column in self.columns:
            arrays[column] = pa.array([record.get(column)], template.schema.field(column).type)
        return pa.table(arrays)

    def score(self, con: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> Identification:
        """Score ``record`` (standardised) against its candidates; the best customer or new."""
        from splink.internals.realtime import compare_records

        record = {
            k: None if k in ("email", "phone") and (k, v) in self.blocked else v
            for k, v in record.items()
        }
        found = self.candidates(con, record)
        if found is None or found.num_rows == 0:
            return Identification(None, None, None)
        customers = dict(
            zip(
                found.column("record_id").to_pylist(),
                found.column("customer_id").to_pylist(),
                strict=True,
            )
        )
        with self._lock:
            existing = self._model_input(found.drop_columns(["customer_id"]))
            new = self._model_input(self._new_table(record, found))
            # Arrow tables registered as views: Splink reads them by name, nothing copied
            self._splink_con.register("identify_new", new)
            self._splink_con.register("identify_existing", existing)
            predictions = compare_records(
                "identify_new",
                "identify_existing",
                self.model,
                self._db_api,
                sql_cache_key="cdp_identify",
            )
            try:
                rows = self._explain(predictions.physical_name)
            finally:
                # a result served from the SQL cache is not flagged as Splink's own: force the drop
                predictions.drop_table_from_database_and_remove_from_cache(
                    force_non_splink_table=True
                )
        return self._best(rows, customers)

    def _explain(self, table: str) -> list[dict[str, Any]]:
        if self._explain_sql is None:  # the same columns on every call: built once
            self._explain_sql = self._explain_template(table)
        cursor = self._splink_con.execute(self._explain_sql.replace("{table}", table))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _explain_template(self, table: str) -> str:
        columns = {r[0] for r in self._splink_con.execute(f"describe {table}").fetchall()}
        absent = [
            f"null::{'date' if c == 'birth_date' else 'varchar'} as {c}_{side}"
            for c in _plan.ATTRIBUTE_COLUMNS
            for side in "lr"
            if f"{c}_{side}" not in columns
        ]
        # a model saved before a conflict column existed: no evidence against (as _links)
        absent += [
            f"true as {c}_{side}"
            for c in _model.CONFLICT_COLUMNS
            for side in "lr"
            if f"{c}_{side}" not in columns
        ]
        relation = "(select *, " + ", ".join(absent) + " from {table})" if absent else "{table}"
        conflict = _links._gamma_sql(self.labels, self.config)
        top = _links._top_comparisons_sql(self.labels, columns, self.config.top_comparisons)
        return f"""
select record_id_r as record_id, match_weight, match_probability, {conflict} as conflict,
  {top} as top_comparisons
from {relation} order by match_weight desc"""

    def _best(self, rows: list[dict[str, Any]], customers: dict[str, str]) -> Identification:
        threshold = self.config.match_threshold
        refused = []
        for row in rows:
            reasons = json.loads(row["top_comparisons"] or "[]")
            if row["match_probability"] < threshold:
                break
            if row["conflict"]:
                refused.append(
                    {
                        "customer_id": customers[row["record_id"]],
                        "conflict": row["conflict"],
                        "match_probability": row["match_probability"],
                    }
                )
                continue
            return Identification(
                customers[row["record_id"]],
                row["match_probability"],
                row["match_weight"],
                reasons,
                row["record_id"],
                refused,
            )
        return Identification(None, None, None, refused=refused)


def identify_keyed(con: duckdb.DuckDBPyConnection, kind: str, value: str) -> tuple[str, str] | None:
    """(customer_id, record_id) of a strong identifier given as is (card, account, cookie)."""
    identity_type = KEYED_IDENTIFIERS[kind]
    record_id = f"{identity_type}:{value.strip()}"
    row = con.execute(
        "select customer_id from identity.customer_records where record_id = ?", [record_id]
    ).fetchone()
    return (row[0], record_id) if row else None
