"""Weight re-layouts Keras 2 / tf.keras layers need beyond naming.

tf.keras' LocallyConnected layers store their kernel in one of three layouts
(``implementation`` 1, 2 or 3); the compat layer uses implementation 1's
``(positions, patch_features, filters)``. Implementation 2 keeps a dense, masked
``(input..., output..., filters)`` kernel; implementation 3 keeps only the connected
entries, sorted by (output index, input index) of the flattened tensors. Both are mapped
to implementation 1 lazily, as index transforms applied when the weight is read.

Keras 2 files saved with the Theano backend hold true-convolution kernels, flipped here
(:func:`flip_theano_kernels`) to the correlation every Keras 3 backend computes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from keras_migrate.errors import KerasMigrateError, UnsupportedError
from keras_migrate.ir.graph import Graph, Layer
from keras_migrate.ir.weights import Flip, GatherFlat, Reshape, Transpose

__all__ = ["fix_graph_weights", "flip_theano_kernels"]


def _ints(v: object, n: int) -> tuple[int, ...]:
    return tuple(int(x) for x in np.atleast_1d(v))[:n] if np.ndim(v) else (int(v),) * n  # type: ignore[call-overload, arg-type]


def _local_kernel(layer: Layer, path: str) -> Layer:
    impl = int(layer.origin.config.get("implementation", 1))
    if impl == 1:
        return layer
    rank = 1 if layer.type.endswith("1D") else 2
    cf = layer.config.get("data_format") == "channels_first"
    if rank == 1 and cf:
        raise UnsupportedError("channels_first LocallyConnected1D is not supported", path=path, layer=layer.name)
    ks = _ints(layer.config["kernel_size"], rank)
    st = _ints(layer.config.get("strides", 1), rank)
    filters = int(layer.config["filters"])
    kernel = layer.weight("kernel")
    # implementation 2 stores the dense (inputs x outputs) kernel, 3 the sparse one's values
    want = {2: 4 if rank == 1 else 6, 3: 1}.get(impl)
    if want is not None and len(kernel.shape) != want:
        raise _damaged_kernel(layer, path, f"is {len(kernel.shape)}-D, not {want}-D as implementation {impl} stores it")
    if impl == 2:
        shape = kernel.shape
        out_sp: tuple[int, ...]
        if rank == 1:
            cin, out_sp = shape[1], (shape[2],)
        elif cf:
            cin, out_sp = shape[0], (shape[4], shape[5])
        else:
            cin, out_sp = shape[2], (shape[3], shape[4])
        positions = list(np.ndindex(*out_sp))
        offsets = list(np.ndindex(*ks))
        idx = np.empty((len(positions), len(offsets) * cin, filters), dtype=np.int64)
        for p, pos in enumerate(positions):
            src = [o * s for o, s in zip(pos, st)]
            feats = []
            if cf:  # patch features ordered (channel, rows, cols)
                for c in range(cin):
                    for off in offsets:
                        feats.append((c, *[s + d for s, d in zip(src, off)]))
            else:  # (rows, cols, channel)
                for off in offsets:
                    for c in range(cin):
                        feats.append((*[s + d for s, d in zip(src, off)], c))
            for fi, feat in enumerate(feats):
                for f in range(filters):
                    full: tuple[int, ...]
                    if rank == 1:
                        full = (feat[0], feat[1], pos[0], f)
                    elif cf:
                        full = (feat[0], feat[1], feat[2], f, pos[0], pos[1])
                    else:
                        full = (feat[0], feat[1], feat[2], pos[0], pos[1], f)
                    try:
                        idx[p, fi, f] = np.ravel_multi_index(full, shape)
                    except ValueError:  # a patch outside the stored kernel
                        raise _damaged_kernel(layer, path, f"of shape {tuple(shape)} does not fit kernel_size {ks}, "
                                              f"strides {st} and {filters} filters") from None
        new = kernel.then(GatherFlat(tuple(int(i) for i in idx.reshape(-1)), idx.shape))
    elif impl == 3:
        bias_shape = layer.weight("bias").shape if layer.has_weight("bias") else None
        if bias_shape is None:
            raise UnsupportedError(
                "LocallyConnected implementation 3 without a bias does not record its output size",
                path=path,
                layer=layer.name,
            )
        n_pos = int(np.prod([int(d) for d in bias_shape[:-1]]))
        k = int(np.prod(ks))
        cin = kernel.shape[0] // max(1, n_pos * k * filters)
        if cin < 1 or cin * n_pos * k * filters != kernel.shape[0]:
            raise _damaged_kernel(layer, path, f"holds {kernel.shape[0]} values, not a multiple of "
                                  f"{n_pos} positions x {k} offsets x {filters} filters")
        if cf:  # sorted by (filter, positions) then (channel, offsets)
            new = kernel.then(Reshape((filters, n_pos, cin * k)), Transpose((1, 2, 0)))
        else:  # sorted by (positions, filter) then (offsets, channel)
            new = kernel.then(Reshape((n_pos, filters, k * cin)), Transpose((0, 2, 1)))
    else:
        raise UnsupportedError(f"unknown LocallyConnected implementation {impl}", path=path, layer=layer.name)
    return layer.with_weights(tuple(new.renamed("kernel") if w.name == "kernel" else w for w in layer.weights))


def _damaged_kernel(layer: Layer, path: str, what: str) -> KerasMigrateError:
    return KerasMigrateError(
        f"the LocallyConnected kernel {what}", path=path, layer=layer.name,
        hint="the file is damaged; re-save the model from its original Keras",
    )


def fix_graph_weights(graph: Graph, path: str = "") -> Graph:
    """Apply every layer-specific weight re-layout, descending into nested models."""
    layers = []
    for layer in graph.layers:
        if layer.subgraph is not None:
            layer = replace(layer, subgraph=fix_graph_weights(layer.subgraph, path))
        elif layer.type in ("keras_migrate>LocallyConnected1D", "keras_migrate>LocallyConnected2D"):
            layer = _local_kernel(layer, path)
        layers.append(layer)
    return replace(graph, layers=tuple(layers))


_CONV_KERNEL_TYPES = frozenset({"Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "ConvLSTM2D"})


def flip_theano_kernels(graph: Graph) -> Graph:
    """Theano computed true convolution; Keras 3 backends correlate: flip spatial axes."""

    def fix(layer: Layer) -> Layer:
        if layer.subgraph is not None:
            return replace(layer, subgraph=flip_theano_kernels(layer.subgraph))
        if layer.type not in _CONV_KERNEL_TYPES:
            return layer
        new = []
        for w in layer.weights:
            if w.name in ("kernel", "recurrent_kernel"):
                rank = len(w.shape)
                w = w.then(Flip(tuple(range(rank - 2))))
            new.append(w)
        return layer.with_weights(tuple(new))

    return replace(graph, layers=tuple(fix(lay) for lay in graph.layers))
