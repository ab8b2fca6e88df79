"""Small charts as plain inline SVG (no scripts, no CDN): horizontal bars with their numbers written out."""
from __future__ import annotations

from typing import Callable, Sequence

from markupsafe import Markup, escape

BAR = "#1f5fa8"          # contrast 6.4:1 on white
BAR_ALT = "#8a4b00"      # contrast 6.6:1 on white
INK = "#1a1a1a"


def bar_chart(items: Sequence[tuple[str, int]], *, title: str, value_text: Callable[[int], str] = str,
              highlight_last: bool = False, width: int = 440) -> Markup:
    """One bar per (label, value); the value is written beside its bar, so the chart reads without colour."""
    row, label_w, pad = 34, 150, 8
    biggest = max((v for _, v in items), default=0) or 1
    bar_room = width - label_w - 120
    height = row * max(len(items), 1) + pad
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        length = max(round(bar_room * max(value, 0) / biggest), 2 if value else 0)
        colour = BAR_ALT if highlight_last and i == len(items) - 1 else BAR
        parts.append(f'<text x="{label_w - 10}" y="{y + 19}" text-anchor="end" font-size="16" '
                     f'fill="{INK}">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{length}" height="22" rx="3" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + length + 8}" y="{y + 21}" font-size="16" font-weight="bold" '
                     f'fill="{INK}">{escape(value_text(value))}</text>')
    if not items:
        parts.append(f'<text x="10" y="24" font-size="16" fill="{INK}">–</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
