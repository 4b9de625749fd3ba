"""User-given lookup vocabularies (``--vocabulary LAYER=FILE``, ``load(vocabularies=...)``).

* Forms that record only a vocabulary file's path (``string_lookup_file``) or drop an
  adapted vocabulary (``string_lookup_adapted`` as JSON + TF checkpoint) convert when the
  user names the files, and the numpy interpreter then reproduces tf_keras' stored outputs,
  both on the IR read with the files and on the written ``.keras``. The files are written
  here from the tokens the SavedModel form of the same fixture holds.
* Wrong options fail with exit 2, name the layer or the file, and write no output.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_migrate.cli import main as cli_main
from keras_migrate.formats import load
from keras_migrate.formats.tfkeras.preprocessing import lookup_view, strip_special_tokens
from keras_migrate.ir.graph import Layer
from tests._arrays import interpret, load_npz
from tests.conftest import FIXTURES

GENERATION = FIXTURES / "tf-keras-2.21"

FORM_ARGS = {
    "h5": ("{c}.h5", None),
    "json": ("{c}.json", "{c}_weights.h5"),
    "json+ckpt": ("{c}.json", "{c}_ckpt/ckpt"),
    "tfk.keras": ("{c}.tfk.keras", None),
}


def _lookups(case: str) -> list[Layer]:
    """The lookup layers of ``case`` with their vocabularies, from its SavedModel form."""
    return [lay for lay in load(str(GENERATION / f"{case}.savedmodel")).graph.layers if "vocabulary" in lay.config]


def _plain(layer: Layer) -> list[Any]:
    """The tokens alone: what a file-path vocabulary held."""
    return list(layer.config["vocabulary"])


def _with_special(layer: Layer) -> list[Any]:
    """``layer.get_vocabulary()`` as tf.keras returns it: mask and OOV tokens first."""
    cfg = lookup_view(layer)
    oov_start = 1 if cfg.get("mask_token") is not None and cfg.get("output_mode", "int") == "int" else 0
    special = [cfg["mask_token"]] * oov_start + [cfg["oov_token"]] * int(cfg["num_oov_indices"])
    assert strip_special_tokens(cfg, special + _plain(layer))[0] == _plain(layer)
    return special + _plain(layer)


#: (fixture case, form, how each layer's file is written, line ending)
CASES = [
    *(("string_lookup_file", form, _plain, "\n") for form in ("h5", "json", "json+ckpt", "tfk.keras")),
    ("string_lookup_file", "h5", _plain, "\r\n"),  # TextFileInitializer drops a trailing \r
    ("string_lookup_adapted", "json+ckpt", _plain, "\n"),
    ("string_lookup_adapted", "json+ckpt", _with_special, "\n"),  # special tokens dropped as for a list
]


def _write_vocabularies(case: str, tmp_path: Path, write: Any = _plain, newline: str = "\n") -> dict[str, str]:
    files = {}
    for layer in _lookups(case):
        file = tmp_path / f"{layer.origin.name}.txt"
        file.write_bytes("".join(f"{t}{newline}" for t in write(layer)).encode("utf-8"))
        files[layer.origin.name] = str(file)
    return files


def _argv(case: str, form: str, out: Path, files: dict[str, str]) -> list[str]:
    model, weights = FORM_ARGS[form]
    argv = ["convert", str(GENERATION / model.format(c=case)), "-o", str(out)]
    if weights:
        argv += ["--weights", str(GENERATION / weights.format(c=case))]
    for name, file in files.items():
        argv += ["--vocabulary", f"{name}={file}"]
    return argv


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli_main(argv)
    return code, err.getvalue()


def _assert_matches(graph: Any, case: str) -> None:
    ins, outs = load_npz(GENERATION / f"{case}.npz")
    got = interpret(graph, ins)
    assert len(got) == len(outs)
    for g, e in zip(got, outs):
        if e.dtype.kind in "USO":
            assert np.array_equal(np.asarray(g).astype(str), e.astype(str))
        else:
            np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("case", "form", "write", "newline"), CASES,
                         ids=[f"{c}/{f}/{w.__name__.strip('_')}/{nl!r}" for c, f, w, nl in CASES])
def test_given_vocabulary_files_convert_and_match(case: str, form: str, write: Any, newline: str, tmp_path: Path) -> None:
    files = _write_vocabularies(case, tmp_path, write, newline)
    model_path, weights = FORM_ARGS[form]
    model = load(str(GENERATION / model_path.format(c=case)),
                 weights=str(GENERATION / weights.format(c=case)) if weights else None, vocabularies=files)
    _assert_matches(model.graph, case)
    out = tmp_path / "out.keras"
    code, err = _run(_argv(case, form, out, files))
    assert code == 0, err
    _assert_matches(load(str(out)).graph, case)  # the written .keras carries the vocabularies


def test_inspect_takes_the_option(tmp_path: Path) -> None:
    files = _write_vocabularies("string_lookup_file", tmp_path)
    argv = ["inspect", str(GENERATION / "string_lookup_file.h5")]
    for name, file in files.items():
        argv += ["--vocabulary", f"{name}={file}"]
    assert _run(argv)[0] == 0


def _bad_file(text: str) -> Any:
    def make(tmp_path: Path) -> dict[str, str]:
        files = _write_vocabularies("string_lookup_file", tmp_path)
        _text(Path(files["string_lookup"]), text)
        return files
    return make


#: (id, case, form, files to pass, texts the message must hold)
ERRORS: list[tuple[str, str, str, Any, tuple[str, ...]]] = [
    ("unknown_layer", "string_lookup_file", "h5",
     lambda p: {**_write_vocabularies("string_lookup_file", p), "no_such_layer": str(p / "string_lookup.txt")},
     ("no lookup layer named 'no_such_layer'", "string_lookup, string_lookup_1")),
    ("missing_file", "string_lookup_file", "h5",
     lambda p: {**_write_vocabularies("string_lookup_file", p), "string_lookup": str(p / "missing.txt")},
     ("missing.txt", "cannot read the vocabulary file", "string_lookup")),
    ("directory", "string_lookup_file", "h5",
     lambda p: {**_write_vocabularies("string_lookup_file", p), "string_lookup": str(p)},
     ("cannot read the vocabulary file",)),
    ("one_layer_missing", "string_lookup_file", "h5",
     lambda p: {"string_lookup": _write_vocabularies("string_lookup_file", p)["string_lookup"]},
     ("'string_lookup_1'", "--vocabulary string_lookup_1=FILE")),
    ("vocabulary_in_config", "string_lookup", "h5",
     lambda p: {"string_lookup": _write_vocabularies("string_lookup_file", p)["string_lookup"]},
     ("already has its vocabulary",)),
    ("repeated_token", "string_lookup_file", "h5", _bad_file("red\nblue\nred\n"), ("repeats the token 'red'",)),
    ("empty_file", "string_lookup_file", "h5", _bad_file(""), ("holds no tokens",)),
    ("not_utf8", "string_lookup_file", "h5", _bad_file("r\udcffd"), ("not UTF-8",)),
    ("adapted_mask_inside", "string_lookup_adapted", "json+ckpt",
     lambda p: {**_write_vocabularies("string_lookup_adapted", p),
                "string_lookup": str(_text(p / "m.txt", "\n[UNK]\n[UNK]\nred\n\nblue\n"))},
     ("mask token ''",)),
]


def _text(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


@pytest.mark.parametrize(("case", "form", "make", "texts"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_wrong_vocabulary_options_are_refused(case: str, form: str, make: Any, texts: tuple[str, ...], tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    files = make(tmp_path / "in")
    out = tmp_path / "out.keras"
    code, err = _run(_argv(case, form, out, files))
    assert code == 2, err
    assert not out.exists()
    for text in texts:
        assert text in err, err


@pytest.mark.parametrize("value", ["string_lookup", "=x.txt", "string_lookup="])
def test_option_must_be_layer_equals_file(value: str, tmp_path: Path) -> None:
    out = tmp_path / "out.keras"
    code, err = _run(["convert", str(GENERATION / "string_lookup_file.h5"), "-o", str(out), "--vocabulary", value])
    assert code == 2 and "is not LAYER=FILE" in err
    assert not out.exists()
