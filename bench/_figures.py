"""The figures ``make bench`` gathers into its closing table, each beside its bare-tool reference.

A benchmark calls :func:`record` for each figure it measures; when ``bench.run_all`` runs it,
``BENCH_FIGURES_FILE`` names a JSON-lines file the figures are appended to, and
:func:`table` renders them once every benchmark has run. Run alone, a benchmark records
nothing and prints its own report as before.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ENV = "BENCH_FIGURES_FILE"  # not CDP_: the CLI refuses unknown CDP_ settings


def record(
    figure: str,
    ours: float,
    reference: float | None = None,
    reference_label: str = "",
    unit: str = "s",
    higher_is_better: bool = False,
    target: float | None = None,
) -> None:
    """Append one figure (ours beside the bare tool's, same data, same minute) to the file;
    ``target`` is the ratio the issues ask for (docs/performance.md), if any."""
    path = os.environ.get(ENV)
    if not path:
        return
    row = {
        "figure": figure,
        "ours": ours,
        "reference": reference,
        "reference_label": reference_label,
        "unit": unit,
        "higher_is_better": higher_is_better,
        "target": target,
        "load": round(os.getloadavg()[0], 2),
    }
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if unit != "s" else f"{value:.1f} s"


def _target(target: float | None, ratio: float | None) -> str:
    if target is None:
        return "-"
    if ratio is None:
        return f"{target:g}x"
    return f"{target:g}x ({'met' if ratio <= target else 'not met'})"


def table(path: Path) -> str:
    """The recorded figures as a Markdown table: ours, the reference, the ratio, the target
    ratio and whether it is met, the load."""
    if not path.exists():
        return "(no figures recorded)"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    lines = [
        "| figure | ours | bare tool, same data | ratio | target | load (1 min) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ours, reference, unit = row["ours"], row["reference"], row["unit"]
        ratio, value = "-", None
        if reference:
            value = reference / ours if row["higher_is_better"] else ours / reference
            ratio = f"{value:.2f}x"
        label = f" ({row['reference_label']})" if row["reference_label"] else ""
        lines.append(
            f"| {row['figure']} | {_number(ours, unit)} | {_number(reference, unit)}{label} "
            f"| {ratio} | {_target(row.get('target'), value)} | {row['load']} |"
        )
    return "\n".join(lines)
