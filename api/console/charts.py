"""Server-rendered SVG bar charts: readable without JavaScript, nothing loaded from outside."""

from __future__ import annotations

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
