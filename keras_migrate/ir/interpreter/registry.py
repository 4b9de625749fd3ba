"""The kernel registry: which numpy function runs each layer type, and how to call it.

Kernel modules import this module (for :func:`kernel`, :class:`Context`,
:class:`KernelResult` and :func:`call_kernel`) and nothing that imports them back, so the
interpreter has no import cycle: the registry is filled when
:func:`keras_migrate.ir.interpreter.load_kernels` imports the ``kernels`` package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keras_migrate.errors import UnsupportedError
from keras_migrate.ir.graph import Layer
from keras_migrate.ir.user_code import USER_PREFIX

__all__ = [
    "Context",
    "KernelFn",
    "KernelResult",
    "MaskFn",
    "call_kernel",
    "kernel",
    "kernel_types",
    "mask_passing_types",
]


@dataclass
class KernelResult:
    """Outputs of a kernel plus the Keras masks it produces (``None`` for no mask)."""

    outputs: Any
    masks: Any = None


@dataclass
class Context:
    """What a kernel may use besides its layer and inputs."""

    #: Masks of the node's positional args, with the same structure as the args.
    masks: Any = None
    training: bool = False
    #: Per-run scratch shared by kernels (e.g. nothing persists between runs).
    state: dict[str, Any] = field(default_factory=dict)


KernelFn = Callable[[Layer, tuple[Any, ...], dict[str, Any], Context], Any]
MaskFn = Callable[[Layer, tuple[Any, ...], dict[str, Any], Context, Any], Any]

_KERNELS: dict[str, KernelFn] = {}
#: Layer types whose output mask is their (first) input's mask, unchanged.
_PASS_MASK: set[str] = set()


def kernel(*types: str, passes_mask: bool = False) -> Callable[[KernelFn], KernelFn]:
    """Register a numpy kernel for one or more layer types.

    A kernel returns the output (array, or a list/tuple of arrays for multi-output layers)
    or a :class:`KernelResult` when it computes its own output mask. ``passes_mask=True``
    means the input mask flows through unchanged (Keras' ``supports_masking`` layers).
    """

    def register(fn: KernelFn) -> KernelFn:
        for t in types:
            _KERNELS[t] = fn
            if passes_mask:
                _PASS_MASK.add(t)
        return fn

    return register


def kernel_types() -> frozenset[str]:
    """Layer types registered so far (all of them once the ``kernels`` package is imported)."""
    return frozenset(_KERNELS)


def mask_passing_types() -> frozenset[str]:
    """Layer types registered with ``passes_mask=True``."""
    return frozenset(_PASS_MASK)


def call_kernel(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], ctx: Context) -> KernelResult:
    """Run ``layer``'s registered kernel on resolved inputs; the output mask is attached.

    Wrappers reuse every kernel family through this; it assumes the kernels are loaded.
    """
    fn = _KERNELS.get(layer.type)
    if fn is None and layer.type.startswith(USER_PREFIX):
        fn = _KERNELS.get(USER_PREFIX)
    if fn is None:
        raise UnsupportedError(
            f"the numpy interpreter has no kernel for layer type {layer.type!r}",
            layer=layer.name,
            hint="see the support matrix in the README",
        )
    out = fn(layer, args, kwargs, ctx)
    if isinstance(out, KernelResult):
        return out
    mask = None
    if layer.type in _PASS_MASK and ctx.masks is not None:
        first = ctx.masks[0] if isinstance(ctx.masks, tuple) and ctx.masks else ctx.masks
        mask = first if not isinstance(first, (list, tuple, dict)) else None
    return KernelResult(out, mask)
