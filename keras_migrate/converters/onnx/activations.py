"""Activation functions by Keras 3 name, and the activation layers.

Every layer with an ``activation`` config resolves it through :func:`activation`, so a
name lowers one way everywhere (the formulas follow the numpy interpreter's, e.g.
``hard_sigmoid`` is ``relu6(x + 3) / 6`` = ``HardSigmoid(alpha=1/6)``, the legacy one is
``HardSigmoid(alpha=0.2, beta=0.5)``).
"""

from __future__ import annotations

import math
from typing import Any

from keras_migrate.converters.onnx.builder import Builder
from keras_migrate.converters.onnx.registry import Call, lowering
from keras_migrate.converters.onnx.tensors import Tensor
from keras_migrate.errors import UnsupportedError

__all__ = ["activation", "activation_name", "gelu", "softmax"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def activation_name(value: Any) -> str:
    """A config's ``activation`` as a name (``None`` -> ``linear``; long-hand builtins too)."""
    if value is None:
        return "linear"
    if isinstance(value, dict):
        inner = value.get("config")
        value = inner if isinstance(inner, str) else value.get("class_name")
    if not isinstance(value, str):
        raise UnsupportedError(f"activation {value!r} has no ONNX lowering")
    return value


def softmax(b: Builder, x: str, axis: int) -> str:
    return str(b.op("Softmax", [x], axis=axis))


def _mul_sigmoid(b: Builder, x: str) -> str:
    return str(b.op("Mul", [x, b.op("Sigmoid", [x])]))


def _softplus(b: Builder, x: str) -> str:
    return str(b.op("Softplus", [x]))


def gelu(b: Builder, x: str, approximate: bool = False) -> str:
    """GELU, exact (erf) or Keras' tanh approximation: the one lowering every caller shares.

    Opset 20 has a native ``Gelu`` for both forms; older opsets spell out the formula.
    """
    if b.opset >= 20:
        return str(b.op("Gelu", [x], approximate="tanh" if approximate else None))
    if approximate:
        cube = b.op("Mul", [b.op("Mul", [x, x]), x])
        inner = b.op("Mul", [b.op("Add", [x, b.op("Mul", [cube, b.scalar(0.044715)])]), b.scalar(math.sqrt(2.0 / math.pi))])
        half = b.op("Add", [b.op("Tanh", [inner]), b.scalar(1.0)])
        return str(b.op("Mul", [b.op("Mul", [x, half]), b.scalar(0.5)]))
    erf = b.op("Erf", [b.op("Div", [x, b.scalar(math.sqrt(2.0))])])
    return str(b.op("Div", [b.op("Mul", [x, b.op("Add", [erf, b.scalar(1.0)])]), b.scalar(2.0)]))


def _mish(b: Builder, x: str) -> str:
    if b.opset >= 18:
        return str(b.op("Mish", [x]))
    return str(b.op("Mul", [x, b.op("Tanh", [_softplus(b, x)])]))


def _hard_swish(b: Builder, x: str) -> str:
    if b.opset >= 14:
        return str(b.op("HardSwish", [x]))
    return str(b.op("Mul", [x, b.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)]))


def activation(b: Builder, x: str, name: Any, axis: int = -1) -> str:
    """Apply a Keras activation to ``x``; ``axis`` is where softmax-like ones reduce."""
    act = activation_name(name)
    if act == "linear":
        return x
    simple = {
        "relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "softsign": "Softsign",
        "exponential": "Exp", "softplus": "Softplus",
    }  # fmt: skip
    if act in simple:
        return str(b.op(simple[act], [x]))
    if act == "relu6":
        return b.clip(x, 0.0, 6.0)
    if act == "hard_tanh":
        return b.clip(x, -1.0, 1.0)
    if act == "leaky_relu":
        return str(b.op("LeakyRelu", [x], alpha=0.2))
    if act == "elu":
        return str(b.op("Elu", [x], alpha=1.0))
    if act == "selu":
        return str(b.op("Selu", [x], alpha=_SELU_ALPHA, gamma=_SELU_SCALE))
    if act == "celu":
        return str(b.op("Celu", [x], alpha=1.0))
    if act in ("silu", "swish"):
        return _mul_sigmoid(b, x)
    if act == "gelu":
        return gelu(b, x)
    if act == "tanh_shrink":
        return str(b.op("Sub", [x, b.op("Tanh", [x])]))
    if act == "log_sigmoid":
        return str(b.op("Neg", [_softplus(b, b.op("Neg", [x]))]))
    if act == "hard_sigmoid":
        return str(b.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5))
    if act == "keras_migrate>legacy_hard_sigmoid":
        return str(b.op("HardSigmoid", [x], alpha=0.2, beta=0.5))
    if act in ("hard_silu", "hard_swish"):
        return _hard_swish(b, x)
    if act == "mish":
        return _mish(b, x)
    if act == "softmax":
        return softmax(b, x, axis)
    if act == "log_softmax":
        return str(b.op("LogSoftmax", [x], axis=axis))
    if act == "soft_shrink":
        return str(b.op("Shrink", [x], lambd=0.5, bias=0.5))
    if act == "hard_shrink":
        return str(b.op("Shrink", [x], lambd=0.5, bias=0.0))
    if act == "squareplus":
        root = b.op("Sqrt", [b.op("Add", [b.op("Mul", [x, x]), b.scalar(4.0)])])
        return str(b.op("Div", [b.op("Add", [x, root]), b.scalar(2.0)]))
    raise UnsupportedError(f"activation {act!r} has no ONNX lowering")


# --------------------------------------------------------------------------- layers


@lowering("Activation", passes_mask=True)
def _activation_layer(c: Call) -> Tensor:
    return Tensor(activation(c.b, c.x.name, c.cfg.get("activation")))


@lowering("ReLU", passes_mask=True)
def _relu(c: Call) -> Tensor:
    """Keras 3's ``relu`` with its options, as the interpreter computes it."""
    b, x = c.b, c.x.name
    slope = float(c.cfg.get("negative_slope", 0.0) or 0.0)
    raw_max = c.cfg.get("max_value")
    max_value = None if raw_max is None else float(raw_max)
    threshold = float(c.cfg.get("threshold", 0.0) or 0.0)
    if slope != 0.0 and max_value is None and threshold == 0.0:
        return Tensor(b.op("LeakyRelu", [x], alpha=slope))
    if threshold != 0.0:
        y = b.op("Where", [b.op("Greater", [x, b.scalar(threshold)]), x, b.scalar(0.0)])
    else:
        y = b.op("Relu", [x])
    if max_value is not None:
        y = b.clip(y, 0.0, max_value)
    if slope != 0.0:
        neg = b.op("Relu", [b.op("Sub", [b.scalar(threshold), x]) if threshold != 0.0 else b.op("Neg", [x])])
        y = b.op("Sub", [y, b.op("Mul", [neg, b.scalar(slope)])])
    return Tensor(y)


@lowering("LeakyReLU", passes_mask=True)
def _leaky_relu(c: Call) -> Tensor:
    slope = float(c.cfg.get("negative_slope", c.cfg.get("alpha", 0.3)))
    return Tensor(c.b.op("LeakyRelu", [c.x.name], alpha=slope))


@lowering("PReLU", passes_mask=True)
def _prelu(c: Call) -> Tensor:
    # alpha has the input's non-batch shape with 1s on shared axes: broadcasts as is
    return Tensor(c.b.op("PRelu", [c.x.name, c.weight("alpha")]))


@lowering("ELU", passes_mask=True)
def _elu(c: Call) -> Tensor:
    return Tensor(c.b.op("Elu", [c.x.name], alpha=float(c.cfg.get("alpha", 1.0))))


@lowering("ThresholdedReLU", "keras_migrate>ThresholdedReLU", passes_mask=True)
def _thresholded_relu(c: Call) -> Tensor:
    return Tensor(c.b.op("ThresholdedRelu", [c.x.name], alpha=float(c.cfg.get("theta", 1.0))))


@lowering("Softmax", uses_mask=True)
def _softmax_layer(c: Call) -> Tensor:
    """Masked positions get -1e9 before and exactly 0 after, as Keras 3 does."""
    b, x = c.b, c.x.name
    rank = c.x.rank
    raw = c.cfg.get("axis", -1)
    axes = [int(a) % rank for a in raw] if isinstance(raw, (list, tuple)) else [int(raw) % rank]
    mask = c.input_mask()
    keep = None
    if mask is not None:
        keep = mask  # numpy-style broadcasting, as Keras adds it
        x = b.op("Where", [keep, x, b.scalar(-1e9)])
    if len(axes) == 1:
        y = softmax(b, x, axes[0])
    else:
        top = b.reduce("ReduceMax", x, axes)
        shifted = b.op("Sub", [x, top])
        lse = b.op("Log", [b.reduce("ReduceSum", b.op("Exp", [shifted]), axes)])
        y = b.op("Exp", [b.op("Sub", [shifted, lse])])
    if keep is not None:
        y = b.op("Where", [keep, y, b.scalar(0.0)])
    out_mask = mask if mask is not None else (c.x.mask if isinstance(c.args[0], Tensor) else None)
    return Tensor(y, mask=out_mask)
