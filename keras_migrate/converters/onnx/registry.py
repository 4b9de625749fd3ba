"""The lowering registry: which function lowers each IR layer type, from which opset.

A lowering turns one IR layer call (a :class:`Call`) into ONNX nodes. Lowerings are
registered per IR layer type with :func:`lowering`, each with the minimum opset it needs;
for a target opset the highest registered version not above it wins (so a newer, better
lowering can sit beside the portable one).

The lowering modules import this one to register themselves; this module imports a
lowering module only when a layer type it serves is looked up (:data:`LOWERING_MODULES`,
the one table of which module lowers which type; a test checks it against what the modules
register), so converting a CNN does not pay for importing the recurrent, attention,
Keras-3-op and TF-op lowerings (~50 ms). :func:`lowered_types` imports them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import numpy as np

from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.tensors import Tensor
from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Layer, TensorType

__all__ = [
    "DEFAULT_OPSET",
    "LOWERING_MODULES",
    "MIN_OPSET",
    "Call",
    "LowerFn",
    "Lowering",
    "find_lowering",
    "load_all",
    "lower_call",
    "lowered_types",
    "lowering",
    "lowering_module",
]

#: Opset written when none is asked for.
DEFAULT_OPSET = 17
#: Oldest opset the lowerings are written for (Softmax/Split/Squeeze/ReduceSum semantics of 13).
MIN_OPSET = 13


@dataclass
class Call:
    """One layer call to lower: the layer, its arguments as :class:`Tensor` s, the builder."""

    b: Builder
    layer: Layer
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    #: Keras types of the node's outputs (from the IR), when known.
    out_types: list[TensorType | None]
    #: Path of the layer (nested layers: ``outer/inner``), for weight names.
    path: str

    @property
    def cfg(self) -> Mapping[str, Any]:
        return self.layer.config

    @property
    def x(self) -> Tensor:
        """The first positional tensor argument."""
        first = self.args[0]
        if not isinstance(first, Tensor):
            raise UnsupportedError(f"{self.layer.type} expects one tensor input", layer=self.layer.name)
        return first

    def tensors(self) -> list[Tensor]:
        """The first argument as a list of tensors (merge layers take a list)."""
        first = self.args[0]
        items = list(first) if isinstance(first, (list, tuple)) else [first]
        if not all(isinstance(t, Tensor) for t in items):
            raise UnsupportedError(f"{self.layer.type} expects tensor inputs", layer=self.layer.name)
        return items

    def weight(self, name: str, transform: Callable[[np.ndarray], np.ndarray] | None = None, tag: str = "") -> str:
        """An initializer for one of the layer's weights, optionally re-laid out (read once)."""
        w = self.layer.weight(name)

        def make() -> np.ndarray:
            arr = w.numpy()
            return transform(arr) if transform is not None else arr

        return self.b.weight(f"{self.path}/{name}", tag, make, source=w, transform=transform)

    def has_weight(self, name: str) -> bool:
        return self.layer.has_weight(name)

    def input_mask(self) -> str | None:
        """The mask Keras passes to ``call(mask=...)``: an explicit ``mask=``, else the
        first input's mask when the call has exactly one tensor argument."""
        explicit = self.kwargs.get("mask")
        if isinstance(explicit, Tensor):
            return explicit.name
        tensors = [a for a in self.args if _is_tensor_arg(a)]
        tensors += [v for k, v in self.kwargs.items() if k not in ("mask", "training") and _is_tensor_arg(v)]
        if len(tensors) != 1:
            return None
        first = self.args[0] if self.args else None
        return first.mask if isinstance(first, Tensor) else None

    def unsupported(self, message: str, hint: str | None = None) -> UnsupportedError:
        return UnsupportedError(message, layer=self.layer.name, hint=hint)


def _is_tensor_arg(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, Tensor) for v in value)


#: What a lowering returns: a tensor or a list of tensors (masks set on them when computed).
LowerFn = Callable[[Call], Any]


@dataclass(frozen=True)
class Lowering:
    """One registered lowering and how it treats Keras masks."""

    fn: LowerFn
    since: int
    #: The input mask flows to the output unchanged (Keras ``supports_masking`` layers).
    passes_mask: bool
    #: The lowering reads the input mask itself (and sets output masks itself).
    uses_mask: bool


_REGISTRY: dict[str, list[Lowering]] = {}

#: Which module of this package registers the lowerings of each IR layer type (module ->
#: types). Keras 3 op layers (``keras.ops>...``) all live in ``keras3_ops``
#: (:data:`_PREFIX_MODULES`).
LOWERING_MODULES: Mapping[str, tuple[str, ...]] = {
    "activations": (
        "Activation", "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "ThresholdedReLU",
        "keras_migrate>ThresholdedReLU",
    ),
    "attention": (
        "AdditiveAttention", "Attention", "MultiHeadAttention", "keras_migrate>LegacyMultiHeadAttention",
    ),
    "augment": (
        "Discretization", "RandomBrightness", "RandomContrast", "RandomFlip", "RandomRotation",
        "RandomTranslation", "RandomZoom", "keras_migrate>RandomHeight", "keras_migrate>RandomWidth",
        "keras_migrate>TFRandomCrop",
    ),
    "compat": (
        "keras_migrate>Highway", "keras_migrate>Keras1BatchNormalization", "keras_migrate>Keras1CosineMerge",
        "keras_migrate>MaxoutDense", "keras_migrate>ParametricSoftplus", "keras_migrate>SReLU",
        "keras_migrate>TFOp",
    ),
    "conv": (
        "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
        "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
        "keras_migrate>LocallyConnected1D", "keras_migrate>LocallyConnected2D",
    ),
    "core": (
        "ActivityRegularization", "AlphaDropout", "Dense", "Dropout", "EinsumDense", "Embedding", "Flatten",
        "GaussianDropout", "GaussianNoise", "Identity", "Masking", "Normalization", "Permute", "RepeatVector",
        "Rescaling", "Reshape", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
        "keras_migrate>CustomScaleLayer", "keras_migrate>LayerScale",
    ),
    "merge": (
        "Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
    ),
    "nested": (
        "Functional", "Model", "Sequential",
    ),
    "normalization": (
        "BatchNormalization", "GroupNormalization", "LayerNormalization", "RMSNormalization",
        "UnitNormalization",
    ),
    "pooling": (
        "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling1D",
        "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
        "GlobalMaxPooling3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    ),
    "recurrent": (
        "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "GRU", "LSTM", "RNN", "SimpleRNN",
    ),
    "reshaping": (
        "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
        "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "keras_migrate>LegacyBilinearUpSampling2D",
    ),
    "wrappers": (
        "Bidirectional", "TimeDistributed",
    ),
}

#: Layer types routed by their prefix rather than listed one by one.
_PREFIX_MODULES: Mapping[str, str] = {"keras.ops>": "keras3_ops"}

_MODULE_OF: dict[str, str] = {t: m for m, types in LOWERING_MODULES.items() for t in types}

#: The lowering modules imported so far (by name within this package).
_LOADED: set[str] = set()


def lowering_module(layer_type: str) -> str | None:
    """The module of this package whose import registers ``layer_type``'s lowerings."""
    found = _MODULE_OF.get(layer_type)
    if found is None:
        found = next((m for prefix, m in _PREFIX_MODULES.items() if layer_type.startswith(prefix)), None)
    return found


def _load(module: str) -> None:
    if module not in _LOADED:
        import_module(f"{__package__}.{module}")
        _LOADED.add(module)


def _entries(layer_type: str) -> list[Lowering]:
    """The registered lowerings of ``layer_type``, importing the module that registers them."""
    module = lowering_module(layer_type)
    if module is not None:
        _load(module)
    return _REGISTRY.get(layer_type, [])


def load_all() -> None:
    """Import every lowering module (the full registry: the support matrix, the tests)."""
    for module in sorted({*LOWERING_MODULES, *_PREFIX_MODULES.values()}):
        _load(module)


def lowering(*types: str, since: int = MIN_OPSET, passes_mask: bool = False, uses_mask: bool = False) -> Callable[[LowerFn], LowerFn]:
    """Register a lowering for IR layer ``types``, valid from opset ``since`` on."""

    def register(fn: LowerFn) -> LowerFn:
        for t in types:
            entries = _REGISTRY.setdefault(t, [])
            entries.append(Lowering(fn, since, passes_mask, uses_mask))
            entries.sort(key=lambda e: e.since)
        return fn

    return register


def lowered_types(opset: int = DEFAULT_OPSET) -> frozenset[str]:
    """Every IR layer type with an ONNX lowering at ``opset``."""
    load_all()
    return frozenset(t for t, entries in _REGISTRY.items() if any(e.since <= opset for e in entries))


def find_lowering(layer_type: str, opset: int) -> Lowering | None:
    """The lowering of ``layer_type`` for ``opset``: the newest registered one not above it."""
    best = None
    for entry in _entries(layer_type):
        if entry.since <= opset:
            best = entry
    return best


def lower_call(call: Call) -> list[Tensor]:
    """Lower one call through its registered lowering; returns the flat output tensors."""
    layer = call.layer
    entry = find_lowering(layer.type, call.b.opset)
    if entry is None:
        newer = [e.since for e in _entries(layer.type)]
        if newer:
            raise UnsupportedError(
                f"{layer.type} needs ONNX opset {min(newer)} or newer (asked for {call.b.opset})",
                layer=layer.name,
                hint=f"pass --opset {min(newer)}",
            )
        raise UnsupportedError(
            f"layer type {layer.type} has no ONNX lowering",
            layer=layer.name,
            hint="convert to .keras instead; see the support matrix in the README",
        )
    try:
        result = entry.fn(call)
    except UnsupportedError as exc:
        if exc.layer is not None and exc.hint:
            raise
        raise UnsupportedError(
            exc.message,
            layer=exc.layer or layer.name,
            hint=exc.hint or "convert to .keras instead; see the support matrix in the README",
        ) from exc
    outs = list(result) if isinstance(result, (list, tuple)) else [result]
    if entry.passes_mask and not entry.uses_mask:
        first = call.args[0] if call.args else None
        mask = first.mask if isinstance(first, Tensor) else None
        for t in outs:
            if t.mask is None:
                t.mask = mask
    for t, ty in zip(outs, call.out_types, strict=False):
        if t.type is None:
            t.type = ty
    return outs
