"""The issue's acceptance check on the example tree of realistic legacy scripts.

After ``upgrade --write``: every file still parses (the Python 2 file is reported and left
alone), notebooks stay valid, no legacy idiom is left without a rewrite or a follow-up
comment, every remaining ``keras.*`` name exists in Keras 3 or carries a follow-up, and a
second run changes nothing.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from keras_migrate.codemods.notebook import mask
from tests.codemods.conftest import DATA, EXAMPLES, run_cli

#: Idioms from the issue's rule list; each must be rewritten or sit under a follow-up.
LEGACY_IDIOMS = [
    r"tensorflow\.keras",
    r"\btf\.keras\b",
    r"tensorflow\.python\.keras",
    r"layers\.experimental",
    r"keras\.layers\.(?:convolutional|recurrent|core|merge)\b",
    r"keras\.engine",
    r"np_utils",
    r"visualize_util",
    r"initializations",
    r"objectives",
    r"[(,]\s*output_dim\s*=",
    r"[(,]\s*init\s*=",
    r"W_regularizer",
    r"border_mode",
    r"subsample",
    r"dim_ordering",
    r"[(,]\s*nb_filter\s*=",
    r"consume_less",
    r"forget_bias_init",
    r"dropout_[WU]",
    r"pool_length",
    r"[(,]\s*p\s*=",
    r"[(,]\s*sigma\s*=",
    r"\bmerge\(",
    r"\bMerge\(",
    r"[(,]\s*input\s*=",
    r"[(,]\s*nb_epoch\s*=",
    r"fit_generator",
    r"evaluate_generator",
    r"predict_generator",
    r"samples_per_epoch",
    r"nb_val_samples",
    r"val_samples",
    r"[(,]\s*workers\s*=",
    r"use_multiprocessing",
    r"max_queue_size",
    r"predict_classes",
    r"predict_proba",
    r"history\[['\"](?:val_)?acc['\"]\]",
    r"[(,]\s*lr\s*=",
    r"[(,]\s*decay\s*=",
    r"optimizers\.legacy",
    r"\bK\.(?!epsilon|floatx|image_data_format|clear_session|backend\b)\w+\(",
    r"save_format",
    r"batch_input_shape",
    r"input_length",
    r"CuDNN",
    r"ThresholdedReLU",
    r"ImageDataGenerator",
    r"Tokenizer",
    r"scikit_learn",
    r"multi_gpu_model",
    r"image_dim_ordering",
    # issue 14: idioms that were left untouched with no follow-up
    r"LeakyReLU\([^)]*\balpha\s*=",
    r"layers?\b[^\n=]*\.output_shape\b",
    r"_obtain_input_shape|normalize_data_format|convert_all_kernels_in_model",
    r"\b_(?:Conv|Pooling[123]D|GlobalPooling[12]D|Merge)\b",
    r"uses_learning_phase",
    r"\bget_updates\b|_create_slots|_resource_apply_(?:dense|sparse)",
    r"backend\(\)\s*==\s*['\"](?:theano|cntk)",
    r"\.eval\(\s*session\s*=",
    r"\.as_list\(\)",
    r"optimizers\.(?:sgd|rmsprop|adam|adagrad|adadelta|adamax|nadam)\(",
]
_IDIOM = re.compile("|".join(f"(?:{p})" for p in LEGACY_IDIOMS))
PY2 = "keras1/py2_helper.py"


def _code_chunks(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
        return [m for c in nb.cells if c.cell_type == "code" and (m := mask(c.source)) is not None]
    return [path.read_text(encoding="utf-8")]


def _uncovered_idioms(source: str) -> list[str]:
    """Idioms on statements that have no `# keras-migrate:` comment above them."""
    tree = ast.parse(source)
    lines = source.splitlines()
    # a model compiled with metrics=['acc'] really logs 'acc' in Keras 3 too
    acc_metric = re.search(r"metrics\s*=\s*\[[^\]]*['\"]acc['\"]", source) is not None
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            continue
        body = getattr(node, "body", None)
        last = (body[0].lineno - 1) if isinstance(body, list) and body else node.end_lineno
        text = "\n".join(lines[node.lineno - 1 : last])
        text = re.sub(r'(?s)""".*?"""|#[^\n]*', "", text)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        match = _IDIOM.search(text)
        if not match or (acc_metric and match.group(0).startswith("history[")):
            continue
        above = node.lineno - 2
        covered = False
        while above >= 0 and lines[above].lstrip().startswith("#"):
            covered = covered or lines[above].lstrip().startswith("# keras-migrate:")
            above -= 1
        if not covered:
            bad.append(f"line {node.lineno}: {match.group(0)!r} in {text.strip()[:80]!r}")
    return bad


def test_example_tree_is_realistic() -> None:
    files = sorted(
        p.relative_to(EXAMPLES).as_posix()
        for p in EXAMPLES.rglob("*")
        if p.suffix in (".py", ".ipynb")
    )
    assert len(files) >= 15
    assert {f.split("/")[0] for f in files} == {"keras1", "keras2", "tf_keras", "notebooks"}


def test_upgrade_example_tree(example_tree: Path, tmp_path: Path) -> None:
    pytest.importorskip("keras")
    # a Python 2 file in the tree: reported, left alone, and the run goes on
    shutil.copy(DATA / "py2_legacy.py2", example_tree / PY2)
    report = tmp_path / "report.json"
    code, _ = run_cli(str(example_tree), "--write", "--report", str(report))
    assert code == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    failed = [f["path"] for f in data["files"] if f["status"] == "failed"]
    assert [Path(p).relative_to(example_tree).as_posix() for p in failed] == [PY2]
    problems = []
    for path in sorted(example_tree.rglob("*")):
        if path.suffix not in (".py", ".ipynb") or path.as_posix().endswith(PY2):
            continue
        for chunk in _code_chunks(path):
            ast.parse(chunk)
            problems += [f"{path.name} {p}" for p in _uncovered_idioms(chunk)]
    assert problems == [], "\n".join(problems)
    uncovered = [
        (f["path"], m)
        for f in data["files"]
        for m in f["missing_names"]
        if not m["covered_by_follow_up"]
    ]
    assert uncovered == []
    # a second run changes nothing
    assert run_cli(str(example_tree), "--check")[0] == 0
    assert (example_tree / PY2).read_bytes() == (DATA / "py2_legacy.py2").read_bytes()


def test_idiom_check_catches_unconverted_code() -> None:
    source = (EXAMPLES / "keras1" / "mnist_cnn.py").read_text(encoding="utf-8")
    assert len(_uncovered_idioms(source)) > 5
