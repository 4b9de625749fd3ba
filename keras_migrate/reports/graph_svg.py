"""The IR graph as an SVG diagram, nodes coloured by verdict.

Layout is grandalf's Sugiyama (layered) layout: layers of the network top to bottom,
crossings reduced, long edges routed through dummy points; drawsvg writes the SVG. Only the
report's JSON is read (:func:`keras_migrate.reports.data.node_verdicts`), never a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_migrate.reports.data import node_verdicts

__all__ = ["VERDICT_COLOURS", "graph_svg"]

#: Verdict -> (fill, stroke): exact green, compat layer amber, diverged red, no data grey.
VERDICT_COLOURS = {
    "exact": ("#d9f2df", "#2e8b4f"),
    "compat": ("#fdeebf", "#c28a00"),
    "diverged": ("#f9d0d0", "#c62828"),
    "unverified": ("#eceff1", "#78909c"),
}
_CHAR_W = 6.6
_NODE_H = 34.0
_GAP_X = 18.0
_GAP_Y = 30.0
_MARGIN = 12.0


class _View:
    """What grandalf reads (w, h) and writes (xy) for a vertex, and the path of an edge."""

    def __init__(self, w: float = 0.0, h: float = 0.0) -> None:
        self.w, self.h = w, h
        self.xy: tuple[float, float] = (0.0, 0.0)
        self.pts: list[tuple[float, float]] = []

    def setpath(self, pts: list[tuple[float, float]]) -> None:
        self.pts = list(pts)


def _layout(nodes: list[Mapping[str, Any]], edges: list[list[str]]) -> tuple[dict[str, _View], list[tuple[str, str, _View]], float, float]:
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    vertices = {}
    for n in nodes:
        v = Vertex(n["id"])
        width = max(len(n["label"]), len(n["type"])) * _CHAR_W + 16
        v.view = _View(width, _NODE_H)
        vertices[n["id"]] = v
    es = []
    for a, b in edges:
        if a in vertices and b in vertices and a != b:
            e = Edge(vertices[a], vertices[b])
            e.view = _View()
            es.append(e)
    graph = Graph(list(vertices.values()), es)
    offset_x = 0.0
    height = 0.0
    for component in graph.C:
        layout = SugiyamaLayout(component)
        layout.xspace, layout.yspace = _GAP_X, _GAP_Y
        roots = [v for v in component.sV if not v.e_in()]
        layout.init_all(roots=roots or None)
        layout.draw()
        vs = list(component.sV)
        left = min(v.view.xy[0] - v.view.w / 2 for v in vs)
        top = min(v.view.xy[1] - v.view.h / 2 for v in vs)
        shift = (offset_x - left + _MARGIN, _MARGIN - top)
        for v in vs:
            v.view.xy = (v.view.xy[0] + shift[0], v.view.xy[1] + shift[1])
        for e in component.sE:
            e.view.pts = [(x + shift[0], y + shift[1]) for x, y in e.view.pts]
        offset_x = max(v.view.xy[0] + v.view.w / 2 for v in vs) + _GAP_X
        height = max(height, max(v.view.xy[1] + v.view.h / 2 for v in vs))
    views = {k: v.view for k, v in vertices.items()}
    routed = [(e.v[0].data, e.v[1].data, e.view) for e in es]
    return views, routed, offset_x - _GAP_X + _MARGIN, height + _MARGIN


def graph_svg(entry: Mapping[str, Any], *, element_id: str = "graph") -> str:
    """The model's graph as an ``<svg>`` element (no XML header: it is inlined in HTML)."""
    import drawsvg as draw

    graph = entry.get("graph") or {}
    nodes = list(graph.get("nodes") or [])
    if not nodes:
        return ""
    verdicts = node_verdicts(entry)
    views, routed, width, height = _layout(nodes, list(graph.get("edges") or []))
    d = draw.Drawing(max(width, 60), max(height, 40), id_prefix=element_id, id=element_id, class_="graph-svg")
    marker = draw.Marker(-4, -3, 1, 3, scale=1.6, orient="auto")
    marker.append(draw.Lines(-4, -3, 1, 0, -4, 3, close=True, fill="#607d8b"))
    for a, b, view in routed:
        pts = view.pts or [views[a].xy, views[b].xy]
        start = (pts[0][0], pts[0][1] + views[a].h / 2)
        end = (pts[-1][0], pts[-1][1] - views[b].h / 2)
        coords = [c for p in [start, *pts[1:-1], end] for c in p]
        d.append(draw.Lines(*coords, close=False, fill="none", stroke="#90a4ae", stroke_width=1.2, marker_end=marker, class_="edge"))
    for n in nodes:
        view = views[n["id"]]
        verdict = verdicts.get(n["id"], "unverified")
        fill, stroke = VERDICT_COLOURS[verdict]
        x, y = view.xy[0] - view.w / 2, view.xy[1] - view.h / 2
        group = draw.Group(class_=f"node verdict-{verdict}", data_verdict=verdict, data_node=n["id"])
        rect = draw.Rectangle(x, y, view.w, view.h, rx=5, fill=fill, stroke=stroke, stroke_width=1.4)
        rect.append_title(f"{n['label']} ({n['type']}): {verdict}")
        group.append(rect)
        group.append(draw.Text(n["label"], 11, view.xy[0], y + 14, text_anchor="middle", font_family="monospace", fill="#263238"))
        kind = n["type"].replace("keras_migrate>", "compat:")
        group.append(draw.Text(kind, 9.5, view.xy[0], y + 27, text_anchor="middle", font_family="sans-serif", fill="#546e7a"))
        d.append(group)
    return d.as_svg(header="")
