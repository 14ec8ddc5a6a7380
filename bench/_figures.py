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
) -> None:
    """Append one figure (ours beside the bare tool's, same data, same minute) to the file."""
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
        "load": round(os.getloadavg()[0], 2),
    }
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if unit != "s" else f"{value:.1f} s"


def table(path: Path) -> str:
    """The recorded figures as a Markdown table: ours, the reference, the ratio, the load."""
    if not path.exists():
        return "(no figures recorded)"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    lines = [
        "| figure | ours | bare tool, same data | ratio | load (1 min) |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        ours, reference, unit = row["ours"], row["reference"], row["unit"]
        ratio = "-"
        if reference:
            ratio = f"{(reference / ours if row['higher_is_better'] else ours / reference):.2f}x"
        label = f" ({row['reference_label']})" if row["reference_label"] else ""
        lines.append(
            f"| {row['figure']} | {_number(ours, unit)} | {_number(reference, unit)}{label} "
            f"| {ratio} | {row['load']} |"
        )
    return "\n".join(lines)
