"""A small resolved warehouse (sample exports of 60 people, ingested and resolved), built
once per session and copied for each test that changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def resolved_template(tmp_path_factory) -> Path:
    """Folder holding ``config/`` and ``data/`` of the resolved sample warehouse."""
    import identity
    import ingestion
    from core.settings import PROJECT_DIR, Settings
    from profiles.build import build_profiles
    from sample_data import generate

    root = tmp_path_factory.mktemp("privacy_template")
    shutil.copytree(PROJECT_DIR / "config", root / "config")
    settings = Settings(data_dir=root / "data", config_dir=root / "config")
    settings.ensure_dirs()
    generate(settings, people=60, seed=11, batches=1)
    ingestion.ingest(settings)
    identity.resolve(settings, full=True)
    # golden records are the profiles build's (marts.golden_records), as in every pipeline
    build_profiles(settings)
    return root


@pytest.fixture
def resolved(resolved_template, tmp_path):
    """Settings over a private copy of the resolved sample warehouse."""
    from core.settings import Settings

    shutil.copytree(resolved_template, tmp_path / "w")
    return Settings(data_dir=tmp_path / "w" / "data", config_dir=tmp_path / "w" / "config")
