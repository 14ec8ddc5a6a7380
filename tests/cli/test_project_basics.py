"""Project basics a newcomer expects: the licence text, a changelog, `make clean` that removes
every generated file and keeps the rest, `make distclean` that removes the venv too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).parents[2]
GENERATED = [
    "data/warehouse/cdp.duckdb",
    "data/landing/pos/pos_receipts_1.csv",
    "data/bench/ingestion/1000000/landing/pos.csv",
    "data/dbt/target/manifest.json",
    "dbt_project/target/manifest.json",
    "dbt_project/logs/dbt.log",
    "bench/results/run.json",
    ".pytest_cache/v/cache",
    ".sqlfluff_cache/x",
    "cdp/__pycache__/cli.cpython-311.pyc",
    "notebooks/__marimo__/session.json",
]
KEPT = [
    "cdp/cli.py",
    "config/exports.yml",
    "docs/exports.md",
    "README.md",
    ".venv/bin/python",
    "cdp_rcu.egg-info/PKG-INFO",
]


def test_licence_is_the_apache_text_and_the_changelog_has_the_history():
    licence = (PROJECT / "LICENSE").read_text(encoding="utf-8")
    changelog = (PROJECT / "CHANGELOG.md").read_text(encoding="utf-8")

    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence
    assert "## Unreleased" in changelog and "## 0.1.0" in changelog


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
@pytest.mark.parametrize("target", ["clean", "distclean"])
def test_make_clean_removes_what_is_generated_and_keeps_the_rest(tmp_path, target):
    shutil.copy(PROJECT / "Makefile", tmp_path / "Makefile")
    for name in GENERATED + KEPT:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")

    done = subprocess.run(
        ["make", target], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr
    left = [name for name in GENERATED if (tmp_path / name).exists()]
    assert left == []
    assert not (tmp_path / "data").exists()
    kept = [name for name in KEPT if (tmp_path / name).exists()]
    installed = (".venv", "cdp_rcu.egg-info")
    expected = [n for n in KEPT if not (target == "distclean" and n.startswith(installed))]
    assert kept == expected
