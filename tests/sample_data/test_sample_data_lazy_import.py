"""`cdp` starts without importing the sample generator (~1 s): only `cdp generate` needs it."""

from __future__ import annotations

import subprocess
import sys

from core.settings import PROJECT_DIR


def _modules_after(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout


def test_the_cli_does_not_import_the_generator():
    out = _modules_after(
        "import sys, cdp.cli; print('sample_data.cli' in sys.modules, "
        "'sample_data.generate' in sys.modules)"
    )
    assert out.split() == ["True", "False"]


def test_generate_is_the_function_whichever_import_comes_first():
    out = _modules_after(
        "from sample_data.generate import generate as direct\n"
        "from sample_data import generate\n"
        "print(generate is direct, callable(generate))"
    )
    assert out.split() == ["True", "True"]
