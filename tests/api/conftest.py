"""A real published snapshot: sample exports, ingest, resolve (trains the model), dbt build,
publish; built once per session and copied for each test that writes."""

from __future__ import annotations

import shutil

import pytest

PEOPLE = 300


@pytest.fixture(scope="session")
def built_data(tmp_path_factory):
    """The data folder after one whole pipeline run and a publish (about a minute)."""
    from cdp import pipeline
    from core.settings import Settings
    from core.snapshot import publish_snapshot

    settings = Settings(data_dir=tmp_path_factory.mktemp("api") / "data")
    settings.ensure_dirs()
    pipeline.generate_sample(settings, people=PEOPLE, batches=1)
    pipeline.ingest_sources(settings)
    pipeline.resolve_identities(settings)
    pipeline.build_marts(settings)
    publish_snapshot(settings, "run-1")
    return settings.data_dir


@pytest.fixture
def api_settings(built_data, tmp_path):
    """Settings over a private copy of the built data folder."""
    from core.settings import Settings

    data = tmp_path / "data"
    shutil.copytree(built_data, data)
    return Settings(data_dir=data)


@pytest.fixture
def keys(api_settings):
    """One key per scope, and one with every scope."""
    from api.keys import add_key

    return {
        name: add_key(api_settings.api_keys_path, name, scopes)
        for name, scopes in {
            "reader": ["profiles:read"],
            "identifier": ["identify"],
            "admin": ["admin"],
        }.items()
    }


@pytest.fixture
def client(api_settings):
    from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(api_settings)
    with TestClient(app) as test_client:
        yield test_client
    app.state.pool.close()
