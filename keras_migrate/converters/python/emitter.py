"""The text of a generated module: one :class:`ModuleEmitter` per model.

Plain stacks that the source defined as Sequential are written as
``keras.Sequential([...])``, every other graph in the functional style, one statement per
layer call; nested models become module-level ``build_<name>()`` functions. Layer names
are kept, arguments equal to Keras 3's defaults are left out, and one-line comments say
where the model came from and what was translated. Compat objects the model needs are
copied into the file (:mod:`.compat_source`); Keras 3's defaults come from
:mod:`keras_migrate.ir.keras3_api`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import Any

from keras_migrate.converters.keras3_config import graph_is_chain
from keras_migrate.converters.keras3_training import plan_training
from keras_migrate.converters.python.compat_source import (
    CompatSource,
    compat_source,
    init_signature,
)
from keras_migrate.converters.python.format import (
    Atom,
    Brackets,
    Call,
    Expr,
    Item,
    format_statement,
    py_str,
)
from keras_migrate.converters.python.imports import ImportLine, render_imports
from keras_migrate.converters.python.literals import (
    call,
    call_args,
    literal,
    literal_refs,
    same_value,
)
from keras_migrate.converters.python.names import Namer
from keras_migrate.converters.python.ops import op_expression
from keras_migrate.converters.python.placeholders import placeholder_call, placeholders
from keras_migrate.converters.python.tf_ops import HELPERS, SEMANTICS_MODULE, tf_op_source
from keras_migrate.converters.python.user_source import user_source_blocks
from keras_migrate.converters.report import compat_layers_used
from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import COMPAT_PREFIX, Graph, Layer, Model
from keras_migrate.ir.keras3_api import KERAS_VERSION, initializer_alias, signature
from keras_migrate.ir.ops.keras3 import is_op_type
from keras_migrate.ir.ops.tf import TFOP_TYPE
from keras_migrate.ir.unknown import is_unknown, unknown_class
from keras_migrate.ir.user_code import is_user_type, user_class_name

__all__ = ["ModuleEmitter", "python_source"]

_ACTIVATION_KEYS = ("activation", "recurrent_activation")
_NESTED_LAYER_KEYS = ("layer", "backward_layer", "cell")
_OBJECT_MODULES = {"_initializer": "initializers", "_regularizer": "regularizers", "_constraint": "constraints"}
#: Config keys holding shapes or per-axis numbers, written as tuples as people write them.
_TUPLE_KEYS = frozenset(
    {
        "kernel_size", "strides", "dilation_rate", "pool_size", "size", "padding", "cropping",
        "target_shape", "dims", "output_padding", "axes", "noise_shape", "shared_axes",
    }
)
#: Module-level names of every generated file.
_MODULE_NAMES = ("build_model", "load_model", "WEIGHTS_FILE", "COMPILE_CONFIG", "keras", "layers", "os")
_RNN_STATE_SUFFIXES = {3: ("", "_state_h", "_state_c"), 2: ("", "_state")}


class ModuleEmitter:
    """Builds the module text for one model."""

    def __init__(self, model: Model, weights_file: str) -> None:
        self.model = model
        self.weights_file = weights_file
        # TF-op layers are written inline as the keras.ops expression they compute
        # (:mod:`.tf_ops`), so the TFOp compat class is never copied
        compat = [c for c in compat_layers_used(model) if c != TFOP_TYPE]
        self.training = plan_training(model)
        optimizer = model.training.optimizer.type if model.training is not None else ""
        if self.training.compile_config is not None and optimizer.startswith(COMPAT_PREFIX):
            compat = sorted({*compat, optimizer})
        self.compat_types = compat
        #: The TF-op helpers the rendered calls name (copied once the body is written).
        self.tf_helpers: set[str] = set()
        #: The dtype of each TF-op result (the graph records none for them).
        self.tf_dtypes: dict[str, str] = {}
        # Every helper a TF op may name is laid out now, so the names the file defines
        # are known before any variable is named; module() copies only those used.
        self.compat: CompatSource = compat_source(compat, functions=self._tf_helper_defs(set(HELPERS.values())))
        self.module_names = set(_MODULE_NAMES) | set(self.compat.names)
        self.helpers: list[list[str]] = []
        self.helper_names: dict[int, str] = {}
        #: The function reserving layer names from Keras's automatic op names, once written.
        self.reserver: str | None = None
        self.namer = Namer(self.module_names)
        self.op_imports: set[ImportLine] = set()
        #: Stub classes for unknown layers (``--placeholders``), named before any variable.
        self.stubs = placeholders(model.graph, self.namer)

    # -- compat -----------------------------------------------------------------------
    def _tf_helper_defs(self, helpers: set[str]) -> list[tuple[str, str]]:
        """Copy the hand-written TF-op helpers only if the model has TF-op layers."""
        if not any(layer.type == TFOP_TYPE for _, layer in self.model.graph.walk_layers()):
            return []
        return [(SEMANTICS_MODULE, h) for h in sorted(helpers)]

    def _helper_name(self, helper: str) -> str:
        self.tf_helpers.add(helper)
        return self.compat.local_names.get((SEMANTICS_MODULE, helper), helper)

    def _user_functions(self) -> dict[str, str]:
        """Config names of the user's functions -> their names in the inlined source."""
        return {o.name: o.attribute for o in self.model.user_code if o.kind != "layer"}

    # -- layer constructors -----------------------------------------------------------
    def _value(self, key: str, value: Any) -> Expr:
        if key in _ACTIVATION_KEYS and isinstance(value, str) and value.startswith(COMPAT_PREFIX):
            return Atom(value[len(COMPAT_PREFIX) :])
        if (key in _ACTIVATION_KEYS or key.endswith(tuple(_OBJECT_MODULES))) and isinstance(value, str) and value in self._user_functions():
            return Atom(self._user_functions()[value])  # the user's function, defined above
        if key in _NESTED_LAYER_KEYS and isinstance(value, Mapping) and "class_name" in value:
            return self._nested_layer(value)
        if key == "cells" and isinstance(value, list):
            return Brackets("[", "]", tuple(Item(self._nested_layer(v)) for v in value))
        for suffix, module in _OBJECT_MODULES.items():
            if key.endswith(suffix) and isinstance(value, Mapping) and "class_name" in value:
                return self._object(module, value)
        return literal(value, as_tuple=key in _TUPLE_KEYS)

    def _object(self, module: str, value: Mapping[str, Any]) -> Expr:
        class_name = str(value["class_name"])
        config = dict(value.get("config") or {})
        if module == "initializers":
            alias = initializer_alias(class_name, config)
            if alias is not None:
                return Atom(py_str(alias))
        if not re.fullmatch(r"[A-Za-z_]\w*", class_name):
            return literal({"class_name": class_name, "config": config})
        sig = signature(f"{module}.{class_name}")
        user = self._user_functions().get(class_name)  # the user's class, defined above
        args = []
        for k, v in config.items():
            if k == "seed" and v is None:
                continue
            if sig is not None and k in sig.defaults and same_value(v, sig.defaults[k]):
                continue
            args.append(Item(literal(v), f"{k}="))
        return call(user if user is not None else f"keras.{module}.{class_name}", args)

    def _is_default(self, key: str, value: Any, defaults: Mapping[str, Any]) -> bool:
        if key not in defaults:
            return False
        default = defaults[key]
        if key in _ACTIVATION_KEYS and value == "linear" and default in (None, "linear"):
            return True
        if key.endswith("_initializer") and isinstance(value, Mapping) and "class_name" in value:
            return initializer_alias(str(value["class_name"]), dict(value.get("config") or {})) == default
        if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, (list, tuple)):
            # ``strides=1`` means 1 along every axis.
            return bool(value) and all(same_value(v, default) for v in value)
        return same_value(value, default)

    def layer_expr(self, layer_type: str, config: Mapping[str, Any], *, name: str | None,
                   trainable: bool = True, dtype: str = "float32") -> Call:
        if is_unknown(layer_type):
            return placeholder_call(self.stubs[unknown_class(config)], config, name or "", trainable)
        if layer_type.startswith(COMPAT_PREFIX):
            func = layer_type[len(COMPAT_PREFIX) :]
            required, defaults = init_signature(layer_type)
        elif is_user_type(layer_type):  # the user's class, defined above: its config as keywords
            func, required, defaults = user_class_name(layer_type), (), {}
        else:
            func = f"layers.{layer_type}"
            sig = signature(layer_type)
            if sig is None:
                raise UnsupportedError(f"{layer_type} is not a Keras {KERAS_VERSION} layer", layer=name or "")
            required, defaults = sig.required, sig.defaults
        cfg = {k: v for k, v in config.items() if k not in ("name", "trainable", "dtype")}
        args: list[Item] = []
        for i, key in enumerate(required):
            if key not in cfg:
                break
            if i != len(args):
                break
            args.append(Item(self._value(key, cfg.pop(key))))
        for key, value in cfg.items():
            if not self._is_default(key, value, defaults):
                args.append(Item(self._value(key, value), f"{key}="))
        if name is not None:
            args.append(Item(Atom(py_str(name)), "name="))
        if not trainable or config.get("trainable") is False:
            args.append(Item(Atom("False"), "trainable="))
        if dtype != "float32":
            args.append(Item(Atom(py_str(dtype)), "dtype="))
        return call(func, args)

    def _nested_layer(self, obj: Mapping[str, Any]) -> Call:
        cfg = dict(obj.get("config") or {})
        return self.layer_expr(str(obj["class_name"]), cfg, name=cfg.get("name"))

    def _layer_call(self, layer: Layer) -> Expr:
        if layer.subgraph is not None:
            return call(self._helper(layer), [])
        return self.layer_expr(layer.type, layer.config, name=layer.name, trainable=layer.trainable, dtype=layer.dtype)

    # -- comments ---------------------------------------------------------------------
    def _source_keras(self) -> str:
        p = self.model.provenance
        name = "tf.keras" if p.generation == "tf.keras" else "Keras"
        return f"{name} {p.keras_version}" if p.keras_version else name

    def _layer_comment(self, layer: Layer) -> str:
        """One line on what happened to ``layer``, or empty if it was carried over as is."""
        origin = layer.origin
        parts = []
        short = layer.type[len(COMPAT_PREFIX) :] if layer.is_compat else layer.type
        if origin.class_name == "(inserted)":
            parts.append("inserted by keras-migrate: layout transpose at the model's boundary")
        elif is_unknown(layer.type):
            parts.append(f"placeholder for the custom class {origin.class_name}: TODO write its call() above")
        elif layer.is_compat:
            parts.append(f"{short} (defined above) reproduces {self._source_keras()}'s {origin.class_name or short}")
        elif is_user_type(layer.type):
            parts.append("the user's class (--custom-objects, defined above)")
        elif origin.class_name and origin.class_name != short and layer.subgraph is None:
            parts.append(f"was {origin.class_name} in {self._source_keras()}")
        if origin.name and origin.name != layer.name:
            parts.append(f"originally named {py_str(origin.name)}")
        recovered = origin.config.get("keras_migrate:recovered")  # formats.lambdas.RECOVERED_KEY
        if origin.class_name == "Lambda" and origin.name == layer.name and isinstance(recovered, Mapping):
            parts.append(f"recovered from its bytecode: {recovered.get('source')}")
        if "legacy_hard_sigmoid" in repr(dict(layer.config)):
            parts.append("legacy_hard_sigmoid keeps the source's hard_sigmoid (slope 0.2, Keras 3's is 1/6)")
        return "; ".join(parts)

    def _value_type(self, graph: Graph) -> Any:
        """A tensor's dtype and shape: a TF op's result dtype as TF gives it, else as the
        graph records them (float32 and an unknown shape when it records none)."""

        def value_type(ref: Any) -> tuple[str, tuple[int | None, ...] | None]:
            t = graph.values[ref.name].type
            dtype, shape = ("float32", None) if t is None else (t.dtype, tuple(t.shape))
            return self.tf_dtypes.get(ref.name, dtype), shape

        return value_type

    def _tf_op_comment(self, layer: Layer) -> str:
        origin = layer.origin
        function = f"tf.{layer.config.get('function')}"
        text = f"{origin.class_name or 'TF op'} {function}" if layer.name == function else (
            f"{origin.class_name or 'TF op'} {py_str(layer.name)}: {function}"
        )
        if origin.name and origin.name != layer.name:
            text += f" (originally named {py_str(origin.name)})"
        return text

    # -- graphs -----------------------------------------------------------------------
    def _input_expr(self, graph: Graph, name: str) -> Call:
        t = graph.values[name].type
        if t is None:
            raise UnsupportedError(f"input {name!r} has no known shape")
        args = []
        if t.shape and t.shape[0] is not None:
            args.append(Item(literal(list(t.shape), as_tuple=True), "batch_shape="))
        else:
            args.append(Item(literal(list(t.shape[1:]), as_tuple=True), "shape="))
        if t.dtype != "float32":
            args.append(Item(Atom(py_str(t.dtype)), "dtype="))
        args.append(Item(Atom(py_str(name)), "name="))
        return call("keras.Input", args)

    def _name_reserver(self) -> str:
        """The module-level function moving Keras's automatic names past the given ones
        (through the public ``keras.backend.get_uid``, the counter they are taken from)."""
        if self.reserver is None:
            fname = self.reserver = self.namer.take("reserve_names")
            self.module_names.add(fname)
            self.helpers.append(
                [
                    f"def {fname}(*names):",
                    '    """Keras names an op node after its op ("add", then "add_1", ...), counting per',
                    "    name with keras.backend.get_uid; the layers here keep their own names, so each",
                    '    name\'s counter is moved past them (no two operations of a model may share a name)."""',
                    "    for name in names:",
                    '        base, _, number = name.rpartition("_")',
                    "        base, last = (base, int(number)) if base and number.isdigit() else (name, 0)",
                    "        while keras.backend.get_uid(base) <= last:",
                    "            pass",
                ]
            )
        return self.reserver

    def _helper(self, layer: Layer) -> str:
        """The name of a module-level function building nested model ``layer``."""
        assert layer.subgraph is not None
        key = id(layer)
        if key not in self.helper_names:
            fname = self.namer.take(f"build_{layer.name}")
            self.module_names.add(fname)
            self.helper_names[key] = fname
            kind = "Sequential" if _is_sequential(layer.subgraph) else "functional"
            doc = f'"""The nested model {py_str(layer.name)} ({kind})."""'
            body = self.graph_body(layer.subgraph, layer.name, trainable=layer.trainable)
            self.helpers.append([f"def {fname}():", f"    {doc}", *body])
        return self.helper_names[key]

    def graph_body(self, graph: Graph, name: str, *, trainable: bool = True) -> list[str]:
        """Statements of a function returning ``graph`` as a Keras model."""
        if _is_sequential(graph):
            lines, model = self._sequential(graph, name)
        else:
            lines, model = self._functional(graph, name)
        if trainable:
            return [*lines, *format_statement("return ", model)]
        return [*lines, *format_statement("model = ", model), "    model.trainable = False", "    return model"]

    def _sequential(self, graph: Graph, name: str) -> tuple[list[str], Expr]:
        layers = {lay.name: lay for lay in graph.layers}
        items = [Item(self._input_expr(graph, graph.inputs[0]))]
        for node in graph.nodes:
            layer = layers[node.layer]
            items.append(Item(self._layer_call(layer), comment=self._layer_comment(layer)))
        return [], call("keras.Sequential", [Item(Brackets("[", "]", tuple(items))), Item(Atom(py_str(name)), "name=")])

    def _functional(self, graph: Graph, name: str) -> tuple[list[str], Expr]:
        namer = Namer(self.module_names)
        var: dict[str, str] = {}
        lines: list[str] = []
        if any(lay.type == TFOP_TYPE or is_op_type(lay.type) for lay in graph.layers):
            # op nodes get Keras's automatic names (add, add_1, ...), which the model's own
            # layer names may hold already ("add"): no two operations may share a name
            names = [*graph.inputs, *(lay.name for lay in graph.layers if lay.type != TFOP_TYPE and not is_op_type(lay.type))]
            lines += format_statement("", call(self._name_reserver(), [Item(Atom(py_str(n))) for n in names]))
        for inp in graph.inputs:
            var[inp] = namer.take(inp)
            lines += format_statement(f"{var[inp]} = ", self._input_expr(graph, inp))
        layers = {lay.name: lay for lay in graph.layers}
        calls: dict[str, int] = {}
        for node in graph.nodes:
            calls[node.layer] = calls.get(node.layer, 0) + 1
        used = {r for n in graph.nodes for r in n.inputs} | set(graph.outputs)
        objects: dict[str, str] = {}
        seen: dict[str, int] = {}
        for node in graph.nodes:
            layer = layers[node.layer]
            k = seen.get(node.layer, 0)
            seen[node.layer] = k + 1
            if layer.type == TFOP_TYPE:  # a TF function: the keras.ops expression it computes
                rendered = tf_op_source(
                    layer, node.args, self._value_type(graph), lambda r: Atom(var[r.name]), literal, self._helper_name
                )
                self.op_imports |= rendered.imports
                self.tf_dtypes.update(dict.fromkeys(node.outputs, rendered.dtype))
                lines.append(f"    # {self._tf_op_comment(layer)}")
                targets = self._targets(layer, node.outputs, node.layer, used, namer, var)
                lines += format_statement(f"{targets} = " if targets else "", rendered.expr)
                continue
            if is_op_type(layer.type):  # a Keras 3 op node: the keras.ops call that records it
                expr, imports = op_expression(layer, node.args, node.kwargs, lambda r: Atom(var[r.name]), literal)
                self.op_imports |= imports
                targets = self._targets(layer, node.outputs, node.layer, used, namer, var)
                lines += format_statement(f"{targets} = " if targets else "", expr)
                continue
            separate = calls[node.layer] > 1 or layer.subgraph is not None
            comment = self._layer_comment(layer)
            if comment:
                lines.append(f"    # {comment}")
            if separate:
                if node.layer not in objects:
                    objects[node.layer] = namer.take(node.layer)
                    lines += format_statement(f"{objects[node.layer]} = ", self._layer_call(layer))
                func: Expr = Atom(objects[node.layer])
                base = objects[node.layer] + ("_out" if calls[node.layer] == 1 else f"_out{k + 1}")
            else:
                func = self._layer_call(layer)
                base = node.layer
            rhs: Expr = Call(func, call_args(node.args, node.kwargs, var))
            if layer.subgraph is not None and len(node.outputs) > 1 and isinstance(layer.subgraph.output_structure, dict):
                rhs = call("keras.tree.flatten", [Item(rhs)])
            targets = self._targets(layer, node.outputs, base, used, namer, var)
            lines += format_statement(f"{targets} = " if targets else "", rhs)

        def io(structure: Any) -> Expr:
            # A one-element list is written as the tensor itself: a nested model then
            # returns a tensor (as the nodes of a rebuilt .keras model see it), and Keras
            # returns one tensor for a one-element list anyway.
            if isinstance(structure, list) and len(structure) == 1:
                structure = structure[0]
            if isinstance(structure, str):
                return Atom(var[structure])
            return literal_refs(structure, var)

        model = call(
            "keras.Model",
            [
                Item(io(graph.input_structure), "inputs="),
                Item(io(graph.output_structure), "outputs="),
                Item(Atom(py_str(name)), "name="),
            ],
        )
        return lines, model

    def _targets(self, layer: Layer, outputs: tuple[str, ...], base: str, used: set[str],
                 namer: Namer, var: dict[str, str]) -> str:
        if len(outputs) == 1:
            if outputs[0] not in used:
                return ""
            var[outputs[0]] = namer.take(base)
            return var[outputs[0]]
        suffixes = _RNN_STATE_SUFFIXES.get(len(outputs)) if _returns_state(layer) else None
        names = []
        for i, out in enumerate(outputs):
            if out not in used:
                names.append("_")
                continue
            var[out] = namer.take(base + (suffixes[i] if suffixes else f"_{i}"))
            names.append(var[out])
        return ", ".join(names)

    # -- the module -------------------------------------------------------------------
    def module(self) -> str:
        body = self.graph_body(self.model.graph, self.model.graph.name)
        # now that the body is written: copy only the TF-op helpers it names
        self.compat = compat_source(self.compat_types, functions=self._tf_helper_defs(self.tf_helpers))
        uses_layers = any("layers." in line for line in [*body, *(x for h in self.helpers for x in h)])
        out: list[str] = [*self._docstring(), "", *self._header_comments(), *self._imports(uses_layers)]
        out.append(f"WEIGHTS_FILE = {py_str(self.weights_file)}")
        compile_config = self.training.compile_config
        compiled = compile_config is not None
        if compile_config is not None:
            # The source's compile() arguments in Keras 3 terms (keras.Model.compile_from_config).
            config = dict(compile_config)
            optimizer = dict(config["optimizer"])
            if optimizer.get("registered_name"):
                optimizer["module"] = None  # the copy in this file is found by its registered name
            config["optimizer"] = optimizer
            out += ["", *format_statement("COMPILE_CONFIG = ", literal(config), indent="")]
        if self.compat.blocks:
            out += ["", "", "# " + self._compat_comment()]
            for block in self.compat.blocks:
                out += ["", "", block]
        out += user_source_blocks(self.model.user_code)
        if self.stubs:
            out += ["", "", "# Placeholders: the source's custom classes no rule converts. TODO: write each call()."]
            for stub in self.stubs.values():
                out += ["", "", stub.source()]
        for helper in self.helpers:
            out += ["", "", *helper]
        out += [
            "",
            "",
            "def build_model():",
            '    """The model\'s architecture, freshly initialized."""',
            *body,
            "",
            "",
            *self._load_model(compiled),
        ]
        return "\n".join(out) + "\n"

    def _load_model(self, compiled: bool) -> list[str]:
        if not compiled:
            return [
                "def load_model(weights_path=None):",
                '    """The converted model: build it, then load WEIGHTS_FILE from beside this module."""',
                "    model = build_model()",
                "    if weights_path is None:",
                "        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)",
                "    model.load_weights(weights_path)",
                "    return model",
            ]
        return [
            "def load_model(weights_path=None, compile=True):",
            '    """The converted model: build it, compile it as the source was (COMPILE_CONFIG; unless',
            "    compile=False), then load WEIGHTS_FILE from beside this module: the weights and, when",
            '    compiled, the optimizer state, so training resumes where the source stopped."""',
            "    model = build_model()",
            "    if compile:",
            "        model.compile_from_config(COMPILE_CONFIG)",
            "    if weights_path is None:",
            "        weights_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS_FILE)",
            "    model.load_weights(weights_path)",
            "    return model",
        ]

    def _docstring(self) -> list[str]:
        return [
            f'"""Keras 3 model {py_str(self.model.graph.name)}, converted by keras-migrate.',
            "",
            "load_model() returns the converted model with its weights (WEIGHTS_FILE, next to this",
            "file); build_model() returns the same architecture, freshly initialized.",
            '"""',
        ]

    def _header_comments(self) -> list[str]:
        p = self.model.provenance
        source = os.path.basename(p.source_path) if p.source_path else "an unnamed model"
        facts = [p.source_format or "unknown format"]
        if p.keras_version:
            facts.append(self._source_keras())
        if p.backend:
            facts.append(f"{p.backend} backend")
        n_layers = sum(1 for _ in self.model.graph.walk_layers())
        n_params = sum(math.prod(w.shape) for _, w in self.model.iter_weights())
        lines = [
            f"# Source: {source} ({', '.join(facts)}), read as data.",
            f"# Converted: {n_layers} layers and {n_params:,} weight values, written as Keras "
            f"{KERAS_VERSION} code for any backend.",
        ]
        lines += [f"# Note: {note}" for note in p.notes]
        lines += [
            f"# Renamed: layer {py_str(old)} is {py_str(new)} here (Keras 3 layer names cannot contain '/')."
            for new, old in sorted(self.model.renamed.items())
        ]
        if self.compat.names:
            lines.append("# Compat code below is copied from keras_migrate, so this file needs only Keras.")
        return [*lines, ""]

    def _compat_comment(self) -> str:
        modules = sorted({m for m, _ in self.compat.origins.values()})
        parts = [f"Compat objects copied from {', '.join(modules)}, registered under the same names."] if modules else []
        if self.tf_helpers:
            parts.append(f"TF-op helpers copied from {SEMANTICS_MODULE} (called with keras.ops as their namespace).")
        return " ".join(parts)

    def _imports(self, uses_layers: bool) -> list[str]:
        imports = set(self.compat.imports) | {ImportLine("os"), ImportLine("keras")} | self.op_imports
        if uses_layers:
            imports.add(ImportLine("keras", "layers"))
        return render_imports(imports)


def _is_sequential(graph: Graph) -> bool:
    # a TF op is written as an expression on tensors: only the functional style has them
    return graph.kind == "sequential" and graph_is_chain(graph) and not any(lay.type == TFOP_TYPE for lay in graph.layers)




def _returns_state(layer: Layer) -> bool:
    cfg = layer.config
    inner = cfg.get("layer")
    return bool(cfg.get("return_state")) or (isinstance(inner, Mapping) and bool(inner.get("config", {}).get("return_state")))


def python_source(model: Model, weights_file: str = "model.weights.h5") -> str:
    """The text of the Python module for ``model``, loading ``weights_file`` from beside it."""
    return ModuleEmitter(model, weights_file).module()
