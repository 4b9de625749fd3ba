"""tf.keras preprocessing layers: rules, numpy kernels, vocabulary recovery, verification.

* The pure-Python FarmHash ``Fingerprint64`` and SipHash-2-4, TF's resize matrices and the
  lookup/text/hashing kernels are checked against TensorFlow and tf_keras themselves
  (computed in a subprocess, so this process imports no framework), on tables of cases.
* Rules translate each class to Keras 3 and refuse what cannot convert exactly.
* Vocabularies are recovered per form, and forms that do not hold them are refused
  naming the layer (the fixtures' ``refused_forms``), with exit code 2 and no output.
* Verification makes string inputs from the vocabularies, compares string outputs, and
  says when Keras 3 cannot run string inputs on a backend.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.errors import UnsupportedError
from keras_migrate.formats.ruleset import TranslateContext, translate_layer
from keras_migrate.formats.tfkeras.preprocessing import (
    parse_vocabulary_lines,
    resolve_vocabularies,
    strip_special_tokens,
)
from keras_migrate.ir.graph import GraphBuilder, Layer, LayerOrigin, Model, TensorType
from keras_migrate.ir.interpreter import run_graph
from keras_migrate.ir.interpreter.kernels._string_hash import fingerprint64, siphash24
from keras_migrate.ir.interpreter.kernels.preprocessing import resize_images
from keras_migrate.ir.ops.tf import TFRESIZING_TYPE
from keras_migrate.ir.weights import Weight
from keras_migrate.verification import diff
from keras_migrate.verification.inputs import make_inputs
from tests.conftest import FIXTURES

GENERATION = FIXTURES / "tf-keras-2.21"
_RNG = np.random.default_rng(7)
HASH_STRINGS = [b""] + [bytes(_RNG.integers(0, 256, n).astype(np.uint8)) for n in range(1, 200)] + ["héllo".encode()]
SALTS = [(1, 2), (1337, 1337), (2**40 + 3, 99)]
IMAGE = _RNG.standard_normal((2, 7, 9, 3)).astype(np.float32)
RESIZES = [
    (method, h, w, crop)
    for method in ("bilinear", "nearest", "bicubic")
    for h, w in ((4, 5), (11, 13), (5, 12), (3, 3))
    for crop in (False, True)
]

#: (case id, tf_keras constructor source, input array) -> our kernel must equal tf_keras.
LAYER_CASES: list[tuple[str, str, Any]] = [
    ("string_int_mask_oov3", "StringLookup(vocabulary=['a', 'b', 'c'], mask_token='', num_oov_indices=3)",
     np.array([["a", "", "zz"], ["c", "q", "b"]])),
    ("string_invert", "StringLookup(vocabulary=['a', 'b', 'c'], invert=True, mask_token='[M]')",
     np.array([[0, 1, 2], [3, 4, 9]], dtype="int64")),
    ("string_count_special", "StringLookup(vocabulary=['[UNK]', 'a', 'b'], output_mode='count')",
     np.array([["a", "a", "x"], ["b", "b", "b"]])),
    ("string_tfidf_pad", "StringLookup(vocabulary=['a', 'b'], output_mode='tf_idf', idf_weights=[0.5, 2.0], "
     "max_tokens=6, pad_to_max_tokens=True)", np.array([["a", "b", "x"], ["b", "b", "a"]])),
    ("integer_oov2_mask", "IntegerLookup(vocabulary=[5, 7, 11], mask_token=0, num_oov_indices=2)",
     np.array([[5, 0, -3], [12, 7, 13]], dtype="int64")),
    ("integer_invert", "IntegerLookup(vocabulary=[5, 7, 11], invert=True)", np.array([[0, 1, 2, 3, 8]], dtype="int64")),
    ("integer_one_hot", "IntegerLookup(vocabulary=[5, 7, 11], output_mode='one_hot')", np.array([[5], [9]], dtype="int64")),
    ("hash_int_mask", "Hashing(num_bins=7, mask_value=3)", np.array([[3, -4, 1000000007]], dtype="int64")),
    ("hash_str_count", "Hashing(num_bins=5, salt=[3, 4], output_mode='count')", np.array([["a", "bb", ""], ["x", "x", "y"]])),
    ("category_count", "CategoryEncoding(num_tokens=4, output_mode='count')", np.array([[0, 3, 3], [1, 1, 2]])),
    ("text_whitespace_bigrams", "TextVectorization(vocabulary=['the', 'cat', 'the cat'], ngrams=2)",
     np.array(["The cat, THE cat!", "", "dog\tthe  cat"])),
    ("text_character", "TextVectorization(vocabulary=list('abc'), split='character', standardize=None, "
     "output_sequence_length=4)", np.array(["abcab", "xa"])),
    ("text_strip_only", "TextVectorization(vocabulary=['Hi', 'there'], standardize='strip_punctuation', "
     "output_mode='multi_hot')", np.array(["Hi, there!", "hi there"])),
    ("text_no_split", "TextVectorization(vocabulary=['a b', 'c'], split=None, output_sequence_length=2)",
     np.array([["A B"], ["c"]])),
]

_REFERENCE_SCRIPT = """
import json, sys
import numpy as np
import tensorflow as tf, tf_keras as k
req = json.load(open(sys.argv[1]))
out = {}
strings = [bytes.fromhex(h) for h in req["strings"]]
big = (1 << 63) - 1
out["fast"] = tf.strings.to_hash_bucket_fast(tf.constant(strings), big).numpy()
for i, (a, b) in enumerate(req["salts"]):
    out[f"strong{i}"] = tf.strings.to_hash_bucket_strong(tf.constant(strings), big, [a, b]).numpy()
image = np.load(req["image"])
for method, h, w, crop in req["resizes"]:
    layer = k.layers.Resizing(h, w, interpolation=method, crop_to_aspect_ratio=crop)
    out[f"resize_{method}_{h}_{w}_{crop}"] = layer(image).numpy()
arrays = np.load(req["layer_inputs"])
for name, source in req["layers"]:
    layer = eval("k.layers." + source)
    y = layer(arrays[name]).numpy()
    out["layer_" + name] = y.astype(str) if y.dtype.kind in "OS" else y
np.savez(req["out"], **out)
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """TensorFlow's and tf_keras' results for every table above (one subprocess)."""
    pytest.importorskip("tf_keras")
    work = tmp_path_factory.mktemp("tf_reference")
    np.save(work / "image.npy", IMAGE)
    np.savez(work / "inputs.npz", **{name: x for name, _, x in LAYER_CASES})
    req = {
        "strings": [s.hex() for s in HASH_STRINGS],
        "salts": SALTS,
        "image": str(work / "image.npy"),
        "resizes": RESIZES,
        "layer_inputs": str(work / "inputs.npz"),
        "layers": [(name, source) for name, source, _ in LAYER_CASES],
        "out": str(work / "out.npz"),
    }
    (work / "req.json").write_text(json.dumps(req))
    (work / "ref.py").write_text(textwrap.dedent(_REFERENCE_SCRIPT))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, str(work / "ref.py"), str(work / "req.json")], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with np.load(work / "out.npz") as data:
        return {key: data[key] for key in data.files}


# --------------------------------------------------------------------------- TF algorithms


def test_fingerprint64_matches_tensorflow(reference: dict[str, np.ndarray]) -> None:
    big = (1 << 63) - 1
    assert [fingerprint64(s) % big for s in HASH_STRINGS] == reference["fast"].tolist()


@pytest.mark.parametrize("index", range(len(SALTS)))
def test_siphash_matches_tensorflow(index: int, reference: dict[str, np.ndarray]) -> None:
    big = (1 << 63) - 1
    a, b = SALTS[index]
    assert [siphash24(a, b, s) % big for s in HASH_STRINGS] == reference[f"strong{index}"].tolist()


@pytest.mark.parametrize(("method", "height", "width", "crop"), RESIZES)
def test_resize_matches_tf_image_resize(method: str, height: int, width: int, crop: bool, reference: dict[str, np.ndarray]) -> None:
    got = resize_images(IMAGE, height, width, method, crop)
    np.testing.assert_allclose(got, reference[f"resize_{method}_{height}_{width}_{crop}"], rtol=1e-5, atol=1e-6)


def _single_layer(class_name: str, config: dict[str, Any], x: np.ndarray) -> Model:
    ltype, cfg = translate_layer(class_name, config, TranslateContext(layer_name="layer", generation="tf.keras"))
    weights: tuple[Weight, ...] = ()
    if cfg.get("idf_weights") is not None:  # tf_keras pads the given idf weights with their mean
        idf = list(cfg["idf_weights"])
        n = int(cfg.get("max_tokens") or 0)
        padded = [float(np.mean(idf))] * int(cfg.get("num_oov_indices", 1)) + idf
        weights = (Weight.of("idf_weights", np.asarray(padded + [0.0] * max(0, n - len(padded)), np.float32), trainable=False),)
    b = GraphBuilder("m")
    dtype = "string" if x.dtype.kind == "U" else str(x.dtype)
    ref = b.add_input("x", TensorType((None, *x.shape[1:]), dtype))
    b.add_layer(Layer("layer", ltype, cfg, weights, origin=LayerOrigin(class_name, "layer", config)))
    (out,) = b.call("layer", (ref,))
    b.input_structure, b.output_structure = "x", out.name
    return Model(b.build())


def _tf_keras_config(source: str) -> tuple[str, dict[str, Any]]:
    """The class and keyword arguments of a constructor call in :data:`LAYER_CASES`."""
    import ast

    call = ast.parse(source, mode="eval").body
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
    kwargs: dict[str, Any] = {}
    for kw in call.keywords:
        value = kw.value
        # list('abc') is the one call the table uses
        kwargs[str(kw.arg)] = list(ast.literal_eval(value.args[0])) if isinstance(value, ast.Call) else ast.literal_eval(value)
    return call.func.id, kwargs


@pytest.mark.parametrize(("name", "source", "x"), LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_kernel_matches_tf_keras(name: str, source: str, x: np.ndarray, reference: dict[str, np.ndarray]) -> None:
    class_name, config = _tf_keras_config(source)
    got = run_graph(_single_layer(class_name, config, x).graph, [x])
    expected = reference[f"layer_{name}"]
    if expected.dtype.kind in "US":
        assert got.astype(str).tolist() == expected.astype(str).tolist()
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("class_name", "config", "expected_type", "expected"),
    [
        ("Resizing", {"height": 3, "width": 4}, "Resizing",
         {"height": 3, "width": 4, "interpolation": "bilinear", "crop_to_aspect_ratio": False, "data_format": "channels_last"}),
        ("Resizing", {"height": 3, "width": 4, "interpolation": "bicubic", "crop_to_aspect_ratio": True}, TFRESIZING_TYPE,
         {"interpolation": "bicubic", "crop_to_aspect_ratio": True}),
        ("CenterCrop", {"height": 2, "width": 5, "dtype": "float32"}, "CenterCrop", {"height": 2, "width": 5}),
        ("CategoryEncoding", {"num_tokens": 4, "output_mode": "binary", "sparse": False}, "CategoryEncoding",
         {"num_tokens": 4, "output_mode": "multi_hot"}),
        ("Hashing", {"num_bins": 3, "salt": 5}, "Hashing", {"salt": [5, 5], "output_mode": "int"}),
        ("StringLookup", {"vocabulary": ["", "[UNK]", "a"], "mask_token": "", "vocabulary_size": 3}, "StringLookup",
         {"vocabulary": ["a"], "encoding": "utf-8"}),
        ("IntegerLookup", {"vocabulary": [-1, 4], "vocabulary_dtype": "int64"}, "IntegerLookup",
         {"vocabulary": [4], "oov_token": -1, "vocabulary_dtype": "int64"}),
        ("StringLookup", {"vocabulary": None}, "StringLookup", {"vocabulary": None}),
        ("TextVectorization", {"vocabulary": ["", "[UNK]", "x"], "ngrams": [1, 3], "output_sequence_length": 4},
         "TextVectorization",
         {"vocabulary": ["x"], "ngrams": [1, 3], "standardize": "lower_and_strip_punctuation", "split": "whitespace"}),
    ],
)
def test_rules(class_name: str, config: dict[str, Any], expected_type: str, expected: dict[str, Any]) -> None:
    ltype, cfg = translate_layer(class_name, config, TranslateContext(layer_name="l", generation="tf.keras"))
    assert ltype == expected_type
    assert {k: cfg.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("class_name", "config", "message"),
    [
        ("Resizing", {"height": 3, "width": 4, "interpolation": "area"}, "no exact Keras 3 equivalent"),
        ("Resizing", {"height": 3, "width": 4, "interpolation": "lanczos3"}, "no exact Keras 3 equivalent"),
        ("CategoryEncoding", {"num_tokens": 3, "sparse": True}, "sparse=True"),
        ("Hashing", {"num_bins": 3, "output_mode": "tf_idf"}, "output_mode='tf_idf' is not supported"),
        ("StringLookup", {"vocabulary": ["a"], "invert": True, "output_mode": "count"}, "invert=True needs"),
        ("StringLookup", {"vocabulary": ["a"], "encoding": "latin-1"}, "encoding='latin-1'"),
        ("IntegerLookup", {"vocabulary": [1], "vocabulary_dtype": "int32"}, "only int64"),
        ("TextVectorization", {"standardize": "my_module>clean"}, "custom function"),
        ("TextVectorization", {"split": {"class_name": "split_fn"}}, "custom function"),
        ("TextVectorization", {"ragged": True}, "ragged=True"),
    ],
)
def test_refusals_name_the_setting(class_name: str, config: dict[str, Any], message: str) -> None:
    with pytest.raises(UnsupportedError) as info:
        translate_layer(class_name, config, TranslateContext(layer_name="the_layer", generation="tf.keras"))
    assert message in str(info.value) and "the_layer" in str(info.value)


@pytest.mark.parametrize(
    ("cfg", "tokens", "expected"),
    [
        ({"mask_token": "", "oov_token": "[UNK]", "num_oov_indices": 1, "output_mode": "int"}, ["", "[UNK]", "a"], ["a"]),
        ({"mask_token": "", "oov_token": "[UNK]", "num_oov_indices": 1, "output_mode": "count"}, ["[UNK]", "a"], ["a"]),
        ({"mask_token": None, "oov_token": "[UNK]", "num_oov_indices": 2, "output_mode": "int"}, ["[UNK]", "a"], ["[UNK]", "a"]),
        ({"mask_token": None, "oov_token": -1, "num_oov_indices": 0, "output_mode": "int"}, [3, 4], [3, 4]),
    ],
)
def test_special_tokens_are_stripped_only_when_all_present(cfg: dict[str, Any], tokens: list[Any], expected: list[Any]) -> None:
    assert strip_special_tokens(cfg, tokens)[0] == expected


@pytest.mark.parametrize(
    ("text", "strings", "file", "expected"),
    [
        ("\n[UNK]\na b\nc", True, False, ["", "[UNK]", "a b", "c"]),
        ("red\r\ngreen\nblue\n", True, True, ["red", "green", "blue"]),
        ("-1\n7\n42", False, False, [-1, 7, 42]),
    ],
)
def test_vocabulary_text(text: str, strings: bool, file: bool, expected: list[Any]) -> None:
    assert parse_vocabulary_lines(text, strings=strings, file=file) == expected


# --------------------------------------------------------------------------- recovery per form


def _manifest() -> dict[str, Any]:
    cases: dict[str, Any] = json.loads((GENERATION / "manifest.json").read_text())["cases"]
    return cases


FORM_ARGS = {
    "h5": ("{c}.h5", None),
    "json": ("{c}.json", "{c}_weights.h5"),
    "savedmodel": ("{c}.savedmodel", None),
    "json+ckpt": ("{c}.json", "{c}_ckpt/ckpt"),
    "tfk.keras": ("{c}.tfk.keras", None),
}
REFUSED = [
    (name, form, text)
    for name, meta in sorted(_manifest().items())
    for form, text in meta.get("refused_forms", {}).items()
    # custom-class cases are refused for their classes (tests/conversion/test_unknown_classes.py)
    if "unknown layer classes" not in text
]


@pytest.mark.parametrize(("name", "form", "text"), REFUSED, ids=[f"{n}/{f}" for n, f, _ in REFUSED])
def test_forms_without_the_vocabulary_are_refused(name: str, form: str, text: str, tmp_path: Path) -> None:
    model, weights = FORM_ARGS[form]
    out = tmp_path / "out.keras"
    argv = ["convert", str(GENERATION / model.format(c=name)), "-o", str(out)]
    if weights:
        argv += ["--weights", str(GENERATION / weights.format(c=name))]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli_main(argv)
    assert code == 2
    assert not out.exists()
    assert text in err.getvalue(), err.getvalue()
    assert any(cls in err.getvalue() for cls in ("StringLookup", "IntegerLookup", "TextVectorization"))


def test_adapted_cases_have_no_hdf5_forms() -> None:
    """tf_keras cannot write adapted lookup layers to HDF5, so those fixtures have none (an
    adapted Discretization can: its adapt summary is an ordinary weight)."""
    lookups = {"StringLookup", "IntegerLookup", "TextVectorization"}
    adapted = {n: m for n, m in _manifest().items() if n.endswith("_adapted") and lookups & set(m["layers"])}
    assert len(adapted) >= 3
    for name, meta in adapted.items():
        assert f"{name}.h5" not in meta["files"] and f"{name}.savedmodel" in meta["files"]


def test_vocabulary_resolution_refuses_without_a_source() -> None:
    model = _single_layer("StringLookup", {"vocabulary": None}, np.array([["a"]]))
    with pytest.raises(UnsupportedError, match=r"adapted vocabulary, which an \.h5 file does not store"):
        resolve_vocabularies(model.graph, None, path="m.h5", what="an .h5 file")


class _Source:
    what = "the test source"

    def adapted(self, layer: Layer) -> list[Any] | None:
        return ([""] if layer.config.get("mask_token") is not None else []) + ["[UNK]", "x", "y"]

    def vocabulary_file(self, layer: Layer, path: str) -> list[Any] | None:
        return ["[UNK]", "f"]


@pytest.mark.parametrize(
    ("config", "expected_vocabulary", "expected_idf"),
    [
        ({"vocabulary": None, "mask_token": ""}, ["x", "y"], None),
        ({"vocabulary": "/some/file.txt"}, ["[UNK]", "f"], None),  # a file's lines are kept as they are
        ({"vocabulary": None, "output_mode": "tf_idf"}, ["x", "y"], [0.5, 0.25]),
    ],
)
def test_vocabulary_resolution_fills_config(config: dict[str, Any], expected_vocabulary: list[str], expected_idf: Any) -> None:
    model = _single_layer("StringLookup", {"vocabulary": None, **{k: v for k, v in config.items() if k != "vocabulary"}},
                          np.array([["a"]]))
    layer = model.graph.layers[0]
    layer = Layer(layer.name, layer.type, layer.config, (Weight.of("idf_weights", np.asarray([9.0, 0.5, 0.25, 7.0], np.float32)),)
                  if config.get("output_mode") == "tf_idf" else (), origin=LayerOrigin("StringLookup", "layer", config))
    graph = resolve_vocabularies(model.graph.with_layer(layer), _Source(), path="x", what="unused")
    resolved = graph.layers[0].config
    assert resolved["vocabulary"] == expected_vocabulary
    assert resolved["idf_weights"] == expected_idf


# --------------------------------------------------------------------------- verification


def test_string_inputs_are_drawn_from_the_vocabulary() -> None:
    model = _single_layer("StringLookup", {"vocabulary": ["alpha", "beta"], "mask_token": "#"}, np.array([["a"]]))
    (x,) = make_inputs(model, batch_size=40, seed=1)
    assert x.dtype.kind == "U" and x.shape == (40, 1)
    assert {"alpha", "beta", "#"} <= set(x.ravel().tolist())


def test_integer_lookup_inputs_include_vocabulary_and_unknown_values() -> None:
    model = _single_layer("IntegerLookup", {"vocabulary": [101, 202]}, np.array([[1]], dtype="int64"))
    (x,) = make_inputs(model, batch_size=60, seed=3)
    assert {101, 202} <= set(x.ravel().tolist()) and set(x.ravel().tolist()) - {101, 202}


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [(np.array(["x", "y"]), np.array(["x", "y"]), True), (np.array(["x", "y"]), np.array([b"x", b"z"], dtype=object), False)],
)
def test_string_outputs_compare_exactly(a: np.ndarray, b: np.ndarray, ok: bool) -> None:
    assert diff(a, b).ok is ok


def test_zip_vocabularies_follow_nested_models_and_refuse_shared_names() -> None:
    """A nested model's lookup layer finds its asset under its model's object path; a name
    used both inside and outside a nested model gets no vocabulary (refused), never the
    other layer's."""
    from keras_migrate.formats.keras3.archive import ZipVocabularies
    from keras_migrate.formats.tfkeras.preprocessing import parse_vocabulary_lines
    from keras_migrate.ir.graph import Layer, LayerOrigin

    def entry(cls: str, name: str, **cfg: Any) -> dict[str, Any]:
        return {"class_name": cls, "config": {"name": name, **cfg}}

    inner = entry("Functional", "inner_model", layers=[entry("InputLayer", "in2"), entry("StringLookup", "lookup"),
                                                        entry("StringLookup", "inner")])
    config = {"class_name": "Functional", "config": {"layers": [entry("InputLayer", "in"), entry("StringLookup", "lookup"), inner]}}
    assets = {
        "assets/layers/string_lookup/vocabulary.txt": b"[UNK]\na\nb",
        "assets/layers/functional/layers/string_lookup/vocabulary.txt": b"[UNK]\nc\nd",
        "assets/layers/functional/layers/string_lookup_1/vocabulary.txt": b"[UNK]\nx\ny",
    }
    source = ZipVocabularies(assets, config, tf_keras=False)

    def layer(name: str) -> Layer:
        return Layer(name=name, type="StringLookup", origin=LayerOrigin(class_name="StringLookup", name=name))

    assert source.adapted(layer("inner")) == parse_vocabulary_lines("[UNK]\nx\ny", strings=True, file=False)
    assert source.adapted(layer("lookup")) is None
