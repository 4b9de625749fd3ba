"""The per-layer divergence plot: max abs difference after each layer, per backend, log scale.

x: the model's layer values in graph order; y: the largest absolute difference between the
backend and the numpy reference there, on a log axis (an exact zero sits on the floor).
The dashed line is the absolute tolerance. drawsvg writes the SVG from the report's JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["BACKEND_COLOURS", "FLOOR", "divergence_svg"]

BACKEND_COLOURS = {"jax": "#1565c0", "torch": "#e65100", "tensorflow": "#2e7d32"}
#: Differences below this (exact zeros included) are drawn on the floor of the axis.
FLOOR = 1e-12
_W_PER_POINT = 26.0
_LEFT, _RIGHT, _TOP, _BOTTOM = 56.0, 120.0, 14.0, 70.0
_PLOT_H = 180.0


def _value(v: Any) -> float:
    if isinstance(v, str):  # "inf" / "nan" (JSON has no infinities)
        return math.inf
    return float(v)


def divergence_svg(entry: Mapping[str, Any], *, atol: float = 1e-5, element_id: str = "plot") -> str:
    """An ``<svg>`` plot of the entry's per-layer differences ('' when nothing was verified)."""
    import drawsvg as draw

    verify = entry.get("verify") or {}
    series = {b: [(n, _value(v)) for n, v, _ in r.get("layers") or []] for b, r in verify.items()}
    series = {b: s for b, s in series.items() if s}
    if not series:
        return ""
    order: list[str] = []
    for s in series.values():
        order += [n for n, _ in s if n not in order]
    finite = [v for s in series.values() for _, v in s if math.isfinite(v) and v > FLOOR]
    top = max([*finite, atol * 10, 1.0])
    lo_exp, hi_exp = math.floor(math.log10(FLOOR)), math.ceil(math.log10(top))
    width = _LEFT + _RIGHT + max(len(order) - 1, 1) * _W_PER_POINT
    height = _TOP + _PLOT_H + _BOTTOM
    d = draw.Drawing(width, height, id_prefix=element_id, id=element_id, class_="plot-svg")

    def x_of(i: int) -> float:
        return _LEFT + i * _W_PER_POINT

    def y_of(v: float) -> float:
        v = min(max(v, FLOOR), 10.0**hi_exp)  # inf drawn at the top
        return _TOP + _PLOT_H * (hi_exp - math.log10(v)) / (hi_exp - lo_exp)

    d.append(draw.Rectangle(_LEFT, _TOP, width - _LEFT - _RIGHT, _PLOT_H, fill="#fafafa", stroke="#b0bec5"))
    step = 1 if hi_exp - lo_exp <= 8 else 2
    for e in range(lo_exp, hi_exp + 1, step):
        y = y_of(10.0**e)
        d.append(draw.Line(_LEFT, y, width - _RIGHT, y, stroke="#eceff1"))
        d.append(draw.Text(f"1e{e}", 9, _LEFT - 6, y + 3, text_anchor="end", font_family="sans-serif", fill="#546e7a"))
    y_tol = y_of(atol)
    d.append(draw.Line(_LEFT, y_tol, width - _RIGHT, y_tol, stroke="#c62828", stroke_dasharray="4,3", class_="atol"))
    d.append(draw.Text(f"atol {atol:g}", 9, _LEFT + 4, y_tol - 4, fill="#c62828", font_family="sans-serif"))
    if len(order) <= 60:
        for i, name in enumerate(order):
            x, y = x_of(i), _TOP + _PLOT_H + 8
            d.append(draw.Text(name[:18], 8.5, x, y, text_anchor="end", transform=f"rotate(-45 {x} {y})", font_family="monospace", fill="#455a64"))
    index = {n: i for i, n in enumerate(order)}
    for k, (backend, points) in enumerate(sorted(series.items())):
        colour = BACKEND_COLOURS.get(backend, "#6a1b9a")
        nudge = (k - (len(series) - 1) / 2) * 3.0  # equal values of several backends stay visible side by side
        coords = [c for n, v in points for c in (x_of(index[n]) + nudge, y_of(v))]
        group = draw.Group(class_="series", data_backend=backend)
        if len(points) > 1:
            group.append(draw.Lines(*coords, close=False, fill="none", stroke=colour, stroke_width=1.6))
        for n, v in points:
            dot = draw.Circle(x_of(index[n]) + nudge, y_of(v), 2.8, fill=colour)
            dot.append_title(f"{backend} {n}: max abs diff {v:.3g}")
            group.append(dot)
        d.append(group)
        ly = _TOP + 10 + 16 * k
        d.append(draw.Line(width - _RIGHT + 8, ly, width - _RIGHT + 24, ly, stroke=colour, stroke_width=2))
        d.append(draw.Text(backend, 10, width - _RIGHT + 28, ly + 3, font_family="sans-serif", fill="#263238"))
    d.append(draw.Text("max abs diff (log)", 9, 10, _TOP + _PLOT_H / 2, transform=f"rotate(-90 10 {_TOP + _PLOT_H / 2})", text_anchor="middle", font_family="sans-serif", fill="#546e7a"))
    return d.as_svg(header="")
