"""Contract-checked ingestion of landing exports into DuckDB (``raw.*``, ``ops.*``).

Public surface: :func:`ingest` (what ``cdp ingest`` and the DAGs call), its
:class:`IngestReport`, and :class:`IngestionError`, raised after every loadable file has
been loaded when some could not be.
"""

from ingestion.definitions import DefinitionError
from ingestion.ledger import FileResult
from ingestion.load import IngestionError, IngestReport, ingest
from ingestion.reload import ReloadRequest

__all__ = [
    "DefinitionError",
    "FileResult",
    "IngestReport",
    "IngestionError",
    "ReloadRequest",
    "ingest",
]
