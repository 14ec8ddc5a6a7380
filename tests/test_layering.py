"""The folders keep their layers: `core` at the bottom, the stages on it, `cdp` and `dags` on top.

Every import of every module (top of file, inside a function, under TYPE_CHECKING) is read
with `ast`, so a lazy import does not hide a wrong dependency. On failure the message names
the file and line of each offending import, or the cycle with one import per edge.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GROUND = "core"
# In the order the data flows (docs/architecture.md): a stage may import the stages before
# it, never one after it (ingestion reads no identity code: identity reads the source
# definitions ingestion parses, `identities:` included).
STAGES = (
    "sample_data",
    "ingestion",
    "identity",
    "voice",
    "profiles",
    "activation",
    "privacy",
    "expectations",
    "api",
)
ROOF = ("cdp", "dags")
LAYERED = (GROUND, *STAGES, *ROOF)


def _project_packages() -> set[str]:
    """Top-level folders holding Python the project ships (plus the DAG folder)."""
    found = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    return found | {"dags"}


def _imports(package: str) -> Iterator[tuple[str, str, int]]:
    """(imported top-level package, file, line) for every absolute import under `package`."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name.split(".")[0], where, node.lineno
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield node.module.split(".")[0], where, node.lineno


def _edges() -> dict[str, dict[str, str]]:
    """package -> {imported project package: first 'file:line' importing it}."""
    packages = _project_packages()
    edges: dict[str, dict[str, str]] = {}
    for package in sorted(packages):
        out = edges.setdefault(package, {})
        for target, where, line in _imports(package):
            if target in packages and target != package:
                out.setdefault(target, f"{where}:{line}")
    return edges


def _cycle(edges: dict[str, dict[str, str]]) -> list[str] | None:
    """One cycle of the package graph as [a, b, ..., a], or None."""
    state: dict[str, str] = {}  # "open" while on the DFS stack, "done" after
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges.get(node, {})):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_every_package_has_a_layer():
    unplaced = _project_packages() - set(LAYERED)
    assert not unplaced, f"add {sorted(unplaced)} to a layer in tests/test_layering.py"


def test_core_imports_nothing_of_the_project():
    wrong = _edges()[GROUND]
    assert not wrong, "core must import no project package: " + ", ".join(
        f"{target} ({where})" for target, where in sorted(wrong.items())
    )


def test_no_stage_imports_the_roof():
    edges = _edges()
    wrong = [
        f"{stage} imports {roof} ({edges[stage][roof]})"
        for stage in STAGES
        for roof in ROOF
        if roof in edges.get(stage, {})
    ]
    assert not wrong, "stages must not import cdp or dags: " + "; ".join(wrong)


def test_stages_import_only_the_stages_upstream_of_them():
    edges = _edges()
    wrong = [
        f"{stage} imports {later} ({edges[stage][later]})"
        for index, stage in enumerate(STAGES)
        for later in STAGES[index + 1 :]
        if later in edges.get(stage, {})
    ]
    assert not wrong, "a stage imports a stage downstream of it: " + "; ".join(wrong)


def test_no_cycle_between_packages():
    edges = _edges()
    cycle = _cycle(edges)
    assert cycle is None, (
        "package cycle: "
        + " -> ".join(f"{a} ({edges[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False))
        + f" -> {cycle[-1]}"
    )


def test_the_checker_sees_a_cycle_and_names_it():
    edges = {"a": {"b": "a/x.py:1"}, "b": {"c": "b/y.py:2"}, "c": {"a": "c/z.py:3"}, "d": {}}
    assert _cycle(edges) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b": "a/x.py:1"}, "b": {}}) is None
