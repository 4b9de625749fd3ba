"""Keras 3 model configs brought to the conventions the config reader shares with legacy files.

Applied by the pipeline to every Keras 3 config (``.keras`` archives and Keras 3's legacy
``.h5`` files alike), once, before the config is checked and translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["keras3_config_fixups"]

_FUNCTIONAL = ("Functional", "Model")


def keras3_config_fixups(config: Any, path: str) -> Any:
    """Bring a Keras 3 model config to the conventions the config reader shares with
    legacy files (a copy; the input is not modified).

    * In ``input_layers``/``output_layers`` Keras 3 numbers a nested functional model's
      nodes from 1 (its node 0 is the one it is built with; ``functional_from_config``
      subtracts 1), while node arguments count its calls from 0: both become call numbers.
    """

    def fix(obj: Any, owner: str) -> Any:
        if isinstance(obj, list):
            return [fix(v, owner) for v in obj]
        if not isinstance(obj, Mapping):
            return obj
        out = {k: fix(v, str(obj.get("name") or owner)) for k, v in obj.items()}
        cfg = out.get("config")
        if isinstance(cfg, dict) and out.get("class_name") in _FUNCTIONAL and isinstance(cfg.get("layers"), list):
            nested = {
                str(e.get("name")) for e in cfg["layers"] if isinstance(e, Mapping) and e.get("class_name") in _FUNCTIONAL
            }
            for key in ("input_layers", "output_layers"):
                if key in cfg:
                    cfg[key] = _renumber(cfg[key], nested)
        return out

    return fix(config, "")


def _renumber(spec: Any, nested: set[str]) -> Any:
    if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str) and isinstance(spec[1], int):
        return [spec[0], spec[1] - 1, spec[2]] if spec[0] in nested and spec[1] > 0 else spec
    if isinstance(spec, list):
        return [_renumber(v, nested) for v in spec]
    if isinstance(spec, Mapping):
        return {k: _renumber(v, nested) for k, v in spec.items()}
    return spec
