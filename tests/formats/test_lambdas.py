"""Lambda layers recovered as IR op nodes from their stored bytecode, never running it.

Three kinds of material:

- ``data/lambdas/bytecode.json``: the same lambdas marshalled by CPython 2.7 and 3.6-3.12
  (``make_bytecode.py``, run with each installed old Python): each recoverable one must give
  back its own source text and compute, in the numpy interpreter, what a numpy evaluation
  of that source computes; the others must be refused in one line naming the layer, the
  Python version, the construct and the way out;
- ``data/lambdas/github_configs.json``: genuine Lambda configs found on public GitHub
  (Python 2.7, 3.6-3.7 and 3.8-3.10 bytecode), compared with what their files say they are;
- the ``lambda_layers`` fixtures (Keras 1.2.2, 2.0.8, 2.2.4, tf_keras; Python 3.11
  bytecode) are converted and compared by the fixture matrices; here ``inspect`` shows
  their recovered source.

Security: a lambda that would write a file is refused, and the file is never written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.errors import UnsupportedError
from keras_migrate.formats import load
from keras_migrate.formats.lambdas import recover
from keras_migrate.formats.lambdas.bytecode import read_code
from keras_migrate.formats.lambdas.stored import StoredLambdaError, decode_lambda
from keras_migrate.formats.ruleset import TranslateContext
from keras_migrate.ir.graph import flatten_structure
from keras_migrate.ir.interpreter import run_graph

DATA = Path(__file__).parent / "data" / "lambdas"
BYTECODE: dict[str, dict[str, dict[str, Any]]] = json.loads((DATA / "bytecode.json").read_text())
GITHUB: dict[str, Any] = {k: v for k, v in json.loads((DATA / "github_configs.json").read_text()).items() if not k.startswith("_")}
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PWNED = Path("/tmp/keras_migrate_pwned")


def _space_to_depth(x: np.ndarray, b: int) -> np.ndarray:
    """TF's NHWC space_to_depth, element by element."""
    n, h, w, c = x.shape
    out = np.zeros((n, h // b, w // b, b * b * c), x.dtype)
    for i in range(h // b):
        for j in range(w // b):
            for bh in range(b):
                for bw in range(b):
                    out[:, i, j, (bh * b + bw) * c : (bh * b + bw + 1) * c] = x[:, i * b + bh, j * b + bw, :]
    return out


def _l2(x: np.ndarray) -> np.ndarray:
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))


#: index in bytecode.json -> (source as recovered, numpy meaning, input shapes (list: list input)).
RECOVERABLE: dict[str, tuple[str, Callable[..., np.ndarray], Any]] = {
    "0": ("lambda x: x / 127.5 - 1.0", lambda x: x / 127.5 - 1.0, (4, 4, 3)),
    "1": ("lambda x: K.sum(x, axis=-1, keepdims=True)", lambda x: x.sum(-1, keepdims=True), (4, 4, 3)),
    "2": ("lambda x: x[:, 1:3]", lambda x: x[:, 1:3], (4, 4, 3)),
    "3": ("lambda x: K.concatenate([x[0], x[1]], axis=-1)", lambda a, b: np.concatenate([a, b], -1), [(4, 3), (4, 2)]),
    "4": (
        "lambda x: 0.5 * K.sum(K.square(K.sum(x, axis=1)) - K.sum(K.square(x), axis=1), axis=1, keepdims=True)",
        lambda x: 0.5 * np.sum(np.square(x.sum(1)) - np.square(x).sum(1), axis=1, keepdims=True),
        (5, 4),
    ),
    "5": ("lambda x: K.l2_normalize(x, axis=-1)", _l2, (4, 3)),
    "6": ("lambda x: -x ** 2 + 2.0 * K.abs(x)", lambda x: -(x**2) + 2.0 * np.abs(x), (4, 3)),
    "7": ("lambda x: tf.reduce_mean(x, axis=[1, 2])", lambda x: x.mean(axis=(1, 2)), (4, 4, 3)),
    "8": ("lambda x: K.expand_dims(x[..., 0], -1)", lambda x: x[..., 0][..., None], (4, 3)),
    "9": ("lambda x: tf.nn.space_to_depth(x, 2)", lambda x: _space_to_depth(x, 2), (4, 4, 6)),
}
#: index -> what the refusal must name.
REFUSED = {"10": "global name", "11": "global name 'open'"}
VERSIONS = sorted(BYTECODE, key=lambda v: tuple(int(p) for p in v.split(".")))


def _model_json(lambda_config: dict[str, Any], shapes: Any) -> dict[str, Any]:
    """A tf.keras 2.x functional model config: input(s) -> the Lambda."""
    shape_list = shapes if isinstance(shapes, list) else [shapes]
    names = [f"in{i}" for i in range(len(shape_list))]
    layers: list[dict[str, Any]] = [
        {"class_name": "InputLayer", "name": n, "inbound_nodes": [],
         "config": {"batch_input_shape": [None, *s], "dtype": "float32", "sparse": False, "name": n}}
        for n, s in zip(names, shape_list, strict=True)
    ]  # fmt: skip
    name = str(lambda_config.get("name") or "lam")
    layers.append(
        {"class_name": "Lambda", "name": name, "config": {**lambda_config, "name": name},
         "inbound_nodes": [[[n, 0, 0, {}] for n in names]]}
    )  # fmt: skip
    config = {"name": "m", "layers": layers, "input_layers": [[n, 0, 0] for n in names], "output_layers": [[name, 0, 0]]}
    return {"class_name": "Functional", "config": config, "keras_version": "2.4.0", "backend": "tensorflow"}


def _within(version: str, label: str) -> bool:
    """``version`` is in the range ``label`` (``3.8-3.10`` or ``3.11``) names."""
    low, _, high = label.partition("-")
    low_t, high_t, v = (tuple(int(p) for p in x.split(".")) for x in (low, high or low, version))
    return low_t <= v <= high_t


def _lambda_config(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "lam", "trainable": True, "dtype": "float32", "function": [entry["code"], entry["defaults"] or None, None],
        "function_type": "lambda", "module": "__main__", "output_shape": None, "output_shape_type": "raw",
        "output_shape_module": None, "arguments": {},
    }  # fmt: skip


def _write(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize("index", sorted(RECOVERABLE, key=int))
@pytest.mark.parametrize("version", VERSIONS)
def test_recovered_source_and_numbers_match_the_stored_lambda(version: str, index: str, tmp_path: Path) -> None:
    source, meaning, shapes = RECOVERABLE[index]
    entry = BYTECODE[version][index]
    path = _write(tmp_path, _model_json(_lambda_config(entry), shapes))
    model = load(str(path))
    sources = {lay.origin.config["keras_migrate:recovered"]["source"] for lay in model.graph.layers}
    assert sources == {source}
    labels = {lay.origin.config["keras_migrate:recovered"]["python"] for lay in model.graph.layers}
    (label,) = labels
    assert _within(version, label), f"bytecode of {version} read as Python {label}"
    rng = np.random.default_rng(int(index))
    ins = [rng.normal(size=(2, *s)).astype("float32") for s in (shapes if isinstance(shapes, list) else [shapes])]
    (got,) = flatten_structure(run_graph(model.graph, ins))
    np.testing.assert_allclose(np.asarray(got), meaning(*ins), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("index", sorted(REFUSED, key=int))
@pytest.mark.parametrize("version", VERSIONS)
def test_refusal_names_layer_version_construct_and_way_out(
    version: str, index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    PWNED.unlink(missing_ok=True)
    path = _write(tmp_path, _model_json(_lambda_config(BYTECODE[version][index]), (4, 4, 6)))
    out = tmp_path / "out.keras"
    assert cli_main(["convert", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "layer 'lam'" in err, err
    found = re.search(r"Python (\S+) bytecode", err)
    assert found is not None and _within(version, found.group(1)), err
    assert REFUSED[index] in err, err
    assert "--lambda lam=FILE.py:NAME" in err and "--custom-objects" in err, err
    assert not out.exists()
    assert not PWNED.exists(), "stored code ran"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_lambda_that_would_write_a_file_writes_nothing(version: str, tmp_path: Path) -> None:
    PWNED.unlink(missing_ok=True)
    path = _write(tmp_path, _model_json(_lambda_config(BYTECODE[version]["11"]), (3,)))
    for run in (lambda: load(str(path)), lambda: recover(decode_lambda(_lambda_config(BYTECODE[version]["11"])), None, TranslateContext("lam"))):
        with pytest.raises(UnsupportedError, match="open"):
            run()
    assert not PWNED.exists()


@pytest.mark.parametrize("name", sorted(GITHUB))
def test_genuine_configs_from_github(name: str) -> None:
    item = GITHUB[name]
    stored = decode_lambda(item["config"])
    ctx = TranslateContext("lam", "github.json")
    if "expected" in item:
        program = recover(stored, item.get("list_input"), ctx)
        assert program.source == item["expected"]
        assert program.python == item["python"]
    else:
        with pytest.raises(UnsupportedError) as info:
            recover(stored, item.get("list_input"), ctx)
        assert item["refused"] in str(info.value)
        if item["python"] != "?" and "no CPython" not in item["refused"]:
            assert f"Python {item['python']}" in str(info.value)


def test_genuine_poly_activation_computes_x_squared_plus_x(tmp_path: Path) -> None:
    config = dict(GITHUB["poly_py38"]["config"], name="lam")
    model = load(str(_write(tmp_path, _model_json(config, (6,)))))
    x = np.random.default_rng(0).normal(size=(3, 6)).astype("float32")
    (got,) = flatten_structure(run_graph(model.graph, [x]))
    np.testing.assert_allclose(np.asarray(got), x**2 + x, rtol=1e-6)


def test_keras1_raw_unicode_escape_form_is_decoded() -> None:
    import h5py

    with h5py.File(FIXTURES / "keras-1.2.2" / "lambda_layers.h5", "r") as f:
        config = json.loads(f.attrs["model_config"])
    lambdas = [lay["config"] for lay in config["config"]["layers"] if lay["class_name"] == "Lambda"]
    assert lambdas
    for cfg in lambdas:
        stored = decode_lambda(cfg)
        assert stored.encoding == "raw_unicode_escape"
        assert stored.code is not None and read_code(stored.code)


@pytest.mark.parametrize(
    ("module", "name", "expected"),
    [
        ("tf_keras.src.backend", "abs", "K.abs(x)"),
        ("keras.backend", "square", "K.square(x)"),
        ("tensorflow.python.ops.math_ops", "reduce_sum", "tf.math.reduce_sum(x)"),
        ("tensorflow.python.ops.gen_nn_ops", "relu", "tf.nn.relu(x)"),
    ],
)
def test_function_stored_by_name_is_a_library_function(module: str, name: str, expected: str) -> None:
    stored = decode_lambda({"function": name, "function_type": "function", "module": module})
    assert recover(stored, None, TranslateContext("lam")).source == expected


def test_function_stored_by_name_from_user_code_is_refused() -> None:
    config = {"function": "preprocess", "function_type": "function", "module": "__main__"}
    with pytest.raises(UnsupportedError, match=r"__main__\.preprocess.*--lambda lam=FILE\.py:NAME"):
        recover(decode_lambda(config), None, TranslateContext("lam"))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"function": ["not base64 !", None, None], "function_type": "lambda"}, "marshalled code"),
        ({"function": 3, "function_type": "lambda"}, "not stored code"),
        ({"function": ["4wEA", None, None], "function_type": "lambda", "arguments": [1]}, "arguments"),
        ({"function": ["4wEA", None, None], "function_type": "lambda", "mask": ["4wEA", None, None]}, "mask"),
    ],
)
def test_malformed_stored_forms(config: dict[str, Any], message: str) -> None:
    with pytest.raises(StoredLambdaError, match=message):
        decode_lambda(config)


def test_inspect_prints_each_recovered_lambda_as_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["inspect", str(FIXTURES / "keras-2.2.4" / "lambda_layers.h5")]) == 0
    out = capsys.readouterr().out
    assert "recovered Lambda layers (bytecode read, never run):" in out
    assert "scale: lambda t: t / 127.5 - 1.0  # Python 3.11" in out
    assert "fm: lambda t: 0.5 * K.sum(t[0] - t[1], axis=1, keepdims=True)" in out
    assert "several: def _several(x): return K.abs(K.square(x) * 2.0 - K.mean(x, axis=-1, keepdims=True))" in out


def test_keras3_lambda_form_is_decoded() -> None:
    entry = BYTECODE["3.11"]["0"]
    function = {"class_name": "__lambda__", "config": {"code": entry["code"], "defaults": None, "closure": None}}
    stored = decode_lambda({"function": function, "arguments": {}})
    assert recover(stored, None, TranslateContext("lam")).source == "lambda x: x / 127.5 - 1.0"


def _code_of(source: str, name: str = "<lambda>") -> str:
    """Base64 marshal of the code object called ``name`` compiled (not run) from ``source``."""
    import base64
    import marshal
    import types

    def find(code: types.CodeType) -> types.CodeType | None:
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                if const.co_name == name:
                    return const
                inner = find(const)
                if inner is not None:
                    return inner
        return None

    found = find(compile(source, "<test>", "exec"))
    assert found is not None
    return base64.b64encode(marshal.dumps(found)).decode("ascii")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("f = lambda x: x if x else -x", "POP_JUMP"),
        ("f = lambda x: x.shape", "the attribute x.shape"),
        ("f = lambda x: [x, 2.0]", "not one tensor or a list of tensors"),
        ("f = lambda x: tf.unstack(x, axis=1)", "whose length the call does not give"),
        ("f = lambda x: (lambda y: y)(x)", "code object"),
        ("f = lambda x: x[:, : K.int_shape(x)[1]]", "K.int_shape"),
        ("f = lambda x: tf.nn.depth_to_space(x, 2)", "tf.nn.depth_to_space(x, 2)"),
        ("f = lambda *x: x[0]", "*args"),
        ("f = lambda x: abs(x)", "global name 'abs'"),
    ],
)
def test_constructs_outside_the_allowlist_are_refused(source: str, message: str) -> None:
    stored = decode_lambda({"function": [_code_of(source), None, None], "function_type": "lambda"})
    with pytest.raises(UnsupportedError, match=re.escape(message)) as info:
        recover(stored, None, TranslateContext("lam", "m.h5"))
    assert "Python 3.11" in str(info.value)


@pytest.mark.parametrize(
    ("source", "closure", "expected", "meaning"),
    [
        ("f = lambda x: x[:, None, ::-1]", None, "lambda x: x[:, None, ::-1]", lambda x: x[:, None, ::-1]),
        ("f = lambda x: x * np.pi", None, "lambda x: x * 3.141592653589793", lambda x: x * np.pi),
        ("def outer():\n    s = 3.0\n    return lambda x: x * s - s", [3.0], "lambda x: x * 3.0 - 3.0", lambda x: x * 3.0 - 3.0),
        ("f = lambda x: 1.0 - (x - 2.0) / (x * x + 1.0)", None, "lambda x: 1.0 - (x - 2.0) / (x * x + 1.0)",
         lambda x: 1.0 - (x - 2.0) / (x * x + 1.0)),
    ],
)  # fmt: skip
def test_more_constructs_recover_exactly(
    source: str, closure: list[float] | None, expected: str, meaning: Callable[[np.ndarray], np.ndarray], tmp_path: Path
) -> None:
    config = {"name": "lam", "function": [_code_of(source), None, closure], "function_type": "lambda", "arguments": {}}
    model = load(str(_write(tmp_path, _model_json(config, (4, 3)))))
    (record,) = {lay.origin.config["keras_migrate:recovered"]["source"] for lay in model.graph.layers}
    assert record == expected
    x = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")
    (got,) = flatten_structure(run_graph(model.graph, [x]))
    np.testing.assert_allclose(np.asarray(got), meaning(x), rtol=1e-5, atol=1e-6)


def test_the_lambda_reader_has_no_way_to_run_code() -> None:
    """No module of formats/lambdas calls exec/eval/compile, unmarshals with the running
    Python (``marshal.loads``), builds a function from a code object or imports by name."""
    import ast

    package = Path(__file__).resolve().parents[2] / "keras_migrate" / "formats" / "lambdas"
    forbidden = {"exec", "eval", "compile", "__import__", "FunctionType", "loads", "load", "import_module"}
    found = []
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                regex = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "re"
                if name in forbidden and not regex:
                    found.append(f"{path.name}:{node.lineno} {name}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if any(n in ("marshal", "types", "pickle", "importlib") for n in names):
                    found.append(f"{path.name}:{node.lineno} imports {names}")
    assert found == []


def test_assumed_floating_dtype_is_shown_and_refused_on_integer_inputs(tmp_path: Path) -> None:
    config = {"name": "lam", "function": [_code_of("f = lambda x: K.mean(x, axis=1)"), None, None],
              "function_type": "lambda", "arguments": {}}  # fmt: skip
    model = load(str(_write(tmp_path, _model_json(config, (4, 3)))))
    (record,) = {lay.origin.config["keras_migrate:recovered"].get("assumes") for lay in model.graph.layers}
    assert record is not None and "floating dtype" in record
    as_int = _model_json(config, (4, 3))
    as_int["config"]["layers"][0]["config"]["dtype"] = "int32"
    with pytest.raises(UnsupportedError, match="holds only if x has a floating dtype"):
        load(str(_write(tmp_path, as_int)))


@pytest.mark.parametrize(
    ("source", "outputs", "expected", "meanings"),
    [
        ("f = lambda x: [x * 2.0, -x]", [0, 1], "lambda x: [x * 2.0, -x]", [lambda x: x * 2.0, lambda x: -x]),
        ("f = lambda x: (x, x + 1.0)", [1], "lambda x: (x, x + 1.0)", [lambda x: x + 1.0]),
        ("f = lambda x: tf.split(x, 3, axis=-1)", [2, 0], "lambda x: tf.split(x, 3, axis=-1)",
         [lambda x: x[..., 4:], lambda x: x[..., :2]]),
        ("f = lambda x: tf.split(x, 3, axis=-1)[::-1]", [0], "lambda x: [tf.split(x, 3, axis=-1)[2], "
         "tf.split(x, 3, axis=-1)[1], tf.split(x, 3, axis=-1)[0]]", [lambda x: x[..., 4:]]),
        ("f = lambda x: tf.split(x, 2, axis=1)[1] * 2.0", [0], "lambda x: tf.split(x, 2, axis=1)[1] * 2.0",
         [lambda x: x[:, 2:] * 2.0]),
    ],
)  # fmt: skip
def test_a_lambda_returning_a_list_has_one_output_per_element(
    source: str, outputs: list[int], expected: str, meanings: list[Callable[[np.ndarray], np.ndarray]], tmp_path: Path
) -> None:
    """The model's references pick the Lambda's outputs (Keras numbers a layer's outputs
    by the list its call returns), in any order; a list op (tf.split) inside is a TFOp."""
    config = _model_json({"name": "lam", "function": [_code_of(source), None, None], "function_type": "lambda", "arguments": {}}, (4, 6))
    config["config"]["output_layers"] = [["lam", 0, i] for i in outputs]
    model = load(str(_write(tmp_path, config)))
    sources = {lay.origin.config["keras_migrate:recovered"]["source"] for lay in model.graph.layers}
    assert sources == {expected}
    x = np.random.default_rng(2).normal(size=(2, 4, 6)).astype("float32")
    got = flatten_structure(run_graph(model.graph, [x]))
    assert len(got) == len(meanings)
    for value, meaning in zip(got, meanings, strict=True):
        np.testing.assert_allclose(np.asarray(value), meaning(x), rtol=1e-5, atol=1e-6)


def test_a_model_using_more_outputs_than_the_lambda_returns_is_refused(tmp_path: Path) -> None:
    config = _model_json({"name": "lam", "function": [_code_of("f = lambda x: [x, -x]"), None, None], "function_type": "lambda"}, (3,))
    config["config"]["output_layers"] = [["lam", 0, 0], ["lam", 0, 2]]
    with pytest.raises(UnsupportedError, match=r"uses 3 outputs of this Lambda, but its function returns 2 tensors") as info:
        load(str(_write(tmp_path, config)))
    assert "layer 'lam'" in str(info.value) and "--lambda lam=" in str(info.value)
