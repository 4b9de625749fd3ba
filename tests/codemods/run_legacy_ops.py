"""Check every entry of the legacy-op table against the legacy implementation (one backend).

Run in a subprocess with KERAS_BACKEND set. For each sample call of each entry
(``legacy_samples.py``): the legacy function (tf_keras's backend, TensorFlow) runs on
TensorFlow tensors; the entry's case chosen for the call runs through
``template.evaluate`` over ``keras.ops`` on the selected backend; values (rtol 1e-5),
shapes and dtypes are compared (random ops: shape and dtype). Functions tf_keras dropped
(Keras 1/2 only: ``slice``, ``lesser``, ``asymmetric_*_padding``, ``separable_conv1d``...)
are checked against the TensorFlow calls Keras 1.2.2/2.2.4's tensorflow_backend made. Prints one JSON line per
entry: {"name", "status": "ok"|"fail"|"followup"|"nosample"|"untested", "samples", "error"}.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

import numpy as np


def _array(spec: Any, rng: np.random.Generator) -> np.ndarray:
    shape, dtype, kind, high = spec.shape, spec.dtype, spec.kind, spec.high
    if kind == "bool":
        return rng.random(shape) > 0.5
    if kind == "int":
        return rng.integers(0, high, size=shape).astype(dtype)
    if kind == "positive_int":
        return rng.integers(1, high, size=shape).astype(dtype)
    if kind == "sorted":
        return np.sort(rng.integers(0, high, size=shape)).astype(dtype)
    if kind == "unit":
        return rng.uniform(0.05, 0.95, size=shape).astype(dtype)
    if kind == "positive":
        return (np.abs(rng.normal(size=shape)) + 0.1).astype(dtype)
    if kind == "probs":
        raw = rng.uniform(0.1, 1.0, size=shape)
        return (raw / raw.sum(axis=-1, keepdims=True)).astype(dtype)
    if kind == "onehot":
        return np.eye(high, dtype=dtype)[rng.integers(0, high, size=shape[:-1])]
    return rng.normal(size=shape).astype(dtype)


def _realize(value: Any, rng: np.random.Generator, tensor: Any, variable: Any, function: Any) -> Any:
    from tests.codemods.legacy_samples import A, Fn, N, Thunk, V

    if isinstance(value, N):
        return _array(value.array, rng)
    if isinstance(value, A):
        return tensor(_array(value, rng))
    if isinstance(value, V):
        return variable(_array(value.array, rng))
    if isinstance(value, Fn):
        return function(value.name)
    if isinstance(value, Thunk):
        made = tensor(_array(value.array, rng))
        return lambda: made
    if isinstance(value, list):
        return [_realize(v, rng, tensor, variable, function) for v in value]
    return value


def _numpy(value: Any, convert: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_numpy(v, convert) for v in value]
    if isinstance(value, (str, bool, np.ndarray)) or value is None:
        return value
    if isinstance(value, (int, float)):
        return np.asarray(value)
    return np.asarray(convert(value))


def _compare(expected: Any, got: Any, random: bool, where: str, narrowed: list[str]) -> None:
    """Equal values, shapes and dtypes. Integer widths are compared by kind (torch indexes
    in int64, jax has no int64 without x64, TF used int32); a float64 result that the
    backend (jax without x64, some torch ops) gives as float32 is compared at float32
    tolerance and recorded in ``narrowed``."""
    if isinstance(expected, np.ndarray) and isinstance(got, list):
        got = np.asarray(got, dtype=expected.dtype)  # ops.shape's tuple, indexed
    if isinstance(expected, list) or isinstance(got, list):
        assert isinstance(expected, list) and isinstance(got, list), f"{where}: {type(expected)} vs {type(got)}"
        assert len(expected) == len(got), f"{where}: {len(expected)} vs {len(got)} results"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            _compare(e, g, random, f"{where}[{i}]", narrowed)
        return
    if isinstance(expected, (str, bool)) or isinstance(got, (str, bool)) or expected is None:
        assert expected == got, f"{where}: {expected!r} vs {got!r}"
        return
    assert expected.shape == got.shape, f"{where}: shape {expected.shape} vs {got.shape}"
    tol = 1e-3 if expected.dtype == np.float16 else 1e-5
    if expected.dtype != got.dtype and expected.dtype == np.float64 and got.dtype == np.float32:
        narrowed.append(where)
        tol = 1e-4
    else:
        same_kind = expected.dtype.kind in "iu" and got.dtype.kind in "iu"
        assert same_kind or expected.dtype == got.dtype, f"{where}: dtype {expected.dtype} vs {got.dtype}"
    if not random:
        if expected.dtype.kind in "biu":
            np.testing.assert_array_equal(got, expected, err_msg=where)
        else:
            np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=where)


def _legacy_function(name: str) -> Any:
    import tensorflow as tf
    import tf_keras

    K = tf_keras.backend
    def separable_conv1d(x, dk, pk, strides=1, padding="valid", data_format=None, dilation_rate=1):
        # Keras 2.2.4's: the 1-D convolution as a 2-D one over an inserted axis
        out = K.separable_conv2d(
            tf.expand_dims(x, 1), tf.expand_dims(dk, 0), tf.expand_dims(pk, 0),
            (1, strides), padding, data_format, (1, dilation_rate),
        )
        return tf.squeeze(out, 1)

    keras2_only = {
        "lesser": tf.less,
        "lesser_equal": tf.less_equal,
        "asymmetric_temporal_padding": lambda x, left_pad=1, right_pad=1: tf.pad(
            x, [[0, 0], [left_pad, right_pad], [0, 0]]
        ),
        "asymmetric_spatial_2d_padding": lambda x, top_pad=1, bottom_pad=1, left_pad=1, right_pad=1, dim_ordering="default": tf.pad(
            x,
            [[0, 0], [top_pad, bottom_pad], [left_pad, right_pad], [0, 0]]
            if dim_ordering == "tf"
            else [[0, 0], [0, 0], [top_pad, bottom_pad], [left_pad, right_pad]],
        ),
        "separable_conv1d": separable_conv1d,
        "logsumexp": tf.reduce_logsumexp,
        "slice": tf.slice,
        "identity": tf.identity,
        "is_tensor": tf.is_tensor,
        "get_variable_shape": K.int_shape,
    }
    if name.startswith("keras.backend."):
        short = name.rsplit(".", 1)[1]
        return keras2_only[short] if short in keras2_only else getattr(K, short)
    path = name[len("tf.") :]
    target: Any = tf
    try:
        for part in path.split("."):
            target = getattr(target, part)
    except AttributeError:
        target = tf.compat.v1
        for part in path.split("."):
            target = getattr(target, part)
    return target


def main() -> int:
    import keras
    import tensorflow as tf

    from keras_migrate.ir.ops.legacy import all_ops
    from keras_migrate.ir.ops.legacy.template import bind, evaluate, select_case
    from tests.codemods.legacy_samples import UNTESTED, samples_for

    namespace = {
        "ops": keras.ops,
        "random": keras.random,
        "activations": keras.activations,
        "config": keras.config,
        "Variable": keras.Variable,
        "name_scope": keras.name_scope,
    }
    failures = 0
    for index, op in enumerate(all_ops()):
        record: dict[str, Any] = {"name": op.name, "samples": 0, "error": None, "narrowed": 0}
        narrowed: list[str] = []
        if not op.cases:
            try:
                _legacy_function(op.name)
                record["status"] = "followup"
            except AttributeError:
                record["status"] = "followup-no-legacy"
            print(json.dumps(record), flush=True)
            continue
        if op.name in UNTESTED:
            record["status"] = "untested"
            print(json.dumps(record), flush=True)
            continue
        samples = samples_for(op.name, op.names, tuple(p.name for p in op.params if p.required))
        if samples is None:
            record["status"] = "nosample"
            print(json.dumps(record), flush=True)
            continue
        status = "ok"
        legacy = _legacy_function(op.name)
        for i, sample in enumerate(samples):
            where = f"{op.name} sample {i} {sample.args!r} {sample.kwargs!r}"
            try:
                seed = 1000 * index + i
                side_legacy = {
                    "tensor": tf.constant,
                    "variable": tf.Variable,
                    "function": lambda n: getattr(tf.math, n),
                }
                side_keras = {
                    "tensor": keras.ops.convert_to_tensor,
                    "variable": keras.Variable,
                    "function": lambda n: getattr(keras.ops, n),
                }
                largs_rng = np.random.default_rng(seed)
                largs = [_realize(a, largs_rng, **side_legacy) for a in sample.args]
                kargs_rng = np.random.default_rng(seed)
                kargs = [_realize(a, kargs_rng, **side_keras) for a in sample.args]
                rng = np.random.default_rng(seed + 500)
                lkw = {k: _realize(v, rng, **side_legacy) for k, v in sample.kwargs.items()}
                rng = np.random.default_rng(seed + 500)
                kkw = {k: _realize(v, rng, **side_keras) for k, v in sample.kwargs.items()}
                expected_value = legacy(*largs, **lkw)
                bound = bind(op, tuple(kargs), kkw)
                case = select_case(op, bound, sample.context)
                if case is None:
                    raise AssertionError(f"{where}: no case holds")
                got_value = evaluate(op, case, namespace, bound)
                if sample.compare == "arg0":
                    expected_value, got_value = largs[0], kargs[0]
                expected = _numpy(expected_value, lambda v: v.numpy() if hasattr(v, "numpy") else v)
                got = _numpy(got_value, keras.ops.convert_to_numpy)
                _compare(expected, got, op.random, where, narrowed)
                record["samples"] += 1
            except Exception:  # report every failure of the entry, keep going
                status = "fail"
                record["error"] = (record["error"] or "") + traceback.format_exc(limit=2)[-1500:]
        record["status"] = status
        record["narrowed"] = len(narrowed)
        failures += status == "fail"
        print(json.dumps(record), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
