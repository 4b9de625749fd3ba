"""Reports people can look at: JSON is the source of truth, HTML and Markdown render from it.

- :mod:`.data`: the report's JSON (entries built from the pipeline's records, merge, summary);
- :mod:`.files`: reading and writing ``.json`` / ``.html`` / ``.md`` by suffix;
- :mod:`.html`: one self-contained page (inline CSS, SVG, JS; nothing fetched);
- :mod:`.graph_svg`: the IR graph as a diagram (grandalf layout, drawsvg), nodes coloured by verdict;
- :mod:`.plot_svg`: per-layer divergence per backend, log scale;
- :mod:`.markdown`: the summary table and problems as Markdown.

No framework is imported; drawing needs ``grandalf`` and ``drawsvg`` (the ``report`` extra).
"""
