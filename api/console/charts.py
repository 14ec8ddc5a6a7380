"""Server-rendered SVG bar charts: readable without JavaScript, nothing loaded from outside."""

from __future__ import annotations

import math
from html import escape


def bars(items: list[tuple[str, float]], width: int = 640, unit: str = "") -> str:
    """Horizontal bars, negative values to the left of a zero line; an <svg> element."""
    if not items:
        return "<p>No data yet.</p>"
    row, label_width, gap = 18, 300, 4
    values = [v for _, v in items]
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    plot = width - label_width - 60
    zero = label_width + plot * (-low / span)
    height = len(items) * (row + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" class="chart">'
    ]
    for i, (label, value) in enumerate(items):
        y = i * (row + gap) + 5
        length = plot * abs(value) / span
        x = zero if value >= 0 else zero - length
        colour = "#2e7d32" if value >= 0 else "#c62828"
        shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
        # a value's label sits right of its bar, or right of the zero line for a negative
        # one, never over the row's name
        text_x = x + length + 4 if value >= 0 else zero + 4
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
            f"{escape(label[:42])}</text>"
            f'<rect x="{x:.1f}" y="{y}" width="{max(length, 1):.1f}" height="{row}" '
            f'fill="{colour}"><title>{escape(label)}: {shown}{unit}</title></rect>'
            f'<text x="{text_x:.1f}" y="{y + 13}" font-size="11">{shown}{unit}</text>'
        )
    parts.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{height}" stroke="#555"/></svg>'
    )
    return "".join(parts)


def waterfall(explained: dict, width: int = 720) -> str:
    """Splink's match-weight waterfall as horizontal floating bars: the prior, each
    comparison's weight from the running total before it to after it, then the final match
    weight with its probability; the dashed line is the match threshold."""
    steps = explained["steps"]
    if not steps:
        return "<p>No comparisons.</p>"
    row, label_width, gap, top = 16, 320, 3, 18
    final = explained["match_weight"]
    threshold = explained["threshold"]
    threshold_weight = math.log2(threshold / (1 - threshold))  # probability as a weight
    ends = [0.0, final, threshold_weight] + [s["cumulative"] for s in steps]
    ends += [s["cumulative"] - s["weight"] for s in steps]
    low, high = min(ends), max(ends)
    span = (high - low) or 1.0
    plot = width - label_width - 70

    def x(value: float) -> float:
        return label_width + plot * (value - low) / span

    height = top + (len(steps) + 1) * (row + gap) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" class="chart waterfall">'
    ]
    bars = [
        (
            "prior (two random records match)" if i == 0 else f"{s['comparison']}: {s['level']}",
            s["cumulative"] - s["weight"],
            s["cumulative"],
            "#78909c" if i == 0 else ("#2e7d32" if s["weight"] >= 0 else "#c62828"),
            f"{s['value_l']} | {s['value_r']}" if i else "",
        )
        for i, s in enumerate(steps)
    ]
    probability = explained["match_probability"]
    bars.append((f"final: p = {probability:.4g}", 0.0, final, "#1565c0", ""))
    for i, (label, start, end, colour, values) in enumerate(bars):
        y = top + i * (row + gap)
        left, right = sorted((x(start), x(end)))
        weight = end - start
        shown = f"{weight:+.2f}" if i < len(bars) - 1 else f"{end:.2f}"
        title = f"{label}: {shown}" + (f" ({values})" if values else "")
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 12}" text-anchor="end" font-size="11">'
            f"{escape(label[:52])}</text>"
            f'<rect x="{left:.1f}" y="{y}" width="{max(right - left, 1):.1f}" height="{row}" '
            f'fill="{colour}"><title>{escape(title)}</title></rect>'
            f'<text x="{right + 4:.1f}" y="{y + 12}" font-size="10">{shown}</text>'
        )
        if 0 < i < len(bars) - 1:  # the running total carries to the next bar
            parts.append(
                f'<line x1="{x(end):.1f}" x2="{x(end):.1f}" y1="{y + row}" '
                f'y2="{y + row + gap}" stroke="#999"/>'
            )
    line = x(threshold_weight)
    parts.append(
        f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{top - 4}" y2="{height}" stroke="#555"/>'
        f'<line x1="{line:.1f}" x2="{line:.1f}" y1="{top - 4}" y2="{height}" '
        f'stroke="#6a1b9a" stroke-dasharray="4 3"/>'
        f'<text x="{line:.1f}" y="11" font-size="10" text-anchor="middle" fill="#6a1b9a">'
        f"threshold p={threshold}</text></svg>"
    )
    return "".join(parts)
