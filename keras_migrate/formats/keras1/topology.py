"""Keras 1 model configs -> the IR graph (without weights).

Keras 1 wrote configs the Keras 2 topology reader already parses (Sequential as a list,
functional models with 3-element inbound nodes), plus three things it does not:

* a Sequential whose first layer is a ``Merge`` of sub-models. It becomes a functional
  graph with one input per sub-model, the sub-models' layers inlined, as Keras 1 itself
  flattened them (its weights files list only those leaf layers);
* ``input_dtype`` instead of ``dtype``, pre-1.0 entries ``{"name": <class>,
  "custom_name": <name>}``, and Sequential inputs named ``<class>_input_<k>``;
* ZeroPadding2D/3D, Cropping2D/3D and UpSampling2D/3D configs that never recorded the
  ``dim_ordering`` they ran with: it is inferred from the nearest layer that did, or taken
  from an option, and every inference is reported.

Layer configs are translated by the Keras 1 rule set (:mod:`keras_migrate.formats.keras1.layers`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats.keras2.topology import ConfigReader
from keras_migrate.formats.ruleset import TranslateContext, translate_keras1
from keras_migrate.ir.graph import Graph, Layer, LayerOrigin

__all__ = ["NO_DIM_ORDERING", "Keras1Reader", "graph_from_keras1", "normalize_config"]

#: Keras 1 classes whose get_config omitted the dim_ordering they used.
NO_DIM_ORDERING = frozenset({"ZeroPadding2D", "ZeroPadding3D", "Cropping2D", "Cropping3D", "UpSampling2D", "UpSampling3D"})
_MODELS = frozenset({"Sequential", "Model"})


class _Normalizer:
    def __init__(self, path: str, dim_ordering: str | None, notes: list[str]) -> None:
        self.path = path
        self.dim_ordering = dim_ordering
        self.notes = notes
        self.uids: dict[str, int] = {}
        self.seen_orderings: set[str] = set()
        self.pending: list[tuple[dict[str, Any], str]] = []  # (config, why) for the global fallback

    def _uid(self, prefix: str) -> int:
        self.uids[prefix] = self.uids.get(prefix, 0) + 1
        return self.uids[prefix]

    def error(self, message: str, layer: str | None = None) -> UnsupportedError:
        return UnsupportedError(message, path=self.path or None, layer=layer)

    # -- entries ---------------------------------------------------------------------
    @staticmethod
    def entry(e: Any) -> dict[str, Any]:
        """``{class_name, config}``, accepting the pre-1.0 ``{name: <class>, custom_name}`` form."""
        if not isinstance(e, Mapping):
            raise KerasMigrateError(f"layer entry {str(e)[:80]!r} is not a Keras layer config")
        if "class_name" in e:
            return dict(e)
        if isinstance(e.get("name"), str):
            cfg = {k: v for k, v in e.items() if k not in ("name", "custom_name")}
            cfg["name"] = e.get("custom_name")
            return {"class_name": e["name"], "config": cfg}
        raise KerasMigrateError(f"layer entry {str(e)[:80]!r} has no class_name")

    def model(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        entry = self.entry(entry)
        cls = entry["class_name"]
        if cls == "Sequential":
            return self.sequential(entry)
        if cls == "Model":
            return self.functional(entry)
        raise KerasMigrateError(
            f"model class {cls!r} is not a Keras 1 Sequential or Model",
            path=self.path or None,
            hint="Keras 0.x Graph models are not supported",
        )

    def layer_config(self, entry: dict[str, Any]) -> dict[str, Any]:
        if entry["class_name"] in _MODELS:
            return self.model(entry) | ({"name": entry["name"]} if "name" in entry else {})
        cfg = dict(entry.get("config") or {})
        if entry["class_name"] == "InputLayer" and "input_dtype" in cfg:
            cfg.setdefault("dtype", cfg.pop("input_dtype"))
        if "dim_ordering" in cfg:
            self.seen_orderings.add(str(cfg["dim_ordering"]))
        return {**entry, "config": cfg}

    def _input_entry(self, first: dict[str, Any]) -> dict[str, Any] | None:
        cfg = first.get("config") or {}
        shape = cfg.get("batch_input_shape")
        if shape is None:
            return None
        prefix = f"{str(first['class_name']).lower()}_input_"
        name = f"{prefix}{self._uid(prefix)}"
        return {
            "class_name": "InputLayer",
            "name": name,
            "config": {"name": name, "batch_input_shape": shape, "dtype": cfg.get("input_dtype") or "float32"},
        }

    # -- Sequential --------------------------------------------------------------------
    def sequential(self, entry: dict[str, Any]) -> dict[str, Any]:
        raw = entry.get("config")
        name = entry.get("name")
        if isinstance(raw, Mapping):  # a Keras 2 style dict in a Keras 1 file: take its list
            name = raw.get("name", name)
            raw = raw.get("layers")
        if not isinstance(raw, list) or not raw:
            raise KerasMigrateError("Keras 1 Sequential config is not a non-empty list of layers", path=self.path or None)
        layers = [self.entry(e) for e in raw]
        if layers[0]["class_name"] == "Merge" and (layers[0].get("config") or {}).get("layers"):
            return self.merge_first(layers, name)
        out: list[dict[str, Any]] = []
        first = layers[0]
        if first["class_name"] not in _MODELS and first["class_name"] != "InputLayer":
            inp = self._input_entry(first)
            if inp is not None:
                out.append(inp)
        out += [self.layer_config(e) for e in layers]
        self.infer_chain(out)
        return {"class_name": "Sequential", "config": out, **({"name": name} if name else {})}

    def merge_first(self, layers: list[dict[str, Any]], name: Any) -> dict[str, Any]:
        """A Sequential starting with Merge([sub-models]) as one flat functional config."""
        entries: list[dict[str, Any]] = []
        inputs: list[list[Any]] = []
        tails = []
        for sub in layers[0]["config"]["layers"]:
            tail = self.inline(self.entry(sub), entries, inputs)
            tails.append([tail, 0, 0])
        merge_cfg = {k: v for k, v in layers[0]["config"].items() if k != "layers"}
        merge_name = str(merge_cfg.get("name") or f"merge_{self._uid('merge_')}")
        merge_cfg["name"] = merge_name
        entries.append({"class_name": "Merge", "name": merge_name, "config": merge_cfg, "inbound_nodes": [tails]})
        prev = merge_name
        for e in layers[1:]:
            e = self.layer_config(e)
            lname = self.entry_name(e)
            entries.append({**e, "name": lname, "inbound_nodes": [[[prev, 0, 0]]]})
            prev = lname
        self.notes.append(
            f"Sequential {name or ''} starting with Merge of {len(tails)} sub-models: converted to a functional "
            f"graph with {len(inputs)} inputs (the sub-models' layers inlined, as Keras 1 flattened them)"
        )
        config = {"name": name or "sequential", "layers": entries, "input_layers": inputs, "output_layers": [[prev, 0, 0]]}
        self.infer_functional(entries)
        return {"class_name": "Model", "config": config}

    def entry_name(self, e: Mapping[str, Any]) -> str:
        cfg = e.get("config")
        if isinstance(cfg, Mapping) and cfg.get("name"):
            return str(cfg["name"])
        if e.get("name"):
            return str(e["name"])
        raise KerasMigrateError(f"Keras 1 layer {e.get('class_name')} has no name", path=self.path or None)

    def inline(self, sub: dict[str, Any], entries: list[dict[str, Any]], inputs: list[list[Any]]) -> str:
        """Append a merged sub-model's layers to ``entries``; return its output layer name."""
        if sub["class_name"] != "Sequential":
            raise self.error(
                f"a Merge in a Sequential takes a {sub['class_name']}; only Sequential sub-models can be converted"
            )
        raw = sub.get("config")
        layers = [self.entry(e) for e in (raw if isinstance(raw, list) else (raw or {}).get("layers", []))]
        if not layers:
            raise self.error("a merged sub-model has no layers")
        if layers[0]["class_name"] == "Merge" and (layers[0].get("config") or {}).get("layers"):
            tails = [[self.inline(self.entry(s), entries, inputs), 0, 0] for s in layers[0]["config"]["layers"]]
            merge_cfg = {k: v for k, v in layers[0]["config"].items() if k != "layers"}
            prev = str(merge_cfg.get("name"))
            entries.append({"class_name": "Merge", "name": prev, "config": merge_cfg, "inbound_nodes": [tails]})
            rest = layers[1:]
        else:
            inp = self._input_entry(layers[0])
            if inp is None:
                raise self.error("the first layer of a merged sub-model does not record its input shape")
            entries.append({**inp, "inbound_nodes": []})
            inputs.append([inp["name"], 0, 0])
            prev = inp["name"]
            rest = layers
        for e in rest:
            if e["class_name"] in _MODELS:
                raise self.error("a model nested inside a merged sub-model cannot be converted")
            e = self.layer_config(e)
            lname = self.entry_name(e)
            entries.append({**e, "name": lname, "inbound_nodes": [[[prev, 0, 0]]]})
            prev = lname
        return prev

    # -- functional ----------------------------------------------------------------------
    def functional(self, entry: dict[str, Any]) -> dict[str, Any]:
        cfg = dict(entry.get("config") or {})
        layers = []
        for e in cfg.get("layers", []):
            e = self.entry(e)
            if e["class_name"] in _MODELS:
                inner = self.model(e)
                layers.append({**e, "class_name": inner["class_name"], "config": inner["config"]})
            else:
                layers.append(self.layer_config(e))
        cfg["layers"] = layers
        self.infer_functional(layers)
        return {"class_name": "Model", "config": cfg}

    # -- dim_ordering inference ----------------------------------------------------------
    def _resolve(self, cfg: dict[str, Any], name: str, found: str | None, source: str | None) -> None:
        if self.dim_ordering is not None:
            cfg["dim_ordering"] = self.dim_ordering
            self.notes.append(f"{name}: dim_ordering {self.dim_ordering!r} (from the --dim-ordering option)")
        elif found is not None:
            cfg["dim_ordering"] = found
            self.notes.append(
                f"{name}: Keras 1 did not record its dim_ordering; inferred {found!r} from neighbouring layer {source!r}"
            )
        else:
            self.pending.append((cfg, name))

    def infer_chain(self, entries: list[dict[str, Any]]) -> None:
        """Sequential: look back, then forward, along the chain."""
        for i, e in enumerate(entries):
            cfg = e.get("config")
            if e["class_name"] not in NO_DIM_ORDERING or not isinstance(cfg, dict) or "dim_ordering" in cfg:
                continue
            found = source = None
            for j in [*range(i - 1, -1, -1), *range(i + 1, len(entries))]:
                other = entries[j].get("config")
                if isinstance(other, Mapping) and other.get("dim_ordering") in ("th", "tf") and entries[j]["class_name"] not in NO_DIM_ORDERING:
                    found, source = str(other["dim_ordering"]), str(other.get("name"))
                    break
            self._resolve(cfg, str(cfg.get("name")), found, source)

    def infer_functional(self, entries: list[dict[str, Any]]) -> None:
        """Functional: breadth-first over inbound (then outbound) connections."""
        by_name = {self.entry_name(e) if e["class_name"] not in _MODELS else str(e.get("name")): e for e in entries}
        up: dict[str, list[str]] = {}
        down: dict[str, list[str]] = {}
        for n, e in by_name.items():
            for node in e.get("inbound_nodes") or []:
                for t in node:
                    if isinstance(t, (list, tuple)) and t and isinstance(t[0], str):
                        up.setdefault(n, []).append(t[0])
                        down.setdefault(t[0], []).append(n)
        for n, e in by_name.items():
            cfg = e.get("config")
            if e["class_name"] not in NO_DIM_ORDERING or not isinstance(cfg, dict) or "dim_ordering" in cfg:
                continue
            found = source = None
            for graph in (up, down):
                frontier, seen = list(graph.get(n, [])), {n}
                while frontier and found is None:
                    nxt = []
                    for m in frontier:
                        if m in seen or m not in by_name:
                            continue
                        seen.add(m)
                        other = by_name[m]
                        ocfg = other.get("config")
                        if isinstance(ocfg, Mapping) and ocfg.get("dim_ordering") in ("th", "tf") and other["class_name"] not in NO_DIM_ORDERING:
                            found, source = str(ocfg["dim_ordering"]), m
                            break
                        nxt += graph.get(m, [])
                    frontier = nxt
                if found is not None:
                    break
            self._resolve(cfg, n, found, source)

    def finish(self) -> None:
        """Layers with no neighbour recording an ordering: the model's only one, else 'tf'."""
        for cfg, name in self.pending:
            if len(self.seen_orderings) == 1:
                value = next(iter(self.seen_orderings))
                why = "the only dim_ordering used in the model"
            elif not self.seen_orderings:
                value = "tf"
                why = "Keras 1.2's default image_dim_ordering; nothing in the model says otherwise"
            else:
                raise UnsupportedError(
                    "Keras 1 did not record this layer's dim_ordering and the model mixes 'th' and 'tf'",
                    path=self.path or None,
                    layer=name,
                    hint="pass --dim-ordering th or tf",
                )
            cfg["dim_ordering"] = value
            self.notes.append(f"{name}: Keras 1 did not record its dim_ordering; assumed {value!r} ({why}; override with --dim-ordering)")


def normalize_config(model_config: Mapping[str, Any], *, path: str = "", dim_ordering: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """Rewrite a Keras 1 model config into the form :class:`Keras1Reader` parses."""
    notes: list[str] = []
    n = _Normalizer(path, dim_ordering, notes)
    out = n.model(copy.deepcopy(dict(model_config)))
    n.finish()
    return out, notes


class Keras1Reader(ConfigReader):
    """The Keras 2 topology reader with Keras 1 layer translation."""

    def __init__(self, *, path: str = "") -> None:
        super().__init__(path=path, generation="keras1")

    def make_layer(self, entry: Mapping[str, Any], name_map: dict[str, str]) -> Layer:
        class_name = entry.get("class_name")
        if class_name in ("Sequential", "Model", "Functional"):
            return super().make_layer(entry, name_map)
        raw = entry.get("config")
        if not isinstance(class_name, str) or not isinstance(raw, Mapping):
            raise self._error(f"layer entry {str(entry)[:80]!r} is not a Keras layer config (needs class_name and config)")
        orig_name = str(entry.get("name") or raw.get("name") or class_name.lower())
        name = self._valid_name(orig_name)
        name_map[orig_name] = name
        self._used_names.add(name)
        ctx = TranslateContext(layer_name=orig_name, path=self.path, generation="keras1", notes=self.notes)
        ltype, cfg = translate_keras1(class_name, raw, ctx)
        origin = LayerOrigin(class_name=class_name, name=orig_name, config=dict(raw))
        return Layer(name, ltype, cfg, (), bool(raw.get("trainable", True)), "float32", None, origin)


def graph_from_keras1(model_config: Mapping[str, Any], *, path: str = "", dim_ordering: str | None = None) -> tuple[Graph, Keras1Reader, list[str]]:
    """Parse a Keras 1 ``{"class_name", "config"}`` into a graph (no weights yet)."""
    config, notes = normalize_config(model_config, path=path, dim_ordering=dim_ordering)
    reader = Keras1Reader(path=path)
    graph = reader.graph(config)
    return graph, reader, notes
