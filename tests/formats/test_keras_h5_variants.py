"""Reader variants, each derived from a genuine fixture by a documented transformation.

- chunked ``layer_names0..N`` / ``weight_names0..N`` attributes (what Keras 2 writes when a
  list exceeds HDF5's header limit);
- YAML architecture (``model.to_yaml()``, with ``!!python/tuple`` tags);
- ``2.2.4-tf`` initializer configs carrying ``dtype`` (tf.keras 1.13-1.15);
- layer names containing ``/`` (made valid, with a mapping back to the original).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from keras_migrate.formats import load
from tests._arrays import interpret, load_npz
from tests.conftest import FIXTURES

SRC = FIXTURES / "keras-2.2.4" / "nested_sequential_in_functional"
TFK = FIXTURES / "tf-keras-2.21" / "dense_activations"


def _check_outputs(model, stem: Path) -> None:
    ins, outs = load_npz(f"{stem}.npz")
    got = interpret(model.graph, ins)
    for a, b in zip(got, outs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _chunk(node, key: str) -> None:
    values = list(node.attrs[key])
    del node.attrs[key]
    half = max(1, len(values) // 2)
    for i, part in enumerate((values[:half], values[half:])):
        node.attrs[f"{key}{i}"] = np.array(part)


def test_chunked_name_attributes(tmp_path) -> None:
    path = tmp_path / "chunked.h5"
    shutil.copy(f"{SRC}.h5", path)
    with h5py.File(path, "r+") as f:
        g = f["model_weights"]
        _chunk(g, "layer_names")
        for name in g:
            if "weight_names" in g[name].attrs and len(g[name].attrs["weight_names"]) > 1:
                _chunk(g[name], "weight_names")
        assert "layer_names0" in g.attrs
    _check_outputs(load(str(path)), SRC)


def test_yaml_architecture(tmp_path) -> None:
    config = json.loads(Path(f"{SRC}.json").read_text())

    def tuples(x):  # Keras' to_yaml dumped Python tuples for shapes
        if isinstance(x, dict):
            return {k: (tuple(v) if k in ("batch_input_shape", "kernel_size", "strides") and isinstance(v, list) else tuples(v)) for k, v in x.items()}
        if isinstance(x, list):
            return [tuples(v) for v in x]
        return x

    text = yaml.dump(tuples(config))
    assert "!!python/tuple" in text
    arch = tmp_path / "model.yaml"
    arch.write_text(text)
    _check_outputs(load(str(arch), weights=f"{SRC}_weights.h5"), SRC)


def test_yaml_never_executes_code(tmp_path) -> None:
    arch = tmp_path / "evil.yaml"
    arch.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(Exception, match="not valid YAML"):
        load(str(arch))


def test_tf_keras_1_initializer_dtype(tmp_path) -> None:
    config = json.loads(Path(f"{TFK}.json").read_text())

    def add_dtype(x):
        if isinstance(x, dict):
            if x.get("class_name") in ("GlorotUniform", "Zeros", "VarianceScaling", "Ones", "Orthogonal"):
                x.setdefault("config", {})["dtype"] = "float32"
            for v in x.values():
                add_dtype(v)
        elif isinstance(x, list):
            for v in x:
                add_dtype(v)

    add_dtype(config)
    config["keras_version"] = "2.2.4-tf"
    arch = tmp_path / "arch.json"
    arch.write_text(json.dumps(config))
    assert '"dtype": "float32"' in arch.read_text()
    model = load(str(arch), weights=f"{TFK}_weights.h5")
    assert model.provenance.generation == "tf.keras"
    for _, layer in model.graph.walk_layers():
        for key, value in layer.config.items():
            if key.endswith("_initializer") and isinstance(value, dict):
                assert "dtype" not in value["config"]
    _check_outputs(model, TFK)


def test_layer_name_with_slash(tmp_path) -> None:
    path = tmp_path / "slash.h5"
    shutil.copy(f"{SRC}.h5", path)
    with h5py.File(path, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        text = json.dumps(cfg).replace('"dense_4"', '"head/dense_4"')
        f.attrs["model_config"] = text
        g = f["model_weights"]
        names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["layer_names"]]
        g.attrs["layer_names"] = np.array([("head/dense_4" if n == "dense_4" else n).encode() for n in names])
        g.create_group("head")
        g.move("dense_4", "head/dense_4")
    model = load(str(path))
    assert model.renamed == {"head_dense_4": "head/dense_4"}
    assert "head_dense_4" in [lay.name for lay in model.graph.layers]
    _check_outputs(model, SRC)
