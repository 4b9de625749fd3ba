"""The one schema layer: a parsed model config is checked here, once, before any rule sees it.

Every reader parses its config (JSON, YAML, an HDF5 attribute, a zip member, SavedModel
metadata) and hands it to :func:`validate_model_config` (through
:func:`keras_migrate.formats.architecture.check_model_config`). Two passes:

1. :func:`plain_tree` copies the parsed value iteratively, so no recursion limit is ever
   reached: nesting deeper than :data:`~keras_migrate.formats.limits.MAX_CONFIG_DEPTH`, more
   values than :data:`~keras_migrate.formats.limits.MAX_CONFIG_NODES` (YAML alias bombs are
   counted expanded), cycles (recursive YAML aliases) and integers beyond 64 bits are
   refused; YAML-only types become JSON ones (tuples -> lists, dates -> ISO strings) or are
   refused (binary, sets). The copy is a tree of dict/list/str/int/float/bool/None.
   A config that ``json.loads`` just returned is such a tree already (fresh, unshared,
   string keys, JSON types only): :func:`check_json_tree` checks the same bounds on it in
   place, about three times faster, instead of copying it.
2. the model structure is checked by type: ``class_name`` a string, ``config`` an object,
   layer lists of objects with string names, unique within their model, inbound nodes and
   input/output references that are ``[name, node, tensor]`` lists naming layers of the
   same model, shapes of bounded non-negative integers or ``null``, and integers where
   the common size keys (``units``, ``filters``, ``kernel_size``, ``input_dim``...) expect
   them. The rules can then rely on these types instead of checking them one by one.

Every problem is a :class:`~keras_migrate.errors.KerasMigrateError` naming the file and,
when there is one, the layer.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from typing import Any

from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats.limits import MAX_CONFIG_DEPTH, MAX_CONFIG_NODES, MAX_DIMENSION, MAX_RANK
from keras_migrate.formats.rules import BASE_KEYS
from keras_migrate.formats.user_names import current_user_names
from keras_migrate.ir.keras3_api import signature

__all__ = ["check_json_tree", "plain_tree", "validate_model_config"]

_HINT = "the model config is damaged; re-save the model with the Keras version that wrote it"
_MAX_INT = 1 << 64
_MODELS = ("Sequential", "Functional", "Model")
#: Size-like config keys: an integer >= 1 (or a list of them), or null.
_POSITIVE = frozenset(
    {"kernel_size", "strides", "pool_size", "size", "stride", "pool_length", "filter_length",
     "subsample_length", "nb_row", "nb_col", "depth_multiplier", "kernel_dim1", "kernel_dim2", "kernel_dim3"}
)  # fmt: skip
#: Count-like config keys: an integer >= 0, or null.
_COUNTS = frozenset({"units", "filters", "nb_filter", "input_dim", "output_dim", "input_length", "nb_feature", "n",
                     "height", "width", "num_tokens", "num_bins", "projection_dim", "num_heads", "key_dim"})  # fmt: skip
#: Count-like keys that must be an integer >= 0 when present (null is not a value Keras reads).
_STRICT_COUNTS = frozenset({"num_oov_indices"})
#: Integer-valued keys that may also hold a mode name or nested lists (``padding``...).
_INT_LIKE = frozenset({"padding", "cropping", "dilation_rate", "output_padding", "atrous_rate", "subsample"})
#: Keys whose null no Keras version writes and every reader would fail on (strides,
#: dilations, a normalization's epsilon and momentum).
_NOT_NULL = frozenset({"subsample", "atrous_rate", "dilation_rate", "epsilon", "momentum"})
#: Axis keys: an integer, a list of integers, or null (Keras 1 ``Merge``'s ``concat_axis``
#: and ``dot_axes``, attention axes, Dot's ``axes``, normalization ``axis``).
_AXES = frozenset({"axis", "axes", "concat_axis", "dot_axes", "attention_axes"})
#: Shape keys read only for some classes (a Lambda's ``output_shape`` may be a function):
#: class -> keys holding a list of integers >= 0 or null.
_CLASS_SHAPES: dict[str, frozenset[str]] = {"Deconvolution2D": frozenset({"output_shape"})}
#: Keys holding a serialized initializer, regularizer or constraint.
_OBJECT_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
#: The names Keras 3 accepts for a regularizer or a constraint given as text (initializer
#: names are many and legacy ones are translated by the rules: not listed here).
_OBJECT_NAMES: dict[str, frozenset[str]] = {
    "regularizer": frozenset({"L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2", "orthogonal_regularizer"}),
    "constraint": frozenset({"MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm", "min_max_norm", "non_neg",
                             "unit_norm"}),
}  # fmt: skip
_ACTIVATION_KEYS = frozenset({"activation", "recurrent_activation", "inner_activation"})
#: The text arguments of initializers, regularizers and constraints, and the values each may take.
_OBJECT_TEXT: dict[str, frozenset[str]] = {
    "mode": frozenset({"fan_in", "fan_out", "fan_avg"}),
    "distribution": frozenset({"normal", "uniform", "truncated_normal", "untruncated_normal"}),
}
#: Scalar arguments of layers: a number or null, never text or an object.
_NUMBERS = frozenset({"max_value", "negative_slope", "threshold", "theta", "epsilon", "momentum", "stddev",
                      "alpha", "l1", "l2", "alpha_init", "beta_init"})  # fmt: skip
#: Keys naming a mode: text from a fixed set (``None`` in the set: null is allowed too).
_MODES: dict[str, frozenset[str | None]] = {
    "dim_ordering": frozenset({"th", "tf", "default"}),
    "data_format": frozenset({"channels_first", "channels_last", None}),
    "border_mode": frozenset({"valid", "same", "full", "causal"}),
}
#: Keys holding one nested serialized layer (wrappers, RNN cells): an object, or null.
_NESTED = frozenset({"layer", "cell", "forward_layer", "backward_layer"})
#: Probabilities (dropout rates): a number in [0, 1]; Keras 3 refuses others when it builds the layer.
_RATES = frozenset({"rate", "dropout", "recurrent_dropout", "p", "dropout_W", "dropout_U"})
#: dtype keys: null, a dtype or policy name (``float32``, ``mixed_float16``...) or a
#: serialized Keras 3 ``DTypePolicy`` object.
_DTYPES = frozenset({"dtype", "input_dtype"})
_DTYPE_NAME = re.compile(r"(mixed_)?(b?float|u?int|complex|qint|quint)(8|16|32|64|128)?|bool|string|str|half|double")
#: Shape keys: a list of integers >= 0 or null (a list of such lists for several inputs).
_SHAPES = frozenset({"batch_input_shape", "batch_shape", "input_shape", "target_shape"})

_K1_CONV2D = ("nb_filter", "nb_row", "nb_col")
_K2_CONV = ("filters", "kernel_size")
#: Keys a layer class cannot be built without, whatever Keras wrote it: each class lists
#: alternatives (Keras 1 names, Keras 2+ names), one of which must be present in full.
#: Every key a rule reads unconditionally is here, so no rule meets a missing key.
_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    **dict.fromkeys(("Dense", "TimeDistributedDense"), (("units",), ("output_dim",))),
    **dict.fromkeys(("SimpleRNN", "GRU", "LSTM", "CuDNNGRU", "CuDNNLSTM"), (("units",), ("output_dim",))),
    **dict.fromkeys(("Convolution1D", "AtrousConvolution1D"), (("nb_filter", "filter_length"),)),
    "LocallyConnected1D": (("nb_filter", "filter_length"), _K2_CONV),
    **dict.fromkeys(("Convolution2D", "AtrousConvolution2D", "Deconvolution2D", "SeparableConvolution2D"), (_K1_CONV2D,)),
    **dict.fromkeys(("LocallyConnected2D", "ConvLSTM2D"), (_K1_CONV2D, _K2_CONV)),
    "Convolution3D": (("nb_filter", "kernel_dim1", "kernel_dim2", "kernel_dim3"),),
    **dict.fromkeys(
        ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D",
         "SeparableConv2D", "ConvLSTM1D", "ConvLSTM3D"),
        (_K2_CONV,),
    ),
    **dict.fromkeys(("DepthwiseConv1D", "DepthwiseConv2D"), (("kernel_size",),)),
    "Embedding": (("input_dim", "output_dim"),),
    "MaxoutDense": (("output_dim",),),
    **dict.fromkeys(("TimeDistributed", "Bidirectional"), (("layer",),)),
    "RNN": (("cell",),),
    # tf.keras preprocessing and application layers
    **dict.fromkeys(("Resizing", "CenterCrop", "RandomCrop"), (("height", "width"),)),
    "CategoryEncoding": (("num_tokens",),),
    "Hashing": (("num_bins",),),
    "LayerScale": (("init_values", "projection_dim"),),
    "TFOpLambda": (("function",),),
}  # fmt: skip


def _fail(path: str, what: str, layer: str | None = None) -> KerasMigrateError:
    return KerasMigrateError(what, path=path, layer=layer, hint=_HINT)


def _key(key: Any, path: str) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return "null" if key is None else ("true" if key is True else "false" if key is False else repr(key))
    raise _fail(path, f"the config has a key of type {type(key).__name__}, not a string")


def _scalar(value: Any, path: str) -> Any:
    if value is None or isinstance(value, (str, bool, float)):
        return value
    if isinstance(value, int):
        if not -_MAX_INT < value < _MAX_INT:
            raise _fail(path, f"the config holds an integer of {len(str(abs(value)))} digits")
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise _fail(path, f"the config holds a value of type {type(value).__name__}, which JSON cannot hold")


def plain_tree(value: Any, path: str) -> Any:
    """An iterative, bounded copy of a parsed config as plain JSON types (see the module docstring)."""
    nodes = 0
    on_path: set[int] = set()
    root: list[Any] = [None]
    # (source, container to set into, key, leaving?) — a leaving marker pops a container off the path
    stack: list[tuple[Any, Any, Any, bool]] = [(value, root, 0, False)]
    while stack:
        src, parent, key, leaving = stack.pop()
        if leaving:
            on_path.discard(id(src))
            continue
        nodes += 1
        if nodes > MAX_CONFIG_NODES:
            raise _fail(path, f"the config has more than {MAX_CONFIG_NODES:,} values (an alias bomb?)")
        if isinstance(src, (Mapping, list, tuple)):
            if id(src) in on_path:
                raise _fail(path, "the config refers to itself (a recursive YAML alias)")
            if len(on_path) >= MAX_CONFIG_DEPTH:
                raise _fail(path, f"the config is nested deeper than {MAX_CONFIG_DEPTH} levels")
            on_path.add(id(src))
            stack.append((src, None, None, True))
            if isinstance(src, Mapping):
                out: Any = {}
                items: list[tuple[Any, Any]] = [(_key(k, path), v) for k, v in src.items()]
            else:
                out = [None] * len(src)
                items = [(i, v) for i, v in enumerate(src)]
            parent[key] = out
            stack.extend((v, out, k, False) for k, v in reversed(items))
        else:
            parent[key] = _scalar(src, path)
    return root[0]


def check_json_tree(value: Any, path: str) -> Any:
    """``value``, a tree ``json.loads`` returned, checked in place for what :func:`plain_tree`
    refuses of such a tree: nesting deeper than ``MAX_CONFIG_DEPTH``, more than
    ``MAX_CONFIG_NODES`` values, integers beyond 64 bits (a JSON tree has no cycles, no
    non-string keys and no other types, so nothing needs copying or converting)."""
    nodes = 1
    stack: list[tuple[Any, int]] = [(value, 0)] if type(value) in (dict, list) else []
    if type(value) is int:
        _scalar(value, path)
    while stack:
        node, depth = stack.pop()
        if depth >= MAX_CONFIG_DEPTH:
            raise _fail(path, f"the config is nested deeper than {MAX_CONFIG_DEPTH} levels")
        children = node.values() if type(node) is dict else node
        nodes += len(children)
        if nodes > MAX_CONFIG_NODES:
            raise _fail(path, f"the config has more than {MAX_CONFIG_NODES:,} values (an alias bomb?)")
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is int and not -_MAX_INT < child < _MAX_INT:
                _scalar(child, path)
    return value


# --------------------------------------------------------------------------- structure


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _describe(v: Any) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _merge_branch_names(item: Mapping[str, Any]) -> list[str]:
    """The names of the layers a Keras 1 ``Merge`` of ``Sequential`` branches brings into
    its model (the reader inlines the branches), at any depth; iterative."""
    out: list[str] = []
    stack = [item]
    while stack:
        cur = stack.pop()
        cfg = cur.get("config")
        if cur.get("class_name") != "Merge" or not isinstance(cfg, Mapping) or not isinstance(cfg.get("layers"), list):
            continue
        for branch in cfg["layers"]:
            if not (isinstance(branch, Mapping) and isinstance(branch.get("config"), list)):
                continue
            for entry in branch["config"]:
                if not isinstance(entry, Mapping):
                    continue
                inner = entry.get("config")
                name = entry.get("name") or (inner.get("name") if isinstance(inner, Mapping) else None)
                if isinstance(name, str):
                    out.append(name)
                stack.append(entry)
    return out


class _Checker:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, what: str, layer: str | None = None) -> KerasMigrateError:
        return _fail(self.path, what, layer)

    def model(self, cfg: Mapping[str, Any], layer: str | None = None) -> None:
        cls = cfg.get("class_name")
        if not isinstance(cls, str):
            raise self.fail(f"'class_name' is {_describe(cls)}, not a string", layer)
        inner = cfg.get("config")
        if isinstance(inner, list) and cls == "Sequential":
            self.layers(inner, graph=False, owner=layer)
            return
        if not isinstance(inner, Mapping):
            raise self.fail(f"the {cls} config is {_describe(inner)}, not an object", layer)
        layers = inner.get("layers")
        if layers is None:
            if cls in _MODELS and cls != "Sequential":
                raise self.fail(f"the {cls} config has no layer list", layer)
            return
        if not isinstance(layers, list):
            raise self.fail(f"the model's 'layers' is {_describe(layers)}, not a list", layer)
        graph = cls != "Sequential"
        names = self.layers(layers, graph=graph, owner=layer)
        if graph:
            for key in ("input_layers", "output_layers"):
                if key in inner:
                    self.refs(inner[key], key, names, layer)

    def layers(self, items: list[Any], *, graph: bool, owner: str | None) -> set[str]:
        names: set[str] = set()
        entries = []
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise self.fail(f"item {i} of the layer list is {_describe(item)}, not an object", owner)
            cfg = item.get("config")
            name = item.get("name")
            if "class_name" not in item and "config" not in item:  # pre-1.0: {"name": <class>, "custom_name": ...}
                name = item.get("custom_name")
            elif name is None and isinstance(cfg, Mapping):
                name = cfg.get("name")
            if name is not None and not isinstance(name, str):
                raise self.fail(f"item {i} of the layer list has the name {_describe(name)}, not a string", owner)
            label = name or f"#{i}"
            if name is not None:
                if name in names:
                    raise self.fail(f"two layers are named {name!r}; layer names must be unique in a model", owner)
                names.add(name)
            entries.append((label, item))
        for _, item in entries:
            for inlined in _merge_branch_names(item):  # Keras 1: a leading Merge's branches join this model
                if inlined in names:
                    raise self.fail(f"two layers are named {inlined!r}; layer names must be unique in a model", owner)
                names.add(inlined)
        for label, item in entries:
            self.layer(item, label, names if graph else None)
        return names

    def layer(self, item: Mapping[str, Any], label: str, names: set[str] | None) -> None:
        if "class_name" not in item and "config" not in item and isinstance(item.get("name"), str):
            self.values(item, label)  # a pre-1.0 Keras entry: the class in "name", the config inline
            return
        cls = item.get("class_name")
        if not isinstance(cls, str):
            raise self.fail(f"'class_name' is {_describe(cls)}, not a string", label)
        cfg = item.get("config")
        if cls in _MODELS or (isinstance(cfg, Mapping) and "layers" in cfg):
            self.model(item, label)
        elif not isinstance(cfg, Mapping):
            raise self.fail(f"the {cls} config is {_describe(cfg)}, not an object", label)
        elif cls in current_user_names().layers or not _translated(cls):
            # the user's own class, or one no rule knows, reads its own config (a
            # PowerMean's 'p' is no dropout rate): only the keys every layer config shares
            # are typed here (an unknown class is then refused by name, not as "damaged")
            self.values({k: v for k, v in cfg.items() if k in BASE_KEYS}, label, cls)
        else:
            self.required(cls, cfg, label)
            self.values(cfg, label, cls)
        if "inbound_nodes" in item:
            nodes = item["inbound_nodes"]
            if not isinstance(nodes, list):
                raise self.fail(f"'inbound_nodes' is {_describe(nodes)}, not a list", label)
            for node in nodes:
                self.node(node, label, names)

    def node(self, node: Any, label: str, names: set[str] | None) -> None:
        if isinstance(node, list) and node and isinstance(node[0], str):
            self.ref(node, "an inbound node", names, label, kwargs=True)  # tf_keras TF-op nodes: one reference
            return
        if isinstance(node, list):
            for ref in node:
                self.ref(ref, "an inbound node", names, label, kwargs=True)
            return
        if not isinstance(node, Mapping):
            raise self.fail(f"an inbound node is {_describe(node)}, not a list or an object", label)
        args, kwargs = node.get("args", []), node.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, Mapping):
            raise self.fail("an inbound node's 'args' is not a list or its 'kwargs' not an object", label)
        stack: list[Any] = [args, kwargs]
        while stack:  # Keras 3 node arguments: find every tensor reference
            cur = stack.pop()
            if isinstance(cur, list):
                stack.extend(cur)
            elif isinstance(cur, Mapping):
                if cur.get("class_name") == "__keras_tensor__" and isinstance(cur.get("config"), Mapping):
                    self.ref(cur["config"].get("keras_history"), "a tensor's keras_history", names, label)
                else:
                    stack.extend(cur.values())

    def ref(self, ref: Any, what: str, names: set[str] | None, label: str | None, *, kwargs: bool = False) -> None:
        """``[layer name, node index, tensor index(, kwargs)]``."""
        if kwargs and isinstance(ref, list) and len(ref) in (3, 4) and ref[0] == "_CONSTANT_VALUE":
            return  # tf_keras TF-op nodes: ["_CONSTANT_VALUE", -1, <a constant operand>, kwargs]
        ok = (
            isinstance(ref, list)
            and len(ref) in ((3, 4) if kwargs else (3,))
            and isinstance(ref[0], str)
            and all(_is_int(v) and 0 <= v <= MAX_DIMENSION for v in ref[1:3])
            and (len(ref) == 3 or isinstance(ref[3], Mapping))
        )
        if not ok:
            raise self.fail(f"{what} is {_describe(ref)}, not [layer name, node index, tensor index]", label)
        if names is not None and ref[0] not in names:
            raise self.fail(f"{what} refers to layer {ref[0]!r}, which is not in the model", label)

    def refs(self, value: Any, key: str, names: set[str], label: str | None) -> None:
        if isinstance(value, list) and value and isinstance(value[0], str):
            self.ref(value, f"'{key}'", names, label)
            return
        if isinstance(value, Mapping):  # dict inputs/outputs: name -> reference
            value = list(value.values())
        if not isinstance(value, list):
            raise self.fail(f"'{key}' is {_describe(value)}, not a list", label)
        for ref in value:
            self.ref(ref, f"an item of '{key}'", names, label)

    def values(self, cfg: Mapping[str, Any], label: str, cls: str = "") -> None:
        """The size and shape keys of a layer config (of class ``cls``) and of the layers and
        objects it nests."""
        stack: list[Any] = [cfg]
        while stack:
            cur = stack.pop()
            if isinstance(cur, list):
                stack.extend(cur)
                continue
            if not isinstance(cur, Mapping):
                continue
            if cur is not cfg and "class_name" in cur:
                self.nested(cur, label)
            for key, v in cur.items():
                if key == "node_def" and cfg.get("node_def") is v:
                    continue  # a TensorFlowOpLayer's TF NodeDef: protobuf attributes, read by its rule
                if key in _COUNTS or key in _POSITIVE or key in _STRICT_COUNTS:
                    self.size(key, v, label)
                elif key in _SHAPES:
                    self.shape(key, v, label)
                elif key in _INT_LIKE:
                    if v is None and key in _NOT_NULL:
                        raise self.fail(f"'{key}' is null", label)
                    self.int_like(key, v, label)
                elif key in _AXES and not (
                    v is None or _is_int(v) or (isinstance(v, list) and all(_is_int(a) for a in v))
                ):
                    raise self.fail(f"'{key}' is {_describe(v)}, not an axis or a list of axes", label)
                elif cur is cfg and key in _CLASS_SHAPES.get(cls, ()):
                    self.shape(key, v, label)
                elif key.endswith(_OBJECT_SUFFIXES):
                    self.obj(key, v, label)
                elif key in _NESTED and not (v is None or (isinstance(v, Mapping) and "class_name" in v)):
                    raise self.fail(f"'{key}' is {_describe(v)}, not a serialized layer", label)
                elif key in _MODES and not ((v is None or isinstance(v, str)) and v in _MODES[key]):
                    allowed = ", ".join(sorted(m for m in _MODES[key] if m is not None))
                    raise self.fail(f"'{key}' is {_describe(v)}, not one of {allowed}", label)
                elif key in _DTYPES:
                    self.dtype(key, v, label)
                elif key in _RATES and v is not None and not (
                    isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1
                ):
                    raise self.fail(f"'{key}' is {_describe(v)}, not a rate between 0 and 1", label)
                elif key in _NUMBERS and not (
                    (v is None and key not in _NOT_NULL) or (isinstance(v, (int, float)) and not isinstance(v, bool))
                ):
                    raise self.fail(f"'{key}' is {_describe(v)}, not a number", label)
                elif isinstance(v, float) and math.isnan(v):
                    raise self.fail(f"'{key}' is NaN", label)
                elif key in _ACTIVATION_KEYS and not (v is None or isinstance(v, (str, Mapping))):
                    raise self.fail(f"'{key}' is {_describe(v)}, not a name or an object", label)
                elif isinstance(v, (list, Mapping)):
                    stack.append(v)

    def required(self, cls: str, cfg: Mapping[str, Any], label: str) -> None:
        """The keys :data:`_REQUIRED` lists for ``cls``: one alternative present in full."""
        alternatives = _REQUIRED.get(cls)
        if alternatives is None or any(all(cfg.get(k) is not None for k in alt) for alt in alternatives):
            return
        if any(all(k in cfg for k in alt) for alt in alternatives):
            nulls = [k for alt in alternatives for k in alt if k in cfg and cfg[k] is None]
            raise self.fail(f"the {cls} config has {' and '.join(repr(k) for k in nulls)} null", label)
        best = min(alternatives, key=lambda alt: sum(k not in cfg for k in alt))
        missing = [k for k in best if k not in cfg]
        raise self.fail(f"the {cls} config has no {' or '.join(repr(k) for k in missing)}", label)

    def nested(self, obj: Mapping[str, Any], label: str) -> None:
        """A serialized object inside a layer config (a wrapped layer, a cell, an
        initializer...): ``class_name`` a string and ``config`` an object (or null; a list for
        a Sequential model); a layer class it names has its required keys."""
        cls, cfg = obj.get("class_name"), obj.get("config")
        if not isinstance(cls, str):
            raise self.fail(f"a nested 'class_name' is {_describe(cls)}, not a string", label)
        if isinstance(cfg, list) and cls == "Sequential":
            return
        if isinstance(cfg, str) and (cls == "function" or cls.startswith("__")):
            return  # Keras 3: {"class_name": "function", "config": "relu", "module": ...}
        if cfg is not None and not isinstance(cfg, Mapping):
            raise self.fail(f"the nested {cls} config is {_describe(cfg)}, not an object", label)
        if isinstance(cfg, Mapping) and "layers" not in cfg:
            self.required(cls, cfg, label)

    def dtype(self, key: str, v: Any, label: str) -> None:
        if v is None or (isinstance(v, str) and _DTYPE_NAME.fullmatch(v)):
            return
        if isinstance(v, Mapping) and isinstance(v.get("class_name"), str):
            self.values(v, label)
            return
        raise self.fail(f"'{key}' is {_describe(v)}, not a dtype name", label)

    def int_like(self, key: str, v: Any, label: str) -> None:
        """Integers (in nested lists or Keras 1 ``*_pad`` objects), or for ``padding`` alone a
        mode name (``"same"``): never a float, never a string inside a list."""
        if isinstance(v, str) and key == "padding":
            return
        stack = [v]
        while stack:
            cur = stack.pop()
            if isinstance(cur, list):
                stack.extend(cur)
            elif isinstance(cur, Mapping) and all(isinstance(k, str) and k.endswith("_pad") for k in cur):
                stack.extend(cur.values())  # Keras 1: {"left_pad": 1, "right_pad": 2}
            elif isinstance(cur, (Mapping, float, str)) or (_is_int(cur) and not -MAX_DIMENSION <= cur <= MAX_DIMENSION):
                raise self.fail(f"'{key}' is {_describe(v)}, not integers", label)

    def obj(self, key: str, v: Any, label: str) -> None:
        """An initializer, regularizer or constraint: null, a name, ``{class_name, config}`` or
        Keras 1's ``{name, ...}``."""
        if isinstance(v, str):
            known = _OBJECT_NAMES.get(key.rsplit("_", 1)[-1])
            if known is not None and v not in known and v not in current_user_names().functions:
                # Keras 3 looks names up when it builds the layer
                raise KerasMigrateError(
                    f"'{key}' is {_describe(v)}, not one of {', '.join(sorted(known))}",
                    path=self.path, layer=label,
                    hint="if it is your own, pass the file defining it with --custom-objects FILE.py; "
                    "otherwise the model config is damaged",
                )
            return
        if v is None:
            return
        if isinstance(v, Mapping) and "class_name" not in v and isinstance(v.get("name"), str):
            self.arguments(key, v, label)
            return  # Keras 1: {"name": "WeightRegularizer", "l1": ...}
        ok = isinstance(v, Mapping) and isinstance(v.get("class_name"), str) and (
            v.get("config") is None or isinstance(v.get("config"), Mapping)
        )
        if not ok:
            raise self.fail(f"'{key}' is {_describe(v)}, not a name or a {{class_name, config}} object", label)
        if "name" in (v.get("config") or {}):  # only Keras 1's form names its class in the object
            raise self.fail(f"'{key}' ({v['class_name']}) has an argument 'name', which it does not take", label)
        self.arguments(key, v.get("config") or {}, label)
        if key.endswith("_initializer"):
            self.initializer_names(key, v["class_name"], v.get("config") or {}, label)
        scale = (v.get("config") or {}).get("scale", 1.0)
        if v["class_name"] == "VarianceScaling" and not (isinstance(scale, (int, float)) and scale > 0):
            raise self.fail(f"'{key}' is VarianceScaling with scale {_describe(scale)}, not a positive number", label)
        self.values(v.get("config") or {}, label)

    def initializer_names(self, key: str, class_name: str, cfg: Mapping[str, Any], label: str) -> None:
        """A Keras 3 initializer class takes only the arguments of its constructor (plus the
        ``dtype`` tf.keras 1.x records, which the rules drop): Keras 3 builds it before any
        weight is loaded, so ``VarianceScaling(scald=...)`` would convert and then not load."""
        sig = signature(f"initializers.{class_name}")
        if sig is None:
            return
        known = {*sig.required, *sig.defaults, *_DTYPES}
        stray = sorted(k for k in cfg if k not in known)
        if stray:
            raise self.fail(f"'{key}' ({class_name}) has an argument {stray[0]!r}, which it does not take", label)

    def arguments(self, key: str, cfg: Mapping[str, Any], label: str) -> None:
        """An initializer's, regularizer's or constraint's arguments are finite numbers (or
        lists of them), booleans or null, and text only where a mode is named: Keras 3
        evaluates them when it builds the layer, before any weight is loaded."""
        for name, x in cfg.items():
            if name == "name" and isinstance(x, str):
                continue  # Keras 1 names its class here
            if name in _DTYPES:  # tf.keras 1.x initializers record a dtype
                self.dtype(name, x, label)
                continue
            if name in _OBJECT_TEXT:
                if not (isinstance(x, str) and x in _OBJECT_TEXT[name]):  # null too: Keras 3 calls .lower() on it
                    raise self.fail(f"'{key}' argument '{name}' is {_describe(x)}, not one of "
                                    f"{', '.join(sorted(v for v in _OBJECT_TEXT[name] if v))}", label)  # fmt: skip
                continue
            items = x if isinstance(x, list) else [x]
            for item in items:
                if isinstance(item, float) and not math.isfinite(item):
                    raise self.fail(f"'{key}' argument '{name}' is {item}, not a finite number", label)
                if not (item is None or isinstance(item, (bool, int, float))):
                    raise self.fail(f"'{key}' argument '{name}' is {_describe(x)}, not a number", label)

    def size(self, key: str, v: Any, label: str) -> None:
        low = 1 if key in _POSITIVE else 0
        items = v if isinstance(v, list) and key in _POSITIVE else [v]
        for x in items:
            if x is None and key not in _STRICT_COUNTS and items is not v:
                continue  # null for the whole value; never inside a list (``size: [null, 2]``)
            if not _is_int(x):
                raise self.fail(f"'{key}' is {_describe(v)}, not an integer", label)
            if not low <= x <= MAX_DIMENSION:
                raise self.fail(f"'{key}' is {x}, outside {low}..{MAX_DIMENSION}", label)
        if isinstance(v, list) and len(v) > MAX_RANK:
            raise self.fail(f"'{key}' has {len(v)} items", label)

    def shape(self, key: str, v: Any, label: str) -> None:
        if v is None:
            return
        low = -1 if key == "target_shape" else 0
        shapes = v if isinstance(v, list) and v and all(isinstance(s, list) for s in v) else [v]
        for s in shapes:
            ok = isinstance(s, list) and len(s) <= MAX_RANK and all(
                d is None or (_is_int(d) and low <= d <= MAX_DIMENSION) for d in s
            )
            if not ok:
                raise self.fail(
                    f"'{key}' is {_describe(v)}, not a shape (a list of at most {MAX_RANK} integers "
                    f"{low}..{MAX_DIMENSION} or null)",
                    label,
                )


def _translated(class_name: str) -> bool:
    """A class some layer rule translates (any rule set, plugins included), or a Keras 3
    op class: its config keys mean what the tables here say."""
    import keras_migrate.formats.ruleset  # noqa: F401  (every rule module, registered)
    from keras_migrate.formats.rules import KERAS1, KERAS2, rule_for
    from keras_migrate.ir.ops.keras3 import OPS

    return (
        class_name == "InputLayer"  # read by the topologies themselves
        or rule_for(class_name, KERAS2) is not None
        or rule_for(class_name, KERAS1) is not None
        or class_name in OPS
    )


def validate_model_config(cfg: Any, path: str, *, json_tree: bool = False) -> dict[str, Any]:
    """``cfg`` as a plain, bounded tree whose model structure has the expected types.
    ``json_tree``: ``cfg`` is what ``json.loads`` returned, checked in place
    (:func:`check_json_tree`) instead of copied."""
    tree = check_json_tree(cfg, path) if json_tree else plain_tree(cfg, path)
    if not isinstance(tree, dict) or "class_name" not in tree or "config" not in tree:
        raise KerasMigrateError("not a Keras model config (expected an object with 'class_name' and 'config')", path=path)
    for key in ("keras_version", "backend"):
        if tree.get(key) is not None and not isinstance(tree[key], str):
            raise KerasMigrateError(f"'{key}' is {_describe(tree[key])}, not a string", path=path, hint=_HINT)
    _Checker(path).model(tree)
    return tree
