"""The trained model shown: each comparison level's m, u and match weight, with the levels
training could not estimate flagged, and Splink's match-weights and m/u charts as one
offline HTML page (``cdp identity model``)."""

from __future__ import annotations

import html
import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from core.settings import Settings


class ModelNotTrainedError(FileNotFoundError):
    """No saved model to show."""


def _paths(settings: Settings) -> tuple[Path, Path]:
    from identity._config import load_identity_config
    from identity._resolve import model_path

    path = model_path(settings, load_identity_config(settings.identity_config_path))
    if not path.exists():
        raise ModelNotTrainedError(
            f"{path}: no trained model; run `cdp identity train` (or a first resolve)"
        )
    return path, path.with_suffix(".meta.json")


def describe(settings: Settings) -> dict[str, Any]:
    """The model as rows: comparison, level, m, u, match weight, untrained, fixed."""
    path, meta_path = _paths(settings)
    model = json.loads(path.read_text(encoding="utf-8"))
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    untrained = meta.get("untrained", {})
    rows = []
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            label = level.get("label_for_charts") or level["sql_condition"]
            m, u = level.get("m_probability"), level.get("u_probability")
            rows.append(
                {
                    "comparison": name,
                    "level": label,
                    "m": m,
                    "u": u,
                    "match_weight": round(math.log2(m / u), 2) if m and u else None,
                    "untrained": label in untrained.get(name, []),
                    "fixed": bool(level.get("fix_m_probability")),
                    "tf_adjusted": bool(level.get("tf_adjustment_column")),
                }
            )
    prior = model["probability_two_random_records_match"]
    return {
        "model_path": str(path),
        "prior": prior,
        "prior_weight": round(math.log2(prior / (1 - prior)), 2),
        "records": meta.get("records"),
        "levels": rows,
        "untrained": untrained,
    }


def write_charts(settings: Settings, out: Path) -> Path:
    """Splink's match-weights and m/u charts of the saved model as one offline HTML page."""
    import logging

    import pandas as pd
    from splink import DuckDBAPI, Linker

    from identity._model import DERIVED_COLUMNS, MODEL_COLUMNS, RETAINED_COLUMNS, for_dialect

    path, _ = _paths(settings)
    model = for_dialect(json.loads(path.read_text(encoding="utf-8")), "duckdb")
    # the charts read the settings only; Splink wants an input table to build a linker
    columns = [*MODEL_COLUMNS, *DERIVED_COLUMNS, *RETAINED_COLUMNS]
    frame = pd.DataFrame({c: ["x"] for c in columns})
    frame["birth_date"] = pd.to_datetime(["2000-01-01"])
    linker = Linker(DuckDBAPI().register(frame), model, log_level=logging.WARNING)
    charts: list[tuple[str, Any]] = [
        ("Match weights per comparison level", linker.visualisations.match_weights_chart()),
        ("m and u probabilities", linker.visualisations.m_u_parameters_chart()),
    ]
    frames = "\n".join(
        f"<h2>{html.escape(title)}</h2>\n<iframe style='width:100%;height:900px;border:0' "
        f'srcdoc="{html.escape(chart.to_html(inline=True), quote=True)}"></iframe>'
        for title, chart in charts
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>identity model</title></head>"
        f"<body><h1>{html.escape(str(path))}</h1>\n{frames}</body></html>",
        encoding="utf-8",
    )
    return out
