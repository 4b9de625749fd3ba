"""The backward layer legacy Keras built for ``Bidirectional``, made explicit.

Keras 1, standalone Keras 2 and tf_keras build the backward layer as a copy of the wrapped
one with ``go_backwards`` *flipped*; Keras 3 builds it with ``go_backwards=True`` always.
They agree unless the wrapped layer itself goes backwards: then the legacy backward layer
reads the sequence forwards, and Keras 3 refuses the config outright ("Forward layer and
backward layer should have different `go_backwards` value"). Writing the legacy backward
layer as an explicit ``backward_layer`` makes every emitter and the interpreter compute
what the original did (the weights keep their ``backward_layer/`` paths).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["legacy_backward_layer"]


def legacy_backward_layer(layer: Mapping[str, Any]) -> dict[str, Any] | None:
    """The explicit backward layer for a translated ``{class_name, config}`` wrapped layer,
    or None when Keras 3's own copy (``go_backwards=True``) is already the legacy one."""
    cfg = dict(layer.get("config") or {})
    if not cfg.get("go_backwards"):
        return None
    cfg["go_backwards"] = False
    if cfg.get("name"):
        cfg["name"] = f"backward_{cfg['name']}"
    return {"class_name": layer["class_name"], "config": cfg}
