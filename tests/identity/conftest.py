"""Identity fixtures: synthetic raw tables in a real DuckDB warehouse, one trained model.

Training once per session (a few seconds) and copying the saved model into each test's
model folder keeps the suite fast; tests that retrain say so.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SOURCES = Path(__file__).resolve().parents[2] / "config" / "sources"
BASE_PEOPLE = 1500


@pytest.fixture
def id_settings(tmp_path: Path):
    """Settings reading the identity source definitions of the contract."""
    from core.settings import Settings

    built = Settings(data_dir=tmp_path / "data", sources_dir=SOURCES)
    built.ensure_dirs()
    return built


@pytest.fixture(scope="session")
def base_data():
    from bench.identity_synthetic import generate

    return generate(BASE_PEOPLE, seed=11)


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory, base_data) -> Path:
    """A model trained on the base population, saved once."""
    import identity
    from bench.identity_synthetic import write_raw
    from core.settings import Settings
    from core.warehouse import connect

    root = tmp_path_factory.mktemp("identity_model")
    settings = Settings(data_dir=root / "data", sources_dir=SOURCES)
    settings.ensure_dirs()
    with connect(settings) as con:
        write_raw(con, base_data)
    return Path(identity.train(settings)["model_path"])


@pytest.fixture
def warehouse(id_settings, base_data, trained_model):
    """Base population loaded and the trained model in place; returns the settings."""
    from bench.identity_synthetic import write_raw
    from core.warehouse import connect

    with connect(id_settings) as con:
        write_raw(con, base_data)
    for path in (trained_model, trained_model.with_suffix(".meta.json")):
        shutil.copy(path, id_settings.model_dir / path.name)
    return id_settings
