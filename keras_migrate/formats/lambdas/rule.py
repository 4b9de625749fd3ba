"""The ``Lambda`` rule (every rule set) and the pass that expands recovered Lambdas into op nodes.

A Lambda's result depends on how it is called (one tensor or a list), which only the
node knows, so recovery runs in two steps:

1. the rule (:func:`_lambda_rule`, registered for Keras 1 and Keras 2 / tf.keras / Keras 3
   configs) decodes the stored function (:mod:`.stored`) and checks that its bytecode reads
   as some CPython version (:mod:`.bytecode`); the layer becomes a placeholder of type
   :data:`LAMBDA_TYPE` holding the decoded function;
2. :func:`expand_lambdas`, run by the readers right after translation (before weights:
   Lambdas have none), evaluates each call symbolically (:mod:`.symbolic`) and replaces it
   by ordinary IR op nodes (``TFOp``, ``keras.ops>...`` and built-in layers, exactly those a
   ``TFOpLambda`` produces). Each emitted layer keeps the Lambda as its origin, with the
   recovered source text under :data:`RECOVERED_KEY` (``inspect`` prints it).

No stored code is ever executed: the bytes are parsed by ``xdis`` and the instructions
interpreted over symbolic values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.rules import KERAS1, TranslateContext, register
from keras_migrate.ir.graph import Graph, Layer, LayerOrigin, Node, ValueRef
from keras_migrate.ir.rewrite import Rewriter

# The decoder, the bytecode reader and the symbolic evaluator (~30 ms of imports: they pull in
# the legacy op tables) are imported by the functions that use them, when a model has a
# Lambda: registering the rule must not make every conversion pay for them.
if TYPE_CHECKING:
    from keras_migrate.formats.lambdas.stored import StoredLambda
    from keras_migrate.formats.lambdas.symbolic import Global, Program

__all__ = ["LAMBDA_TYPE", "LAMBDA_WAY_OUT", "RECOVERED_KEY", "expand_lambdas", "recover", "recovered_lambdas", "translate_lambda"]

#: Placeholder IR type of a decoded, not yet expanded Lambda (never leaves the reader).
LAMBDA_TYPE = "keras_migrate>PendingLambda"
#: Key of the recovery record in an emitted layer's ``origin.config``.
RECOVERED_KEY = "keras_migrate:recovered"
#: How a user gets past a refusal.
LAMBDA_WAY_OUT = (
    "give its Keras 3 code with --lambda LAYER=FILE.py:NAME or --custom-objects FILE.py, "
    "or replace the Lambda with built-in layers before converting"
)


def _fail(ctx: TranslateContext, what: str) -> UnsupportedError:
    return ctx.fail(f"Lambda cannot be recovered without running it: {what}", hint=LAMBDA_WAY_OUT.replace("LAYER", ctx.layer_name))


#: TF namespaces and the implementation modules whose functions they export.
_TF_SUBMODULES: Mapping[str, tuple[str, ...]] = {
    "nn": ("nn", "nn_ops", "gen_nn_ops", "nn_impl"),
    "math": ("math", "math_ops", "gen_math_ops"),
    "linalg": ("linalg", "linalg_ops"),
}


def _function_global(stored: StoredLambda) -> Global | None:
    """The well-known function a ``function``-type Lambda names, as a global path."""
    from keras_migrate.formats.lambdas.symbolic import Global

    assert stored.function is not None
    name, module = stored.function.name, stored.function.module
    parts = [p for p in module.split(".") if p]
    if not parts or not name.isidentifier():
        return None
    root = parts[0]
    if root in ("keras", "tf_keras") and "backend" in parts:
        return Global(("keras", "backend", name), f"K.{name}")
    if root == "tensorflow":
        sub = [k for k, parts_of in _TF_SUBMODULES.items() if any(p in parts_of for p in parts[1:])]
        path = ("tensorflow", *sub[:1], name)
        return Global(path, ".".join(("tf", *path[1:])))
    return None


def _lambda_rule(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    from keras_migrate.formats.lambdas.bytecode import read_code
    from keras_migrate.formats.lambdas.stored import StoredLambdaError, decode_lambda

    try:
        stored = decode_lambda(config)
    except StoredLambdaError as exc:
        raise _fail(ctx, str(exc)) from None
    if stored.function is not None:
        if _function_global(stored) is None:
            raise _fail(
                ctx,
                f"it calls {stored.function.module}.{stored.function.name}, a function stored by name "
                "that is not a keras.backend or tf function",
            )
    else:
        assert stored.code is not None
        if not read_code(stored.code):
            raise _fail(ctx, "its bytecode reads as no CPython version from 2.7 to 3.12")
    return LAMBDA_TYPE, {"stored": stored, "path": ctx.path, "layer": ctx.layer_name, "generation": ctx.generation}


def translate_lambda(config: dict[str, Any], ctx: TranslateContext) -> tuple[str, dict[str, Any]]:
    """The Lambda rule, for other rules holding a stored function (Keras 1's ``Merge`` with
    a callable mode, called on its list of inputs as a Lambda is)."""
    return _lambda_rule(config, ctx)


register("Lambda")(_lambda_rule)
register("Lambda", rules=KERAS1)(_lambda_rule)


def _version_label(versions: list[str]) -> str:
    if not versions:
        return "?"
    if len(versions) == 1:
        return versions[0]
    ordered = sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
    return f"{ordered[0]}-{ordered[-1]}"


def recover(stored: StoredLambda, arity: int | None, ctx: TranslateContext, *, float_inputs: bool = True) -> Program:
    """The program of one Lambda called on one tensor (``arity`` None) or a list of
    ``arity`` tensors; raises :class:`UnsupportedError` naming the layer, the Python
    version and the instruction or call that cannot be recovered."""
    from keras_migrate.formats.lambdas.bytecode import read_code
    from keras_migrate.formats.lambdas.symbolic import (
        Refusal,
        Sym,
        evaluate_code,
        evaluate_function,
    )

    if stored.function is not None:
        glob = _function_global(stored)
        if glob is None:
            raise _fail(ctx, f"it calls {stored.function.module}.{stored.function.name}")
        inputs: Any = Sym(0, False, "x") if arity is None else [Sym(i, False, f"x[{i}]") for i in range(arity)]
        try:
            return evaluate_function(glob, inputs, stored.arguments, ctx)
        except Refusal as exc:
            raise _fail(ctx, f"{exc}") from None
    assert stored.code is not None
    readings = read_code(stored.code)
    programs: list[Program] = []
    refusals: list[tuple[str, str]] = []
    decode_errors: list[tuple[str, str]] = []
    for read in readings:
        names = [str(n) for n in read.code.co_varnames[: max(int(read.code.co_argcount), 1)]]
        first = names[0] if names else "x"
        inputs = Sym(0, False, first) if arity is None else [Sym(i, False, f"{first}[{i}]") for i in range(arity)]
        try:
            programs.append(
                evaluate_code(read, inputs, stored.defaults, stored.closure, stored.arguments, ctx, float_inputs=float_inputs)
            )
        except Refusal as exc:
            (decode_errors if exc.decode else refusals).append((read.version, str(exc)))
    if not readings:
        raise _fail(ctx, "its bytecode reads as no CPython version from 2.7 to 3.12")
    if not programs:
        refusals = refusals or decode_errors
        _, reason = refusals[0]
        label = _version_label([v for v, r in refusals if r == reason])
        raise _fail(ctx, f"Python {label} bytecode uses {reason}")
    sources = {p.source for p in programs}
    if len(sources) > 1:
        listing = "; ".join(f"Python {p.python}: {p.source}" for p in programs)
        raise _fail(ctx, f"its bytecode reads differently as different Python versions ({listing})")
    label = _version_label([p.python for p in programs])
    return replace(programs[0], python=label)


# --------------------------------------------------------------------------- expansion


def _arity(node: Node) -> int | None:
    first = node.args[0] if node.args else None
    if isinstance(first, ValueRef):
        return None
    if isinstance(first, (list, tuple)) and first and all(isinstance(v, ValueRef) for v in first):
        return len(first)
    raise UnsupportedError("Lambda call is not on a tensor or a list of tensors", layer=node.layer)


def _inputs(node: Node) -> list[ValueRef]:
    first = node.args[0]
    return [first] if isinstance(first, ValueRef) else list(first)


def _float_inputs(graph: Graph, refs: list[ValueRef]) -> bool:
    for ref in refs:
        value = graph.values.get(ref.name)
        if value is not None and value.type is not None and not value.type.dtype.startswith(("float", "bfloat")):
            return False
    return True


def _emit(rw: Rewriter, layer: Layer, node: Node, program: Program, inputs: list[ValueRef]) -> list[ValueRef]:
    from keras_migrate.formats.lambdas.symbolic import Sym

    raw = dict(layer.origin.config)
    record = {"source": program.source, "python": program.python}
    if program.assumptions:
        record["assumes"] = "; ".join(program.assumptions)
    origin_config = {**raw, RECOVERED_KEY: record}
    origin = LayerOrigin("Lambda", layer.origin.name or layer.name, origin_config)
    outputs: list[list[ValueRef]] = []

    def resolve(value: Any) -> Any:
        if isinstance(value, Sym):
            return outputs[value.index][value.out] if value.step else inputs[value.index]
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(resolve(v) for v in value)
        return value

    last = len(program.steps) - 1
    for k, step in enumerate(program.steps):
        if k == last and not rw.builder.has_layer(layer.name):
            name = layer.name  # the Lambda's own name holds its result (the old layer is gone)
        else:
            name = rw.fresh_name(f"{layer.name}_op{k}")
        new = Layer(name, step.type, dict(step.config), (), True, layer.dtype, None, origin)
        outputs.append(rw.call(new, tuple(resolve(a) for a in step.args), num_outputs=step.outputs))
    results = program.output if isinstance(program.output, tuple) else (program.output,)
    return [outputs[r.index][r.out] for r in results]


def expand_lambdas(graph: Graph, *, path: str = "") -> Graph:
    """``graph`` with every pending Lambda call replaced by its recovered op nodes (nested
    models' included)."""
    if not any(lay.type == LAMBDA_TYPE or lay.subgraph is not None for lay in graph.layers):
        return graph
    nested = {lay.name: replace(lay, subgraph=expand_lambdas(lay.subgraph, path=path)) for lay in graph.layers if lay.subgraph is not None}

    def on_node(rw: Rewriter, node: Node) -> bool:
        layer = graph.layer(node.layer)
        if layer.type != LAMBDA_TYPE:
            if layer.name in nested:
                rw.replay(node, layer=nested[layer.name])
                return True
            return False
        cfg: Mapping[str, Any] = layer.config
        ctx = TranslateContext(layer_name=str(cfg.get("layer") or layer.name), path=str(cfg.get("path") or path))
        inputs = [rw.ref(r.name) for r in _inputs(node)]
        program = recover(cfg["stored"], _arity(node), ctx, float_inputs=_float_inputs(graph, _inputs(node)))
        outs = _emit(rw, layer, node, program, inputs)
        if len(outs) < len(node.outputs):
            returns = "one tensor" if len(outs) == 1 else f"{len(outs)} tensors"
            raise ctx.fail(
                f"the model uses {len(node.outputs)} outputs of this Lambda, but its function returns {returns} ({program.source})",
                hint=LAMBDA_WAY_OUT.replace("LAYER", ctx.layer_name),
            )
        for old, out in zip(node.outputs, outs, strict=False):
            rw.bind(old, out)
        return True

    return Rewriter.rewrite(graph, on_node)


def recovered_lambdas(graph: Graph) -> dict[str, dict[str, str]]:
    """Lambda name -> ``{"source", "python"[, "assumes"]}`` for every recovered Lambda (nested
    included); ``assumes``: conditions of the legacy-op table taken as holding (a floating
    dtype the Lambda's inputs have or, when unknown, are assumed to have)."""
    found: dict[str, dict[str, str]] = {}
    for _, layer in graph.walk_layers():
        record = layer.origin.config.get(RECOVERED_KEY) if layer.origin.class_name == "Lambda" else None
        if isinstance(record, Mapping):
            found.setdefault(layer.origin.name, {k: str(v) for k, v in record.items()})
    return found

