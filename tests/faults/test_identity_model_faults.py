"""Issue #20 item 13: the identity model file is never seen half-written, and a torn one says
what to do in one line instead of a JSONDecodeError traceback."""

from __future__ import annotations

import json
import sys

import pytest

import identity
from identity import _training
from identity._config import load_identity_config


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A real warehouse of 150 synthetic people and the model trained on it (a few seconds)."""
    from bench.identity_synthetic import generate, write_raw
    from core.settings import PROJECT_DIR, Settings
    from core.warehouse import connect

    root = tmp_path_factory.mktemp("model_faults")
    settings = Settings(data_dir=root / "data", sources_dir=PROJECT_DIR / "config" / "sources")
    settings.ensure_dirs()
    with connect(settings) as con:
        write_raw(con, generate(150, seed=5))
    path = identity.train(settings)["model_path"]
    return settings, type(settings.model_dir)(path)


def test_a_crash_while_saving_leaves_the_previous_model_whole(trained, monkeypatch):
    settings, path = trained
    before = path.read_bytes()

    def disk_full(fd):  # the new model is in the page cache when the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_training.os, "fsync", disk_full)
    with pytest.raises(OSError):
        _training._write_atomically(path, json.dumps({"comparisons": []}))
    monkeypatch.undo()

    assert path.read_bytes() == before  # resolve still reads the previous model
    identity.train(settings)  # the next save replaces it whole, the stale partial too
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".partial")] == []
    config = load_identity_config(settings.identity_config_path)
    assert _training.load_model(path, config)["comparisons"]


def test_a_torn_model_file_fails_resolve_in_one_line_saying_to_retrain(
    trained, monkeypatch, capsys
):
    settings, path = trained
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # what a crash mid-write used to leave
    try:
        with pytest.raises(identity.ModelFileError) as caught:
            identity.resolve(settings)
        message = str(caught.value)
        assert "\n" not in message
        assert str(path) in message and "cdp identity train" in message

        from cdp import cli

        for name, value in {
            "CDP_DATA_DIR": settings.data_dir,
            "CDP_SOURCES_DIR": settings.sources_dir,
        }.items():
            monkeypatch.setenv(name, str(value))
        monkeypatch.setattr(sys, "argv", ["cdp", "identity", "resolve"])
        with pytest.raises(SystemExit) as exited:
            cli.main()
        assert exited.value.code == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and len(err.splitlines()) == 1
        assert "cdp identity train" in err and "Traceback" not in err
    finally:
        path.write_bytes(whole)
