"""Truth files for ``cdp identity evaluate --truth``, in the platform's terms or the user's.

Two shapes are read:
- ``identity_type, source_key, person_id``: the platform's identity records (what
  ``cdp generate`` writes);
- ``source, key, person_id`` (optionally ``entity``): the source definition's name and the
  key as it appears in the export (a ticket number, an e-mail as typed). Each key is run
  through the source's identity mapping (its ``source_key`` expression, every raw column
  it reads given the key), so ``Jean.Dupont@Mail.fr`` finds the record keyed
  ``jean.dupont@mail.fr``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.warehouse import sql_literal as _quote
from identity._config import load_identity_mappings
from identity._tables import TRUTH

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

    from core.settings import Settings

PLATFORM = ("identity_type", "source_key", "person_id")
USER = ("source", "key", "person_id")


class TruthFormatError(ValueError):
    """The truth file has neither accepted header."""


def load_truth(con: duckdb.DuckDBPyConnection, path: Path, settings: Settings) -> int:
    """Read ``path`` into the temp table :data:`TRUTH` (identity_type, source_key,
    person_id), translating a file in the user's terms; returns the file's row count."""
    from core.warehouse import columns_of, scalar

    read = f"read_csv({_quote(str(path))}, header = true, all_varchar = true)"
    header = [row[0] for row in con.execute(f"describe select * from {read}").fetchall()]
    if set(PLATFORM) <= set(header):
        con.execute(
            f"create or replace temp table {TRUTH} as "
            f"select identity_type, source_key, person_id from {read}"
        )
        return int(scalar(con, f"select count(*) from {TRUTH}"))
    if not set(USER) <= set(header):
        raise TruthFormatError(
            f"{path}: the header must name {', '.join(USER)} (the source definition's name "
            f"and the key as the export writes it) or {', '.join(PLATFORM)}; it has {header}"
        )
    con.execute(f"create or replace temp table _identity_truth_user as select * from {read}")
    entity_filter = "and t.entity = {entity}" if "entity" in header else ""
    parts = []
    for mapping in load_identity_mappings(settings.sources_dir):
        columns = columns_of(con, mapping.raw_table)
        if not columns:
            continue
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                mapping.raw_table.split(".", 1),
            ).fetchall()
        )
        as_columns = ", ".join(
            f'try_cast(t.key as {types[c]}) as "{c}"' for c in columns if types[c] != "JSON"
        )
        parts.append(
            f"select '{mapping.identity_type}' as identity_type, "
            f"cast(({mapping.source_key}) as varchar) as source_key, person_id "
            f"from (select t.person_id, {as_columns} from _identity_truth_user t "
            f"where t.source = {_quote(mapping.source)} "
            f"{entity_filter.format(entity=_quote(mapping.entity))})"
        )
    if not parts:
        raise TruthFormatError(
            f"{path}: no source named in it has loaded raw tables; run `cdp ingest` first"
        )
    con.execute(
        f"create or replace temp table {TRUTH} as " + " union all ".join(f"({p})" for p in parts)
    )
    return int(scalar(con, "select count(*) from _identity_truth_user"))
