"""Load landing files into ``raw.*``: one file, one transaction, one ledger row."""

from __future__ import annotations

import logging
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.warehouse import one_row, transaction
from ingestion import field_issues, landing, ledger, readers, reload, suppression
from ingestion.definitions import (
    EntityDefinition,
    SourceDefinition,
    load_definitions,
    raw_table_name,
)
from ingestion.ledger import FileResult
from ingestion.policy import entity_rules
from ingestion.readers import FileReadError
from ingestion.sql import ident
from ingestion.staging import check_encoding, stage_file

if TYPE_CHECKING:
    import duckdb

    from core.settings import Settings

log = logging.getLogger(__name__)


class IngestionError(RuntimeError):
    """One or more files failed to load; the others were loaded. Carries the report."""

    def __init__(self, report: IngestReport):
        self.report = report
        lines = [f"{len(report.failed)} file(s) failed to load:"]
        lines += [f"  - {r.file_path} ({r.source}.{r.entity}): {r.error}" for r in report.failed]
        lines.append(
            "Other files were loaded; fix these and re-run `cdp ingest` (loaded files are skipped)."
        )
        super().__init__("\n".join(lines))


@dataclass
class IngestReport:
    """Every file attempt of one ``ingest`` call, in load order."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        """The files whose load failed."""
        return [r for r in self.files if r.status == "failed"]

    def total(self, attribute: str) -> int:
        """Sum of one count (``rows_accepted``, ...) over the files."""
        return sum(getattr(r, attribute) for r in self.files)


def raw_table(source: str, entity: str, table: str | None = None) -> str:
    """Name of the raw table a source entity loads into (``table:`` of its definition)."""
    return raw_table_name(source, entity, table)


def _display_path(path: Path, settings: Settings) -> str:
    try:
        return str(path.relative_to(settings.landing_dir))
    except ValueError:
        return str(path)


def _write(
    con: duckdb.DuckDBPyConnection, result: FileResult, table: str, columns: list[str]
) -> None:
    """Insert accepted rows into the raw table and rejected ones into quarantine."""
    names = ", ".join(ident(c) for c in columns)
    staged, row = readers.row_number_sql(con)
    nulled = field_issues.nulled_fields_sql("q")
    # Each row carries its place in the file (_source_row): its place in the raw table does
    # not matter, and letting DuckDB write in any order spares ~10% of the insert.
    con.execute("set preserve_insertion_order = false")
    try:
        con.execute(
            f"insert into {table} ({names}, _source_file, _source_row, _batch_id, _loaded_at, "
            f"{field_issues.NULLED_COLUMN}) "
            f"select {names}, ?, {row}, ?, ?, {nulled} from {staged} "
            "where q._reason is null and not q._suppressed",
            [result.file_path, result.batch_id, ledger.naive_utc(result.started_at)],
        )
    finally:
        con.execute("reset preserve_insertion_order")
    head = [result.batch_id, result.source, result.entity, result.file_path]
    loaded_at = ledger.naive_utc(result.started_at)
    con.execute(
        f"insert into ops.quarantine select ?, ?, ?, ?, {row}, q._raw, q._reason, ? "
        f"from {staged} where q._reason is not null and not q._suppressed",
        [*head, loaded_at],
    )
    con.execute(
        "insert into ops.quarantine select ?, ?, ?, ?, _row, raw_record, reason, ? "
        "from _bad where reason is not null",
        [*head, loaded_at],
    )
    counts = one_row(
        con,
        """
        select (select count(*) from _staged) + (select count(*) from _bad),
               (select count(*) from _staged where _reason is null and not _suppressed),
               (select count(*) from _staged where _reason is not null and not _suppressed)
                 + (select count(*) from _bad where reason is not null),
               (select count(*) from _staged where _suppressed)
                 + (select count(*) from _bad where reason is null)
    """,
    )
    result.rows_read, result.rows_accepted, result.rows_quarantined, result.rows_suppressed = counts
    if result.rows_read != result.rows_accepted + result.rows_quarantined + result.rows_suppressed:
        raise RuntimeError(f"counts do not reconcile: {counts}")
    field_issues.record(con, result, field_issues.summarise(con))


def _identify(result: FileResult, file_hash: str, stamp: str) -> None:
    result.file_hash = file_hash
    result.batch_id = f"{stamp}_{result.source}_{result.entity}_{file_hash[:12]}"


def load_file(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    source: str,
    entity_name: str,
    entity: EntityDefinition,
    path: Path,
    reloading: reload.ReloadRequest | None = None,
) -> FileResult:
    """Load one file in one transaction and append its ledger row (also when it fails).

    A file ``reloading`` covers is loaded even if its content was, replacing its previous
    load in the same transaction (:mod:`ingestion.reload`).
    """
    started, stamp = time.perf_counter(), f"{ledger.utc_now():%Y%m%dT%H%M%S}"
    result = FileResult(source, entity_name, _display_path(path, settings), "")
    try:
        landing.check_confined(settings.landing_dir, path)
        result.file_size_bytes = path.stat().st_size
        if entity.format != "parquet":
            header = entity.format == "csv" and entity.header
            landing.check_readable(path, result.file_size_bytes, header)
    except landing.RefusedFileError as error:
        result.batch_id = f"{stamp}_{source}_{entity_name}_refused"
        _fail(result, path, error)
    else:
        _hash_and_load(con, settings, result, entity, path, stamp, reloading)
    result.finished_at = ledger.utc_now()
    result.seconds = time.perf_counter() - started
    if result.status != "loaded":
        ledger.record(con, result)
    log.info(
        "%s %s: %s read=%d accepted=%d quarantined=%d suppressed=%d nulled=%d (%.2fs)",
        source,
        result.file_path,
        result.status,
        result.rows_read,
        result.rows_accepted,
        result.rows_quarantined,
        result.rows_suppressed,
        result.fields_nulled,
        result.seconds,
    )
    return result


def _hash_and_load(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    result: FileResult,
    entity: EntityDefinition,
    path: Path,
    stamp: str,
    reloading: reload.ReloadRequest | None,
) -> None:
    source, entity_name, size = result.source, result.entity, result.file_size_bytes or 0
    # The content hash runs on its own thread (hashlib and DuckDB release the GIL) while the
    # file is staged, unless a loaded file has the same size: then it may be the same content,
    # and that is worth knowing before any work.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cdp_hash") as pool:
        hashing = pool.submit(readers.file_sha256, path)
        previous, replaces = None, []
        if reloading and reloading.covers(source, result.file_path):
            replaces = reload.previous_batches(con, source, entity_name, result.file_path)
            stamp = f"{ledger.utc_now():%Y%m%dT%H%M%S%f}"  # never the batch id it replaces
        elif ledger.size_loaded(con, source, entity_name, size):
            _identify(result, hashing.result(), stamp)
            previous = ledger.already_loaded(con, source, entity_name, result.file_hash or "")
        if previous:
            result.status, result.error = "skipped_duplicate", f"same content loaded by {previous}"
        else:
            _load(con, settings, result, entity, path, hashing, stamp, replaces)


def _load(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    result: FileResult,
    entity: EntityDefinition,
    path: Path,
    hashing: Future[str],
    stamp: str,
    replaces: list[str] | None = None,
) -> None:
    """Stage, check and write one file; a failure is recorded on ``result``, not raised."""
    table = raw_table(result.source, result.entity, entity.table)
    rules = entity_rules(entity)
    try:
        # Scratch temp tables are built outside the transaction: only the writes to the
        # warehouse below must be atomic.
        erased = suppression.for_entity(con, settings, entity)
        with landing.scratch_dir(settings.tmp_dir) as workdir:
            try:
                stage_file(con, path, entity, erased, workdir)
            except readers.LineTooLongError:
                # rare: read again allowing any line, each line over the limit quarantined
                readers.drop_temp_tables(con)
                stage_file(con, path, entity, erased, workdir, long_lines=True)
        check_encoding(con, entity)
        _identify(result, hashing.result(), stamp)
        with transaction(con):
            ledger.ensure_raw_table(con, table, rules)
            field_issues.ensure_tables(con, table)
            result.rows_replaced = reload.replace_batches(
                con, table, replaces or [], result.batch_id
            )
            _write(con, result, table, [rule.name for rule in rules])
            result.status, result.finished_at = "loaded", ledger.utc_now()
            ledger.record(con, result)
    except Exception as error:
        _fail(result, path, error)
    finally:
        readers.drop_temp_tables(con)
    if not result.file_hash:
        _identify(result, hashing.result(), stamp)


def _fail(result: FileResult, path: Path, error: Exception) -> None:
    """Record a failed load on ``result``: the file and the reason, never a row's contents."""
    result.rows_read = result.rows_accepted = result.rows_quarantined = 0
    result.rows_suppressed = 0
    result.status = "failed"
    if isinstance(error, FileReadError | landing.RefusedFileError):
        result.error = f"{path}: {error}"
        return
    # Not the file's fault: a bug or the machine. The traceback's frames help; its message
    # may quote a value, so the logs get the frames and the masked message only.
    result.error = f"{path}: {type(error).__name__}: {readers.error_text(error)}"
    log.error(
        "unexpected error loading %s: %s\n%s",
        path,
        result.error,
        "".join(traceback.format_tb(error.__traceback__)),
    )


def _files(
    settings: Settings, definition: SourceDefinition, entity: EntityDefinition
) -> list[Path]:
    files = landing.matching_files(settings.landing_dir, entity.files)
    if not files:
        log.warning(
            "%s: no file matches %s under %s", definition.source, entity.files, settings.landing_dir
        )
    return files


def ingest(
    settings: Settings,
    sources: list[str] | None = None,
    reloading: reload.ReloadRequest | None = None,
) -> IngestReport:
    """Load every new landing file of the given sources (all when None) into ``raw.*``.

    Files already loaded (same sha256) are skipped, unless ``reloading`` covers them: then
    their previous load is replaced. A file that fails is rolled back and recorded, the
    others still load, and :class:`IngestionError` is raised at the end.
    """
    from core import erasure
    from core.warehouse import connect

    definitions = load_definitions(settings.sources_dir, sources)
    report = IngestReport()
    salts = erasure.salts(settings)  # the shipped default salt stops the pipeline here
    with connect(settings) as con:
        landing.clean_scratch(settings.tmp_dir)  # the warehouse lock says no ingest is running
        ledger.ensure_ops_tables(con)
        erasure.ensure_tombstones(con, salts)
        field_issues.ensure_tables(con)
        loaded: set[str] = set()
        for definition in definitions:
            for entity_name, entity in definition.entities.items():
                for path in _files(settings, definition, entity):
                    result = load_file(
                        con, settings, definition.source, entity_name, entity, path, reloading
                    )
                    report.files.append(result)
                    if result.status == "loaded":
                        loaded.add(raw_table(definition.source, entity_name, entity.table))
        if settings.engine == "spark" and loaded:
            from core import lake

            # the Spark engine's readers (identity, the marts' Spark target) read the lake
            lake.sync_raw(con, settings, sorted(t.split(".", 1)[1] for t in loaded))
    if report.failed:
        raise IngestionError(report)
    return report


__all__ = ["IngestReport", "IngestionError", "ingest", "load_file", "raw_table"]
