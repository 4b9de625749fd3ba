"""Build an IR graph from a Keras 2 / tf.keras (and Keras 3 legacy-H5) model config.

Handles every config shape those versions wrote: Sequential as a list (Keras <= 2.2.2) or a
dict, functional models with 3- or 4-element inbound nodes, tf.keras' nested first-argument
structures and tensors inside call kwargs, Keras 3's ``args``/``kwargs`` nodes, structured
(list or dict) model inputs and outputs, and nested models (which become layers owning a
subgraph). Layer configs are translated to Keras 3 by the rule registry
(:mod:`keras_migrate.formats.ruleset`); weights are attached afterwards by
:func:`attach_weights`, in the file order :func:`expected_weights` gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.formats.keras3.ops import is_op_entry, op_layer
from keras_migrate.formats.lambdas.rule import LAMBDA_TYPE
from keras_migrate.formats.ruleset import TranslateContext, rewrite_call, translate_layer
from keras_migrate.formats.tfkeras.layers import resolve_output_counts
from keras_migrate.ir.graph import Graph, GraphBuilder, Layer, LayerOrigin, TensorType, ValueRef
from keras_migrate.ir.ops.tf import TFOP_TYPE, tf_op_outputs
from keras_migrate.ir.specs import WeightSpec, weight_specs
from keras_migrate.ir.user_code import is_user_type
from keras_migrate.ir.weights import Weight

__all__ = ["ConfigReader", "attach_weights", "expected_weights", "graph_from_config", "num_outputs", "split_weights"]

_MODEL_CLASSES = frozenset({"Model", "Functional", "Sequential"})
_RNN_TYPES = frozenset(
    {"SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional"}
)
_VALID_NAME = re.compile(r"^[A-Za-z0-9_.\-:>]+$")


def num_outputs(
    layer_type: str, config: Mapping[str, Any], subgraph: Graph | None = None, kwargs: Mapping[str, Any] | None = None
) -> int:
    """How many tensors one call of this layer (with these call ``kwargs``) returns."""
    if subgraph is not None:
        return len(subgraph.outputs)
    if layer_type == TFOP_TYPE:  # tf.split / tf.unstack return lists
        return tf_op_outputs(config)
    if layer_type == LAMBDA_TYPE:  # a Lambda returning a list (see resolve_output_counts)
        return int(config.get("outputs") or 1)
    if kwargs is not None and kwargs.get("return_attention_scores") is True:
        return 2  # attention layers: (output, scores)
    if config.get("return_state"):
        states = {"LSTM": 2, "ConvLSTM1D": 2, "ConvLSTM2D": 2, "ConvLSTM3D": 2}.get(layer_type, 1)
        if layer_type == "RNN":
            cell = config["cell"]
            cells = cell["config"]["cells"] if cell["class_name"] == "StackedRNNCells" else [cell]
            states = sum(2 if c["class_name"] == "LSTMCell" else 1 for c in cells)
        if layer_type == "Bidirectional":
            inner = config["layer"]
            states = 2 * num_outputs(inner["class_name"], {**inner["config"], "return_state": True}) - 2
            return 1 + states + (1 if config.get("merge_mode", "concat") is None else 0)
        return 1 + states
    if layer_type == "Bidirectional" and config.get("merge_mode", "concat") is None:
        return 2
    return 1


def _shape_of(config: Mapping[str, Any]) -> tuple[int | None, ...] | None:
    if config.get("batch_input_shape") is not None:
        return tuple(config["batch_input_shape"])
    if config.get("batch_shape") is not None:
        return tuple(config["batch_shape"])
    if config.get("input_shape") is not None:
        return (config.get("batch_size"), *config["input_shape"])
    return None


def _first_input_shape(entry: Any) -> tuple[int | None, ...] | None:
    """Input shape recorded on a Sequential's first layer, looking inside nested models."""
    if not isinstance(entry, Mapping):
        return None
    cfg = entry.get("config")
    if isinstance(cfg, Mapping):
        shape = _shape_of(cfg)
        if shape is not None:
            return shape
        if entry.get("class_name") in _MODEL_CLASSES:
            if cfg.get("build_input_shape") is not None:
                return tuple(cfg["build_input_shape"])
            layers = cfg.get("layers")
            if isinstance(layers, list) and layers:
                first = layers[0]
                if first.get("class_name") == "InputLayer":
                    return _shape_of(first.get("config", {}))
                return _first_input_shape(first)
            if entry.get("class_name") in ("Model", "Functional"):
                return None
    if isinstance(cfg, list) and cfg:
        return _first_input_shape(cfg[0])
    return None


def _dtype_name(value: Any) -> str:
    if isinstance(value, Mapping):  # tf.keras / Keras 3 dtype policies
        cfg = value.get("config", {})
        return str(cfg.get("name", "float32"))
    return str(value or "float32")


class ConfigReader:
    """Turns a model config into a :class:`Graph`, translating each layer.

    Names Keras 3 would reject (e.g. containing ``/``) are replaced; ``renamed`` maps new
    names to the originals.
    """

    def __init__(self, *, path: str = "", generation: str = "keras2") -> None:
        self.path = path
        self.generation = generation
        self.notes: list[str] = []
        self.renamed: dict[str, str] = {}
        self._used_names: set[str] = set()
        self._offsets: dict[str, int] = {}
        #: Weightless layers a rule asked to apply after a layer (``TranslateContext.then``).
        self.followers: dict[str, list[Layer]] = {}

    # -- names -------------------------------------------------------------------------
    def _valid_name(self, name: str) -> str:
        if _VALID_NAME.match(name) and "/" not in name and name not in self.renamed:
            return name
        new = self._unused_name(re.sub(r"[^A-Za-z0-9_.\-]", "_", name) or "layer")
        self.renamed[new] = name
        return new

    def _unused_name(self, base: str) -> str:
        """``base``, or ``base_1``, ``base_2``... if taken: a renamed layer's name, and the name of
        a layer whose config has none (Keras numbers them ``conv2d_1``...)."""
        new, k = base, 1
        while new in self._used_names or new in self.renamed:
            new = f"{base}_{k}"
            k += 1
        return new

    def _error(self, message: str, layer: str | None = None, hint: str | None = None) -> KerasMigrateError:
        return KerasMigrateError(message, path=self.path or None, layer=layer, hint=hint)

    # -- layers ------------------------------------------------------------------------
    def make_layer(self, entry: Mapping[str, Any], name_map: dict[str, str]) -> Layer:
        class_name = entry.get("class_name")
        raw = entry.get("config")
        is_model = class_name in _MODEL_CLASSES
        # Keras <= 2.2.2 serialized a nested Sequential's config as a bare list of layers.
        if not isinstance(class_name, str) or not (isinstance(raw, Mapping) or (is_model and isinstance(raw, list))):
            raise self._error(f"layer entry {str(entry)[:80]!r} is not a Keras layer config (needs class_name and config)")
        raw_map: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        given = entry.get("name") or raw_map.get("name")
        orig_name = str(given) if given else self._unused_name(class_name.lower())
        name = self._valid_name(orig_name)
        if name in self._used_names:  # a layer without a recorded name, named after its class like another
            raise self._error(
                f"two layers are named {orig_name!r} (one records no name); layer names must be unique in a model",
                layer=orig_name,
                hint="the model config is damaged; re-save the model with the Keras version that wrote it",
            )
        name_map[orig_name] = name
        self._used_names.add(name)
        origin = LayerOrigin(class_name=class_name, name=orig_name, config=dict(raw_map) if raw_map else {"layers": raw})
        trainable = bool(raw_map.get("trainable", True))
        dtype = _dtype_name(raw_map.get("dtype"))
        if is_op_entry(entry):  # a Keras 3 keras.ops call
            return op_layer(entry, name, self.path)
        if is_model:
            sub = self.graph({"class_name": class_name, "config": raw, "name": orig_name})
            return Layer(name, "Sequential" if sub.kind == "sequential" else "Functional", {}, (), trainable, dtype, sub, origin)
        ctx = TranslateContext(
            layer_name=orig_name,
            path=self.path,
            generation=self.generation,
            notes=self.notes,
            inbound_nodes=entry.get("inbound_nodes"),
        )
        ltype, cfg = translate_layer(class_name, raw_map, ctx)
        if ctx.then:
            self.followers[name] = self._followers(name, class_name, ctx.then, dtype)
        return Layer(name, ltype, cfg, (), trainable, dtype, None, origin)

    def _followers(self, name: str, class_name: str, then: list[tuple[str, dict[str, Any]]], dtype: str) -> list[Layer]:
        out = []
        for ltype, cfg in then:
            fname = self._valid_name(f"{name}_then_{ltype.rpartition('>')[2].lower()}")
            self._used_names.add(fname)
            origin = LayerOrigin(class_name=class_name, name=fname, config={})
            out.append(Layer(fname, ltype, dict(cfg), (), True, dtype, None, origin))
        return out

    def _call_followers(self, b: GraphBuilder, name: str, outs: Sequence[ValueRef]) -> list[ValueRef]:
        """Apply a layer's followers to its (single) output."""
        followers = self.followers.get(name)
        if not followers:
            return list(outs)
        if len(outs) != 1:
            raise self._error("a rule's follow-up applies to a layer that returns several tensors", layer=name)
        x = outs[0]
        for f in followers:
            if not b.has_layer(f.name):
                b.add_layer(f)
            x = b.call(f.name, (ValueRef(x.name),), num_outputs=1)[0]
        return [x]

    # -- graphs ------------------------------------------------------------------------
    def graph(self, model_config: Mapping[str, Any]) -> Graph:
        class_name = model_config.get("class_name")
        config = model_config.get("config")
        if class_name == "Sequential":
            return self._sequential(config, model_config)
        if class_name in ("Model", "Functional"):
            if not isinstance(config, Mapping) or "layers" not in config:
                raise self._error(f"{class_name} config has no 'layers'")
            return self._functional(config)
        raise self._error(
            f"model class {class_name!r} is not a Sequential or functional Model",
            hint="subclassed models store no architecture; rebuild it in code and convert its weights",
        )

    def _sequential(self, config: Any, entry: Mapping[str, Any]) -> Graph:
        layer_entries: Any
        if isinstance(config, list):  # Keras <= 2.2.2
            name, layer_entries, build_shape = str(entry.get("name") or "sequential"), config, None
        elif isinstance(config, Mapping):
            name = str(config.get("name") or "sequential")
            layer_entries = config.get("layers")
            build_shape = config.get("build_input_shape")
            if not isinstance(layer_entries, list):
                raise self._error("Sequential config has no 'layers' list")
        else:
            raise self._error("Sequential config is neither a list nor a dict")
        if not layer_entries:
            raise self._error(f"Sequential model {name!r} has no layers")
        b = GraphBuilder(name, kind="sequential")
        name_map: dict[str, str] = {}
        first = layer_entries[0]
        first_cfg = first.get("config") if isinstance(first, Mapping) else None
        if not isinstance(first_cfg, Mapping):
            first_cfg = {}
        if isinstance(first, Mapping) and first.get("class_name") == "InputLayer":
            shape = _shape_of(first_cfg)
            in_name = self._valid_name(str(first_cfg.get("name", "input_1")))
            layer_entries = layer_entries[1:]
        else:
            shape = _first_input_shape(first)
            if shape is None and build_shape is not None:
                shape = tuple(build_shape)
            in_name = self._valid_name(f"{name}_input")
        if shape is None:
            raise self._error(
                f"Sequential model {name!r} does not record its input shape",
                hint="the model was never built; convert a file saved after the model was built",
            )
        self._used_names.add(in_name)
        dtype = _dtype_name(first_cfg.get("dtype"))
        x = b.add_input(in_name, TensorType(tuple(shape), dtype))
        b.input_structure = in_name
        for e in layer_entries:
            layer = b.add_layer(self.make_layer(e, name_map))
            outs = b.call(layer.name, (x,), num_outputs=num_outputs(layer.type, layer.config, layer.subgraph))
            if layer.name in self.followers:  # ops cannot sit in a Keras 3 Sequential
                b.kind = "functional"
            outs = self._call_followers(b, layer.name, outs)
            if len(outs) != 1:
                raise self._error("a layer in a Sequential model returns several tensors", layer=layer.name)
            x = outs[0]
        b.output_structure = x.name
        return b.build()

    def _functional(self, config: Mapping[str, Any]) -> Graph:
        name = str(config.get("name") or "model")
        b = GraphBuilder(name)
        name_map: dict[str, str] = {}
        layers: list[tuple[Layer, list[Any]]] = []
        node_outputs: dict[tuple[str, int], list[str]] = {}
        for entry in config["layers"]:
            if entry.get("class_name") == "InputLayer":
                cfg = entry.get("config", {})
                orig = str(entry.get("name") or cfg.get("name"))
                vname = self._valid_name(orig)
                name_map[orig] = vname
                self._used_names.add(vname)
                shape = _shape_of(cfg)
                if shape is None:
                    raise self._error("InputLayer has no shape", layer=orig)
                if cfg.get("sparse") or cfg.get("ragged"):
                    raise UnsupportedError("sparse or ragged inputs are not supported", path=self.path, layer=orig)
                b.add_input(vname, TensorType(tuple(shape), _dtype_name(cfg.get("dtype"))))
                node_outputs[(orig, 0)] = [vname]
                continue
            layer = self.make_layer(entry, name_map)
            b.add_layer(layer)
            nodes = entry.get("inbound_nodes") or []
            layers.append((layer, list(nodes)))

        # Keras 2 numbers a nested graph model's calls from 1 (its node 0 is its own
        # construction); detect the offset from the references themselves.
        refs: dict[str, list[int]] = {}
        self._collect_refs([nodes for _, nodes in layers], refs)
        self._collect_refs(config.get("output_layers"), refs)
        counted = resolve_output_counts(
            [lay for lay, _ in layers], [[n for _, n in layers], config.get("output_layers")], LAMBDA_TYPE
        )
        for lay in counted.values():
            b.replace_layer(lay)
        layers = [(counted.get(lay.name, lay), nodes) for lay, nodes in layers]
        offsets: dict[str, int] = {}
        for layer, nodes in layers:
            if layer.subgraph is None:
                continue
            used = refs.get(layer.origin.name, [])
            if used and max(used) >= len(nodes):
                offsets[layer.origin.name] = 1
            elif used and 0 in used:
                offsets[layer.origin.name] = 0
            else:
                offsets[layer.origin.name] = 0 if self.generation == "keras3" else 1
        for orig, off in offsets.items():
            if off:
                self._offsets[orig] = off

        # Process nodes in dependency order; each layer's nodes in their own order.
        pending = {layer.name: (layer, nodes, 0) for layer, nodes in layers}
        orig_of = {layer.name: layer.origin.name for layer, _ in layers}
        progress = True
        while progress and any(k < len(nodes) for _, nodes, k in pending.values()):
            progress = False
            for lname in [lay.name for lay, _ in layers]:
                layer, nodes, k = pending[lname]
                while k < len(nodes):
                    call = self._parse_node(nodes[k], name_map, node_outputs, layer.type)
                    if call is None:
                        break
                    args, kwargs = rewrite_call(layer.origin.class_name, layer.type, layer.config, *call)
                    n_out = num_outputs(layer.type, layer.config, layer.subgraph, kwargs)
                    outs = self._call_followers(b, lname, b.call(lname, args, kwargs, num_outputs=n_out))
                    node_outputs[(orig_of[lname], k)] = [o.name for o in outs]
                    k += 1
                    progress = True
                pending[lname] = (layer, nodes, k)
        stuck = [orig_of[n] for n, (_, nodes, k) in pending.items() if k < len(nodes)]
        if stuck:
            raise self._error(f"cannot resolve the inputs of layers {stuck}: the config's graph is disconnected")

        def ref(triple: Any) -> str:
            lname, ni, ti = triple[0], int(triple[1]), int(triple[2])
            ni -= self._offsets.get(lname, 0)
            outs = node_outputs.get((lname, ni))
            if outs is None or ti >= len(outs):
                raise self._error(f"model input/output refers to unknown tensor {list(triple[:3])}")
            return outs[ti]

        b.input_structure = self._structure(config.get("input_layers"), ref)
        b.output_structure = self._structure(config.get("output_layers"), ref)
        return b.build()

    def _collect_refs(self, data: Any, refs: dict[str, list[int]]) -> None:
        if self._is_triple(data):
            refs.setdefault(data[0], []).append(int(data[1]))
            if len(data) == 4:
                self._collect_refs(data[3], refs)
        elif isinstance(data, Mapping):
            if data.get("class_name") == "__keras_tensor__":
                h = data["config"]["keras_history"]
                refs.setdefault(h[0], []).append(int(h[1]))
            else:
                for v in data.values():
                    self._collect_refs(v, refs)
        elif isinstance(data, (list, tuple)):
            for v in data:
                self._collect_refs(v, refs)

    @staticmethod
    def _is_triple(x: Any) -> bool:
        return isinstance(x, (list, tuple)) and len(x) in (3, 4) and isinstance(x[0], str) and isinstance(x[1], int)

    def _structure(self, spec: Any, ref: Callable[[Any], str]) -> Any:
        if spec is None:
            raise self._error("model config has no input_layers/output_layers")
        if self._is_triple(spec):
            return ref(spec)
        if isinstance(spec, Mapping):
            return {k: self._structure(v, ref) for k, v in spec.items()}
        if isinstance(spec, (list, tuple)):
            items = [self._structure(v, ref) for v in spec]
            return items
        raise self._error(f"cannot read model inputs/outputs {spec!r}")

    def _parse_node(
        self,
        node: Any,
        name_map: Mapping[str, str],
        node_outputs: Mapping[tuple[str, int], list[str]],
        layer_type: str = "",
    ) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        """Return ``(args, kwargs)`` with ValueRefs, or None if an input is not ready yet."""
        missing = False

        def tensor(lname: str, ni: int, ti: int) -> ValueRef:
            nonlocal missing
            outs = node_outputs.get((lname, ni - self._offsets.get(lname, 0)))
            if outs is None:
                if lname not in name_map:
                    raise self._error(f"a node refers to unknown layer {lname!r}")
                missing = True
                return ValueRef("?")
            if not 0 <= ti < len(outs):
                raise self._error(f"a node refers to output {ti} of layer {lname!r}, which has {len(outs)}")
            return ValueRef(outs[ti])

        def convert_kwargs(value: Any) -> Any:
            if self._is_triple(value) and value[0] in name_map:
                return tensor(value[0], int(value[1]), int(value[2]))
            if isinstance(value, Mapping):
                if value.get("class_name") == "__keras_tensor__":
                    h = value["config"]["keras_history"]
                    return tensor(h[0], int(h[1]), int(h[2]))
                return {k: convert_kwargs(v) for k, v in value.items()}
            if isinstance(value, list):
                return [convert_kwargs(v) for v in value]
            return value

        if isinstance(node, Mapping) and "args" in node:  # Keras 3 node format
            args = tuple(convert_kwargs(a) for a in node.get("args", []))
            k3_kwargs = convert_kwargs(dict(node.get("kwargs", {})))
            return None if missing else (args, k3_kwargs)

        kwargs: dict[str, Any] = {}

        def first_arg(x: Any) -> Any:
            if isinstance(x, (list, tuple)) and len(x) == 4 and x[0] == "_CONSTANT_VALUE" and x[1] == -1:
                # tf.keras: a constant first argument of a TF op (``2.0 - t``), kwargs in x[3].
                if isinstance(x[3], Mapping):
                    kwargs.update(convert_kwargs(dict(x[3])))
                return x[2]
            if self._is_triple(x):
                if len(x) == 4 and isinstance(x[3], Mapping):
                    kwargs.update(convert_kwargs(dict(x[3])))
                return tensor(x[0], int(x[1]), int(x[2]))
            if isinstance(x, Mapping):
                return {k: first_arg(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [first_arg(v) for v in x]
            raise self._error(f"cannot read inbound node entry {x!r}")

        data = first_arg(node)
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if missing:
            return None
        if layer_type in _RNN_TYPES and isinstance(data, list) and len(data) > 1:
            # Keras 2 recorded rnn(x, initial_state=[h, c]) as one list input [x, h, c].
            data, kwargs["initial_state"] = data[0], data[1:]
        kwargs = {k: v for k, v in kwargs.items() if not (k == "mask" and v is None)}
        return (data,), kwargs


def graph_from_config(model_config: Mapping[str, Any], *, path: str = "", generation: str = "keras2") -> tuple[Graph, ConfigReader]:
    """Parse ``{"class_name": ..., "config": ...}`` into a graph (without weights)."""
    reader = ConfigReader(path=path, generation=generation)
    return reader.graph(model_config), reader


# --------------------------------------------------------------------------- weights


def split_weights(layer: Layer) -> tuple[list[tuple[str, WeightSpec]], list[tuple[str, WeightSpec]]]:
    """``(trainable, non_trainable)`` weights of a layer as ``(owner path, spec)``, as Keras 2
    orders them in files: a nested model lists every sublayer's trainable weights first
    (all of them non-trainable if the model is frozen)."""
    if layer.subgraph is not None:
        tr: list[tuple[str, WeightSpec]] = []
        nt: list[tuple[str, WeightSpec]] = []
        for sub in layer.subgraph.layers:
            a, c = split_weights(sub)
            tr += [(f"{layer.name}/{p}", s) for p, s in a]
            nt += [(f"{layer.name}/{p}", s) for p, s in c]
        return (tr, nt) if layer.trainable else ([], tr + nt)
    specs = weight_specs(layer.type, layer.config)
    tr = [(layer.name, s) for s in specs if s.trainable]
    nt = [(layer.name, s) for s in specs if not s.trainable]
    return (tr, nt) if layer.trainable else ([], tr + nt)


def expected_weights(layer: Layer) -> list[tuple[str, WeightSpec]]:
    """Every weight of a layer as ``(owner path, spec)``, in the order weight files hold
    them (:func:`split_weights`, trainable then the rest): how each reader's
    :class:`~keras_migrate.formats.weight_source.WeightSource` lists a layer's arrays."""
    tr, nt = split_weights(layer)
    return tr + nt


def _user_weight_names(stored: Sequence[Weight]) -> tuple[Weight, ...]:
    """A user layer's stored weights, in order, named as the file names them (``bspline/knots:0``
    -> ``knots``; the position where a name repeats): only order matters when they are written."""
    names = [w.name.rsplit("/", 1)[-1].split(":", 1)[0] or str(i) for i, w in enumerate(stored)]
    return tuple(replace(w, name=n if names.count(n) == 1 else f"{n}_{i}") for i, (n, w) in enumerate(zip(names, stored, strict=True)))


def attach_weights(
    graph: Graph,
    get: Callable[[str], Sequence[Weight] | None],
    *,
    path: str = "",
    original_name: Callable[[str], str] = lambda n: n,
) -> Graph:
    """Give every layer of ``graph`` its weights, named by Keras 3 role.

    ``get(original_layer_name)`` returns that layer's arrays in file order (``None`` if
    the file has no entry for it). A nested model's entry holds all of its sublayers'
    weights, ordered as Keras 2 saved them (trainable of every sublayer, then the rest).
    """
    new_layers = []
    for layer in graph.layers:
        if is_user_type(layer.type):  # the user's class: the stored arrays in order, checked when it is built
            stored = get(original_name(layer.name)) or []
            new_layers.append(layer.with_weights(_user_weight_names(stored)))
            continue
        expected = expected_weights(layer)
        if not expected:
            new_layers.append(layer)
            continue
        raw = get(original_name(layer.name))
        if raw is None:
            raise KerasMigrateError(
                "the weights file has no weights for this layer",
                path=path or None,
                layer=layer.origin.name or layer.name,
                hint="the weights do not fit the architecture",
            )
        if len(raw) != len(expected):
            raise KerasMigrateError(
                f"the architecture expects {len(expected)} weight arrays "
                f"({', '.join(s.name for _, s in expected)}), the weights file has {len(raw)}",
                path=path or None,
                layer=layer.origin.name or layer.name,
                hint="the weights do not fit the architecture",
            )
        assigned: dict[str, list[Weight]] = {}
        for (owner, spec), w in zip(expected, raw):
            assigned.setdefault(owner, []).append(replace(w, name=spec.name, trainable=spec.trainable))
        new_layers.append(_distribute(layer, assigned, layer.name))
    return replace(graph, layers=tuple(new_layers))


def _trainable(weight: Weight, trainable: bool) -> Weight:
    """``weight`` marked ``trainable`` (as it is, when it already is: ``attach_weights`` set it)."""
    return weight if weight.trainable == trainable else replace(weight, trainable=trainable)


def _distribute(layer: Layer, assigned: Mapping[str, list[Weight]], path: str) -> Layer:
    if layer.subgraph is None:
        specs = weight_specs(layer.type, layer.config)
        got = {w.name: w for w in assigned.get(path, [])}
        return replace(layer, weights=tuple(_trainable(got[s.name], s.trainable) for s in specs))
    sub = layer.subgraph
    return replace(
        layer,
        subgraph=replace(sub, layers=tuple(_distribute(s, assigned, f"{path}/{s.name}") for s in sub.layers)),
    )

