"""Report data and rendering from JSON (no framework: the verification results are built here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from keras_migrate.api import load
from keras_migrate.errors import KerasMigrateError
from keras_migrate.reports.data import (
    comparable,
    exit_code,
    merge_reports,
    model_entry,
    node_verdicts,
    run_report,
)
from keras_migrate.reports.files import load_report, write_report
from keras_migrate.reports.html import render_html
from keras_migrate.reports.markdown import render_markdown
from keras_migrate.verification.compare import Diff
from keras_migrate.verification.report import BackendResult, VerifyReport
from tests.conftest import FIXTURES

MODEL = FIXTURES / "keras-2.2.4" / "advanced_activations.h5"  # has compat layers


def _entry(diverge_at: str | None) -> dict:
    """A verified entry whose per-layer diffs are exact except from ``diverge_at`` on (torch)."""
    model = load(str(MODEL))
    values = [o for node in model.graph.nodes for o in node.outputs]
    bad = False
    layers = []
    for v in values:
        bad = bad or v == diverge_at
        layers.append((v, Diff(0.5, 0.1, False) if bad else Diff(1e-8, 1e-7, True)))
    torch = BackendResult("torch", (Diff(0.5 if bad else 1e-8, 0.1, not bad),), tuple(layers))
    jax = BackendResult("jax", (Diff(1e-8, 1e-7, True),), tuple((v, Diff(1e-8, 1e-7, True)) for v in values))
    report = VerifyReport("x.keras", (jax, torch))
    return model_entry(f"m-{diverge_at}", source=[str(MODEL)], model=model, verification=report)


def test_node_verdicts_colour_diverged_compat_exact() -> None:
    entry = _entry("elu_1")
    verdicts = node_verdicts(entry)
    assert verdicts["dense_1"] == "exact"
    assert verdicts["elu_1"] == "diverged"
    assert verdicts["thresholded_re_lu_1"] == "diverged"  # after the first divergence: all differ here
    ok = node_verdicts(_entry(None))
    assert ok["thresholded_re_lu_1"] == "compat"
    assert ok["dense_1"] == "exact"
    assert entry["status"] == "mismatch" and _entry(None)["status"] == "ok"
    assert entry["verify"]["torch"]["first_divergence"] == "elu_1"


def test_html_is_self_contained_with_rows_graphs_and_plots() -> None:
    report = run_report([_entry(None), _entry("elu_1"), model_entry("bad.h5", source=["bad.h5"], error="boom")], backends=["jax", "torch"])
    page = render_html(report)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched
    assert "<link" not in page and "@import" not in page
    assert page.count('class="model-row"') == 3
    assert len(re.findall(r'<svg[^>]*class="graph-svg"', page)) == 2  # the failed model has no graph
    assert len(re.findall(r'<svg[^>]*class="plot-svg"', page)) == 2
    assert 'data-verdict="diverged"' in page and 'data-verdict="compat"' in page
    assert "MISMATCH" in page and "boom" in page


def test_markdown_lists_rows_and_problems() -> None:
    md = render_markdown(run_report([_entry(None), _entry("elu_1")], backends=["jax", "torch"]))
    rows = [ln for ln in md.splitlines() if ln.startswith("| ") and "`m-" in ln]
    assert len(rows) == 2
    assert "MISMATCH" in md and "at `elu_1`" in md and "## Problems" in md


def test_exit_code_is_the_worst_result() -> None:
    assert exit_code(run_report([_entry(None)])) == 0
    assert exit_code(run_report([_entry(None), _entry("elu_1")])) == 1
    assert exit_code(run_report([_entry(None), model_entry("b", source=["b"], error="x")])) == 2


def test_merge_equals_whole_and_checks_options(tmp_path: Path) -> None:
    a, b, c = _entry(None), _entry("elu_1"), model_entry("z.h5", source=["z.h5"], error="x")
    whole = run_report([a, b, c], options={"to": ["keras"]}, backends=["jax", "torch"])
    shards = [run_report(part, options={"to": ["keras"]}, backends=["jax", "torch"], shard=f"{i + 1}/2") for i, part in enumerate([[c, a], [b]])]
    for i, s in enumerate(shards):
        write_report(s, str(tmp_path / f"s{i}.json"))
    merged = merge_reports([load_report(str(tmp_path / f"s{i}.json")) for i in range(2)])
    assert comparable(merged) == comparable(whole)
    with pytest.raises(KerasMigrateError, match="other options"):
        merge_reports([shards[0], run_report([b], options={"to": ["onnx"]})])


@pytest.mark.parametrize("suffix", [".json", ".html", ".md"])
def test_write_report_by_suffix(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"r{suffix}"
    write_report(run_report([_entry("elu_1")]), str(out))
    text = out.read_text()
    assert "m-elu_1" in text
    if suffix == ".json":
        assert json.loads(text)["summary"]["mismatch"] == 1


def test_unknown_report_kind_refused(tmp_path: Path) -> None:
    with pytest.raises(KerasMigrateError, match="unknown report kind"):
        write_report(run_report([]), str(tmp_path / "r.txt"))
