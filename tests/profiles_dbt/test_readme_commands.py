"""The README's commands work as printed.

Every line of every ```bash block is run by bash, from a scratch folder beside a link to the
project's docs/, with ``cdp`` resolved to this checkout (``python -m cdp.cli``) the way the
venv's script would. ``make`` targets are checked with ``make -n`` (running them would
install a venv and run the whole demo). The fast test runs the analyst commands on the
fixture warehouse and parses every pipeline command with `--help` (which fails on an unknown
command or option) in-process, through the same Typer app `cdp` runs, one interpreter start
instead of thirteen; the slow one runs the whole step-by-step list on a fresh small sample.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).parents[2]
README = PROJECT / "README.md"
SAMPLE_PEOPLE = "300"  # the README's 5000 take minutes; the commands are the same


def readme_commands() -> list[str]:
    """Command lines of the README's ```bash blocks, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def _run(
    line: str, cwd: Path, env: dict[str, str], exports: list[str] | None = None
) -> subprocess.CompletedProcess:
    """Run one README line; ``exports`` are the README's earlier `export` lines (one shell)."""
    if line.startswith("make "):
        line = "make -n -C " + str(PROJECT) + line.removeprefix("make")
    line = line.replace(".venv/bin/cdp", "cdp")
    prefix = "\n".join(exports or [])
    script = f'cdp() {{ "{sys.executable}" -m cdp.cli "$@"; }}\n{prefix}\n{line}'
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(PROJECT), **env},
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )


def _scratch(tmp_path: Path) -> Path:
    (tmp_path / "docs").symlink_to(PROJECT / "docs")
    return tmp_path


def _is_step(line: str) -> bool:
    if line.startswith("export "):
        return True
    return line.startswith("cdp ") and not line.startswith(("cdp sql", "cdp --version"))


def test_the_readme_states_the_environment_step_and_every_step():
    commands = readme_commands()
    text = README.read_text(encoding="utf-8")

    assert "source .venv/bin/activate" in commands
    assert Path(sys.executable).with_name("activate").exists()
    for stage in ("raw", "identity", "marts"):
        assert f"cdp quality check --stage {stage}" in text
    assert any(line.startswith("cdp export audiences") for line in commands)
    assert "golden records and audiences" not in text  # `cdp export` writes golden records only


def test_the_readme_commands_run_on_the_fixture_warehouse(built_settings, tmp_path):
    from typer.testing import CliRunner

    from cdp.cli import app

    cwd = _scratch(tmp_path)
    env = {"CDP_DATA_DIR": str(built_settings.data_dir)}
    for line in readme_commands():
        if line.startswith("source "):
            continue
        if _is_step(line) and not line.startswith("export "):
            # parsed, not run: the slow test runs the pipeline
            args = shlex.split(line.split("#")[0])[1:] + ["--help"]
            parsed = CliRunner().invoke(app, args, env=env)
            assert parsed.exit_code == 0, (line, parsed.output[-2000:])
            continue
        done = _run(line, cwd, env)
        assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
        if line.startswith("cdp sql --file"):
            assert "1. Win-back list" in done.stdout and "3. One customer" in done.stdout
    assert (cwd / "segments.csv").read_text().startswith("customer_id,segment")


@pytest.mark.slow
def test_the_step_by_step_commands_build_a_warehouse_from_nothing(tmp_path):
    cwd = _scratch(tmp_path)
    env = {"CDP_DATA_DIR": str(tmp_path / "data")}
    steps = [line for line in readme_commands() if _is_step(line)]
    others = [line for line in readme_commands() if not _is_step(line)]
    exports: list[str] = []
    for line in steps + others:
        if line.startswith("source "):
            continue
        if line.startswith("export "):
            exports.append(line)
            continue
        line = line.replace("--people 5000", f"--people {SAMPLE_PEOPLE}")
        done = _run(line, cwd, env, exports)
        assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
    exports = tmp_path / "data" / "exports"
    assert list(exports.glob("golden_records/*/manifest.json"))
    assert list(exports.glob("audiences/*/manifest.json"))
