"""Real-time identification: one incoming person scored against the resolved records.

The same rules as a resolve run, applied to one record: the attributes are standardised as
the pipeline does and junk values dropped (``_realtime_input``); the records sharing a
blocking key with it are read in one query, each pair's comparison levels, match weights
and term-frequency adjustments computed from the saved model as Splink computes them
(``_realtime_weights``), conflicts refuse a pair exactly as ``_links`` does, and the best
pair above the match threshold names the customer. Term frequencies come from the records
scored against, computed once per :class:`RealtimeScorer`.

The scorer reads through any DuckDB connection holding the ``identity`` schema (the API
gives it a cursor on its serving copy of the published snapshot, whose records are sorted
by blocking key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.warehouse import one_row, table_exists
from identity import _model, _plan, _replaced
from identity._config import load_identity_config
from identity._realtime_conflicts import RealtimeConflicts
from identity._realtime_records import (
    _EMAILLESS,
    INPUT_COLUMNS,
    Identification,
    candidate_records_sql,
    derived_keys,
    identify_keyed,
    with_derived,
)
from identity._realtime_splink import SplinkPairScorer
from identity._realtime_weights import ModelWeights

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb
    import pyarrow as pa

    from core.settings import Settings

# the names callers import from here (api.serving, api.identify, tests)
__all__ = [
    "Identification",
    "RealtimeScorer",
    "candidate_records_sql",
    "identify_keyed",
    "with_derived",
]

MAX_CANDIDATES = 200


class RealtimeScorer:
    """The saved model and term frequencies over one set of resolved records.

    A call reads the candidates sharing a blocking key (one query), derives the incoming
    person's columns (one small query), then evaluates the saved comparisons and weights in
    Python (:mod:`identity._realtime_weights`); a configured conflict's ``unless`` SQL runs
    only for a pair that conflict would refuse.
    """

    def __init__(
        self,
        settings: Settings,
        con: duckdb.DuckDBPyConnection,
        records_by: Callable[[str], str] | None = None,
    ) -> None:
        """``records_by(column)``: a table of the records with derived columns, sorted by
        ``column`` (a copy sorted by it serves a lookup fastest); by default a subquery."""
        from identity._training import load_model, with_labelled_threshold

        known = {*_EMAILLESS, *derived_keys({})}
        if set(_model.DERIVED_COLUMNS) != known:
            raise NotImplementedError(  # a new derived column: say what it is without e-mail
                f"identity._realtime knows the derived columns {sorted(known)} without an "
                f"e-mail, _model has {list(_model.DERIVED_COLUMNS)}: add the new ones to "
                "_realtime_records._EMAILLESS or derived_keys"
            )
        config = load_identity_config(settings.identity_config_path)
        model_path = settings.model_dir / config.model_file
        if not model_path.exists():
            raise FileNotFoundError(
                f"no saved identity model at {model_path}: run `cdp identity train` (or a "
                "resolve, which trains on first run) before identifying in real time"
            )
        # the threshold a resolve run links at (`cdp identity train --labels` may set it)
        self.config = with_labelled_threshold(config, model_path)
        self.model = load_model(model_path, config)
        self.weights = ModelWeights(self.model)
        self.records_by = records_by or (lambda column: f"({candidate_records_sql()})")
        # what a resolve run gives Splink beyond the records (identity._scoring): term
        # frequencies and people known by each full name, over the records scored against
        self.tf: dict[str, dict[Any, float]] = {}
        for column in self.weights.tf_columns():
            value = _model.DERIVED_COLUMNS.get(column, column)
            self.tf[column] = dict(
                con.execute(
                    f"select {value}, count(*) / sum(count(*)) over () from "
                    f"identity.identity_records where not is_anonymous and {value} is not null "
                    "group by 1"
                ).fetchall()
            )
        self.name_people: dict[tuple[str | None, str | None], int] = {
            (first, last): people
            for first, last, people in con.execute(
                "select first_name, last_name, greatest(count(distinct birth_date), "
                "count(distinct phone), count(distinct email)) from identity.identity_records "
                "where not is_anonymous and first_name is not null and last_name is not null "
                "group by all"
            ).fetchall()
        }
        # first names seen with each home, phone, e-mail, surnames with each first name
        # (_model.DISTINCT_BY)
        self.distinct_by: dict[str, dict[tuple, int]] = {
            name: {
                tuple(row[:-1]): row[-1]
                for row in con.execute(
                    _model.distinct_by_counts_sql(
                        name, "identity.identity_records", "identity.record_identifiers"
                    )
                ).fetchall()
            }
            for name in _model.DISTINCT_BY
        }
        # rules on record columns and on keys derived from them (name_pair: names either way)
        keys = {*INPUT_COLUMNS, *_plan.DERIVED_KEYS}
        self.blocking = [cols for cols in self.config.blocking if set(cols) <= keys]
        # what the last run's guards blocked (block list, frequency ceiling): links nobody
        self.blocked: set[tuple[str, str]] = set()
        if table_exists(con, "identity", "blocked_identifiers"):
            self.blocked = set(
                con.execute(
                    "select identifier_type, identifier_value from identity.blocked_identifiers"
                ).fetchall()
            )
        self.types = dict(
            con.execute(
                "select column_name, column_type from "
                f"(describe ({with_derived('identity.identity_records')}))"
            ).fetchall()
        )
        # a model saved before a conflict column existed does not retain it: batch scoring
        # reads it as no evidence against (``_links.accept_predictions``), and so does this
        retained = set(self.model.get("additional_columns_to_retain") or ())
        assumed = {c: True for c in _model.CONFLICT_COLUMNS if c not in retained}
        # the strata where the records show values replaced, as the last batch run found
        # them: a real-time answer decides as the run did
        replaced = _replaced.of_stored_records(con, self.config)
        self.conflicts = RealtimeConflicts(
            self.weights.labels, self.config, self.types, assumed, replaced
        )
        self._derive_sql: str | None = None
        self._splink_pairs = SplinkPairScorer(self.model, self._model_input)

    @property
    def columns(self) -> list[str]:
        """The record columns the model reads (derived ones come from them)."""
        return list(INPUT_COLUMNS)

    def _model_input(self, con: duckdb.DuckDBPyConnection, table: pa.Table) -> pa.Table:
        """``table`` (Arrow, record columns) as Splink's input holds it: derived columns,
        people known by the full name, term frequencies (``con``: Splink's database)."""
        import pyarrow as pa

        from identity._backend import arrow

        con.register("identify_derive", table)
        try:
            table = arrow(con, with_derived("identify_derive"))
        finally:
            con.unregister("identify_derive")
        names = zip(
            table.column("first_name").to_pylist(),
            table.column("last_name").to_pylist(),
            strict=True,
        )
        people = [self.name_people.get(name, 0) for name in names]
        table = table.append_column("name_people", pa.array(people, pa.int64()))
        for name, (_, keys) in _model.DISTINCT_BY.items():
            known = self.distinct_by[name]
            values = zip(*(table.column(k).to_pylist() for k in keys), strict=True)
            counts = [known.get(value, 0) for value in values]
            table = table.append_column(name, pa.array(counts, pa.int64()))
        for column, frequencies in self.tf.items():
            values = table.column(column).to_pylist()
            tf = [frequencies.get(v) if v is not None else None for v in values]
            table = table.append_column(f"tf_{column}", pa.array(tf, pa.float64()))
        return table

    def compare_pairs(self, records: pa.Table, pairs: pa.Table) -> list[dict[str, Any]]:
        """Splink's own scoring (``compare_records``) of ``pairs`` (``record_id_l``,
        ``record_id_r``) of ``records`` (Arrow, :attr:`columns` and ``record_id``): one row
        per pair with every comparison's level and weight (what a waterfall chart reads)."""
        return self._splink_pairs.compare(records, pairs)

    def close(self) -> None:
        """Close Splink's private database, if :meth:`compare_pairs` opened it."""
        self._splink_pairs.close()

    def candidates(self, con: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> list[dict]:
        """Records sharing a blocking key with ``record`` (as :meth:`incoming` gives it:
        derived keys included, blocked values gone), with their customer."""
        rules = [cols for cols in self.blocking if all(record.get(c) is not None for c in cols)]
        if not rules:
            return []
        # one equality lookup per blocking rule, each in the records sorted by its first
        # column; a record two rules find is kept once (here: a SQL union plans slower)
        lookups = " union all ".join(
            f"select * from {self.records_by(cols[0])} where "
            + " and ".join(f"{c} = ${c}" for c in cols)
            for cols in rules
        )
        params = {c: record[c] for cols in rules for c in cols}
        cursor = con.execute(lookups, params)
        names = [c[0] for c in cursor.description]
        found = {row[0]: row for row in cursor.fetchall()}  # record_id is the first column
        return [
            self._frequencies(dict(zip(names, found[record_id], strict=True)))
            for record_id in sorted(found)[:MAX_CANDIDATES]
        ]

    def incoming(self, con: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> dict:
        """The incoming person as Splink's input holds a record: blocked values gone (as the
        guards null them before matching), derived columns by ``_model``'s own SQL."""
        out = {c: record.get(c) for c in INPUT_COLUMNS}
        for column in ("email", "phone"):
            if (column, out[column]) in self.blocked:
                out[column] = None
        if out["email"] is None:  # the SQL costs ~4 ms; without an e-mail the values are known
            out.update(_EMAILLESS, **derived_keys(out))
            return self._frequencies(out)
        if self._derive_sql is None:  # the derived columns' SQL reads these record columns
            given = ", ".join(f"cast(${c} as {self.types[c]}) as {c}" for c in INPUT_COLUMNS)
            self._derive_sql = (
                f"select {', '.join(_model.DERIVED_COLUMNS)} "
                f"from ({with_derived(f'(select {given})')})"
            )
        values = one_row(con, self._derive_sql, out)
        out.update(zip(_model.DERIVED_COLUMNS, values, strict=True))
        return self._frequencies(out)

    def _frequencies(self, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` with the people known by its full name and its term frequencies."""
        row["name_people"] = self.name_people.get((row.get("first_name"), row.get("last_name")), 0)
        for name, (_, keys) in _model.DISTINCT_BY.items():
            row[name] = self.distinct_by[name].get(tuple(row.get(k) for k in keys), 0)
        for column, frequencies in self.tf.items():
            value = row.get(column)
            row[f"tf_{column}"] = frequencies.get(value) if value is not None else None
        return row

    def rows(self, con: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> list[dict]:
        """Every candidate with its match weight and probability, conflict and top reasons,
        best first."""
        new = self.incoming(con, record)
        found = self.candidates(con, new)
        if not found:
            return []
        scored = []
        for candidate in found:
            pair = (new, candidate)
            levels = self.weights.levels(pair)
            weights = self.weights.weights(pair, levels)
            match_weight = self.weights.match_weight(weights)
            scored.append(
                {
                    "record_id": candidate["record_id"],
                    "customer_id": candidate["customer_id"],
                    "match_weight": match_weight,
                    "match_probability": self.weights.probability(match_weight),
                    "pair": pair,
                    "levels": levels,
                    "reasons": self.weights.reasons(levels, weights, self.config.top_comparisons),
                }
            )
        return sorted(scored, key=lambda r: (-r["match_weight"], r["record_id"]))

    def conflict(self, con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> str | None:
        """The first configured conflict refusing the pair (``_links._gamma_sql``'s order)."""
        return self.conflicts.refusing(con, row)

    def score(self, con: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> Identification:
        """Score ``record`` (standardised) against its candidates; the best customer or new."""
        threshold = self.config.match_threshold
        refused = []
        for row in self.rows(con, record):
            if row["match_probability"] < threshold:
                break
            conflict = self.conflict(con, row)
            if conflict:
                refused.append(
                    {
                        "customer_id": row["customer_id"],
                        "conflict": conflict,
                        "match_probability": row["match_probability"],
                    }
                )
                continue
            return Identification(
                row["customer_id"],
                row["match_probability"],
                row["match_weight"],
                row["reasons"],
                row["record_id"],
                refused,
            )
        return Identification(None, None, None, refused=refused)
