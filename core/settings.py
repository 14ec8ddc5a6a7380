"""One typed settings object for every entry point (CLI, DAG task, tests).

Every path derives from ``project_dir`` and ``data_dir`` unless set explicitly, and every
field can be overridden by an environment variable with the ``CDP_`` prefix
(``CDP_DATA_DIR``, ``CDP_DUCKDB_PATH``, ...). Build it once at the entry point and pass
it down; packages never read the environment themselves.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parents[1]
ENV_PREFIX = "CDP_"
log = logging.getLogger(__name__)
_reported: set[str] = set()


class Settings(BaseSettings):
    """Where the platform reads its configuration and writes its data."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    project_dir: Path = PROJECT_DIR
    # Every path below is derived in `_derive_paths` unless given explicitly; the `Path()`
    # defaults only keep the declared type `Path` (never None) for the code that reads them.
    data_dir: Path = Path()
    landing_dir: Path = Path()
    truth_dir: Path = Path()
    duckdb_path: Path = Path()
    export_dir: Path = Path()
    reports_dir: Path = Path()
    model_dir: Path = Path()
    tmp_dir: Path = Path()
    config_dir: Path = Path()
    sources_dir: Path = Path()
    identity_config_path: Path = Path()
    quality_config_path: Path = Path()
    exports_config_path: Path = Path()
    orchestration_config_path: Path = Path()
    dbt_project_dir: Path = Path()
    airflow_home: Path = Path()
    run_id: str | None = None
    # Tombstone salt: a secret per installation; the shipped default is refused by the
    # pipeline and `forget` (core.erasure.salts). Earlier salts, comma-separated, keep the
    # erasures they wrote matching after a rotation (docs/privacy.md).
    erasure_salt: str = "change-me-per-installation"
    erasure_previous_salts: str = ""
    api_keys_path: Path = Path()
    # The console's local users (name, scopes, scrypt password hash): `cdp console add-user`.
    console_users_path: Path = Path()
    api_host: str = "127.0.0.1"
    api_port: int = 8600
    # The read-only copy readers open (cdp sql, analysts, the API): see core/snapshot.py.
    published_dir: Path = Path()
    # Oldest DuckDB storage format the snapshot is written in, so DuckDB 1.x clients read it.
    snapshot_storage_version: str = "v1.0.0"
    # Schemas the snapshot leaves out: no reader reads them (docs/analyst_clients.md). The
    # raw layer holds the sources' lines as loaded (names, cards, phones: personal data that
    # stays in the warehouse), staging and intermediate are dbt's steps towards the marts
    # and were most of the copy's cost. A view elsewhere that reads them is published as a
    # table of its rows (core/snapshot.py).
    snapshot_left_out_schemas: list[str] = ["raw", "staging", "intermediate"]
    # Tables of published schemas the snapshot leaves out: identity's state between its
    # incremental runs (the guards' cache, which holds shared e-mails and loyalty cards, and
    # the extraction watermark), read by identity's writer only (docs/performance.md).
    snapshot_left_out_tables: list[str] = [
        "identity.guard_shared",
        "identity.guard_refused",
        "identity.guard_blocked",
        "identity.guard_state",
        "identity.extraction_state",
    ]
    # How long a second writer waits for the warehouse lock before failing.
    writer_lock_wait_seconds: float = 30.0
    # DuckDB's resources on the warehouse connection (core.warehouse.connect; docs/scale.md):
    # its memory ceiling, e.g. "12GB" (empty: DuckDB's default, 80% of the machine's RAM,
    # too much on a machine shared with other work), where it spills what exceeds it (empty:
    # `<warehouse>.tmp` beside the file), and whether a query without ORDER BY keeps its
    # input's order (False lets large inserts stream in any order, in less memory).
    duckdb_memory_limit: str = ""
    duckdb_temp_directory: str = ""
    duckdb_preserve_insertion_order: bool = True
    # Records per slice of identity's scoring on DuckDB (Splink's chunked predict): above
    # it, the candidate pairs are built and scored a slice of the records at a time, so
    # their memory stays bounded (10M records: 5 slices). 0: never sliced.
    identity_predict_chunk_records: int = 2_000_000
    # Where identity's Splink steps run (docs/scale.md): DuckDB in this process, or a Spark
    # cluster reading the Parquet lake. Everything else stays on the DuckDB warehouse.
    engine: Literal["duckdb", "spark"] = "duckdb"
    # The Spark master: local[2], spark://host:7077, k8s://https://host:6443, yarn; empty
    # under spark-submit or on Databricks: the session they made is used as it is.
    spark_master: str = "local[2]"
    # Spark properties, e.g. CDP_SPARK_CONF='{"spark.executor.memory": "8g"}' (JSON); they
    # win over the defaults of core.spark.DEFAULT_CONF.
    spark_conf: dict[str, str] = {}
    # The Parquet lake both engines read (core/lake.py): a directory, or an object-store URI
    # (s3://bucket/cdp) that DuckDB writes through httpfs and Spark reads through Hadoop.
    lake_uri: str = ""
    # Two files to link against each other (FEBRL4, a CRM against a partner file): the
    # identity types whose records are linked only across types, never within one (Splink's
    # `link_only`), e.g. CDP_IDENTITY_LINK_ONLY='["crm_contact", "partner_contact"]' or
    # `cdp identity resolve --link-only crm_contact partner_contact`. Empty: deduplicate.
    identity_link_only: list[str] = []

    @model_validator(mode="after")
    def _report_unknown_environment(self) -> Settings:
        # A misspelt variable would otherwise be ignored and the run would write to data/.
        for name, suggestion in unknown_environment(os.environ):
            if name not in _reported:
                _reported.add(name)
                log.warning(describe_unknown(name, suggestion))
        return self

    @model_validator(mode="before")
    @classmethod
    def _derive_paths(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        given = {key: value for key, value in values.items() if value is not None}
        project = Path(given.get("project_dir", PROJECT_DIR))
        data = Path(given.get("data_dir", project / "data")).resolve()
        config = Path(given.get("config_dir", project / "config")).resolve()
        defaults = {
            "data_dir": data,
            "config_dir": config,
            "landing_dir": data / "landing",
            "truth_dir": data / "truth",
            "duckdb_path": data / "warehouse" / "cdp.duckdb",
            "export_dir": data / "exports",
            "reports_dir": data / "reports",
            "model_dir": data / "models",
            "published_dir": data / "published",
            # scratch copies stay in the data folder (erasure and backups know it), not /tmp
            "tmp_dir": data / "tmp",
            "sources_dir": config / "sources",
            "identity_config_path": config / "identity.yml",
            "quality_config_path": config / "quality.yml",
            "exports_config_path": config / "exports.yml",
            "orchestration_config_path": config / "orchestration.yml",
            "dbt_project_dir": project / "dbt_project",
            "airflow_home": data / "airflow",
            "api_keys_path": data / "api" / "api_keys.yml",
            "console_users_path": data / "api" / "console_users.yml",
        }
        for field, default in defaults.items():
            value = given.get(field)
            given[field] = Path(value).resolve() if value is not None else default
        lake = str(given.get("lake_uri") or data / "lake")
        given["lake_uri"] = lake if "://" in lake else str(Path(lake).resolve())
        return given

    def ensure_dirs(self) -> None:
        """Create the data folders the pipeline writes into."""
        for path in (
            self.landing_dir,
            self.truth_dir,
            self.duckdb_path.parent,
            self.export_dir,
            self.reports_dir,
            self.model_dir,
        ):
            path.mkdir(parents=True, exist_ok=True)


def get_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)


def known_environment() -> list[str]:
    """Every ``CDP_*`` environment variable a setting reads."""
    return [ENV_PREFIX + name.upper() for name in Settings.model_fields]


def unknown_environment(environ: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """``CDP_*`` variables no setting reads, each with the closest known name (or None)."""
    known = known_environment()
    unknown = sorted(
        n for n in environ if n.upper().startswith(ENV_PREFIX) and n.upper() not in known
    )
    return [
        (n, next(iter(difflib.get_close_matches(n.upper(), known, n=1, cutoff=0.6)), None))
        for n in unknown
    ]


def describe_unknown(name: str, suggestion: str | None) -> str:
    """One line a user acts on: the unknown variable, and what they probably meant."""
    hint = (
        f"did you mean {suggestion}?" if suggestion else "known: " + ", ".join(known_environment())
    )
    return f"environment variable {name} is not a cdp setting and is ignored; {hint}"
