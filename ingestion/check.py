"""``cdp sources check NAME``: dry-run a source definition against its landing files.

Each file is read and checked exactly as ``cdp ingest`` would (same staging query), in a
private in-memory DuckDB: nothing is written, neither to the warehouse nor to the ledger.
The report counts rows accepted and quarantined per reason, and values nulled per field
and reason; a file that cannot be read at all says why.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.warehouse import scalar
from ingestion import field_issues, landing, ledger, readers
from ingestion.definitions import EntityDefinition, load_definitions

if TYPE_CHECKING:
    from core.settings import Settings

_GOT = re.compile(r",? got .*$")


@dataclass
class FileCheck:
    """The dry run of one file."""

    entity: str
    file_path: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    quarantined: Counter = field(default_factory=Counter)  # reason (no value) -> rows
    nulled: Counter = field(default_factory=Counter)  # "field: reason" -> values
    error: str | None = None

    @property
    def accepted_all(self) -> bool:
        """True when every row would load (values nulled allowed)."""
        return self.error is None and self.rows_read == self.rows_accepted


def _reason_labels(reason: str) -> list[str]:
    """``a: must be >= 1, got '-2'; b: required, missing`` -> the value-free parts."""
    return [_GOT.sub("", part).strip() for part in reason.split("; ") if part.strip()]


def check_file(
    entity_name: str, entity: EntityDefinition, path: Path, shown: str, tmp_dir: Path
) -> FileCheck:
    """Stage one file in memory and count what a load would do with its rows; scratch
    copies go under ``tmp_dir`` (the data folder's, as for ``cdp ingest``)."""
    import duckdb

    from ingestion.readers import FileReadError
    from ingestion.staging import check_encoding, stage_file

    result = FileCheck(entity_name, shown)
    con = duckdb.connect()
    try:
        ledger.ensure_ops_tables(con)
        with landing.scratch_dir(tmp_dir, prefix="cdp_check_") as workdir:
            stage_file(con, path, entity, None, workdir)  # a dry run suppresses nothing
        check_encoding(con, entity)
        reasons = con.execute(
            "select _reason from _staged where _reason is not null "
            "union all select reason from _bad where reason is not null"
        ).fetchall()
        result.rows_read = scalar(
            con, "select (select count(*) from _staged) + (select count(*) from _bad)"
        )
        result.rows_quarantined = len(reasons)
        result.rows_accepted = result.rows_read - result.rows_quarantined
        for (reason,) in reasons:
            result.quarantined.update(_reason_labels(reason))
        for name, why, n in field_issues.summarise(con):
            result.nulled[f"{name}: {why}"] += n
    except (FileReadError, duckdb.Error) as error:
        result.error = str(error) if isinstance(error, FileReadError) else readers.error_text(error)
    finally:
        readers.drop_temp_tables(con)
        con.close()
    return result


def check_source(settings: Settings, name: str, files: list[Path] | None = None) -> list[FileCheck]:
    """Dry-run source ``name`` on its landing files (or on ``files``, for every entity
    whose glob matches them)."""
    (definition,) = load_definitions(settings.sources_dir, [name])
    results = []
    for entity_name, entity in definition.entities.items():
        if files:
            paths = [p for p in files if p.match(entity.files) or len(definition.entities) == 1]
        else:
            paths = landing.matching_files(settings.landing_dir, entity.files)
        for path in paths:
            try:
                shown = str(path.relative_to(settings.landing_dir))
            except ValueError:
                shown = str(path)
            if not files:  # named files are the operator's own; matches must stay inside
                try:
                    landing.check_confined(settings.landing_dir, path)
                except landing.RefusedFileError as refused:
                    results.append(FileCheck(entity_name, shown, error=str(refused)))
                    continue
            results.append(check_file(entity_name, entity, path, shown, settings.tmp_dir))
    return results
