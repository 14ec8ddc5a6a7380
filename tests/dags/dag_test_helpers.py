"""Helpers the DAG tests share (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdp.airflow_env import settings_env
from core.settings import Settings

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"


def use_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """Make tasks (which build Settings() from CDP_* variables) see ``settings``."""
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)


def load_dags(dag_folder: Path | None = None):
    """Parse the project's DAG folder; returns the DagBag."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(dag_folder or DAGS_FOLDER))


def task_states(dag_run) -> dict[str, str]:
    """``{task_id: state}`` of a finished dag run."""
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def asset_events(uri: str) -> list[dict]:
    """Every event recorded for the asset ``uri``, oldest first, with its extra."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == uri)
            .order_by(AssetEvent.id)
        ).scalars()
        return [{"source_dag_id": e.source_dag_id, "extra": dict(e.extra or {})} for e in rows]


def fast_retry_config(folder: Path) -> Path:
    """The project's orchestration.yml with one retry after 1 s, so a test never waits minutes."""
    import yaml

    config = yaml.safe_load((DAGS_FOLDER.parent / "config" / "orchestration.yml").read_text())
    config.update(retries=1, retry_delay_seconds=1, max_retry_delay_seconds=2)
    path = folder / "orchestration.yml"
    path.write_text(yaml.safe_dump(config))
    return path
