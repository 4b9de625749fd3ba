"""`keras-migrate convert PATH... -o OUTDIR`: a batch over a subset of the fixture tree, end to end.

One verified batch (every installed backend, warm workers shared by all its models) runs
once per module; its reports feed the checks and the headless-browser test. Resume and
sharding are checked on conversion-only runs (no backend needed), which are quick.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from keras_migrate.reports.data import comparable
from keras_migrate.verification import available_backends
from tests.conftest import FIXTURES, ROOT

#: (generation folder, files): every generation and every form, a compat layer, a refusal.
SUBSET = {
    "keras-1.2.2": ["dense_activations.json", "dense_activations_weights.h5", "rnn_consume_less_cpu.h5"],
    "keras-2.2.4": ["advanced_activations.h5", "conv2d_channels_first.h5", "custom_unknown_layer.h5"],
    "tf-keras-2.21": ["shared_dense.h5", "advanced_activations.json", "advanced_activations_ckpt",
                      "advanced_activations.savedmodel", "advanced_activations.tfk.keras"],
}  # fmt: skip
#: The models discovery must find in it (pairs by naming convention; the checkpoint pairs too).
EXPECTED = [
    "broken/not_a_model.h5",
    "keras-1.2.2/dense_activations.json+dense_activations_weights.h5",
    "keras-1.2.2/rnn_consume_less_cpu.h5",
    "keras-2.2.4/advanced_activations.h5",
    "keras-2.2.4/conv2d_channels_first.h5",
    "keras-2.2.4/custom_unknown_layer.h5",
    "tf-keras-2.21/advanced_activations.json+advanced_activations_ckpt",
    "tf-keras-2.21/advanced_activations.savedmodel",
    "tf-keras-2.21/advanced_activations.tfk.keras",
    "tf-keras-2.21/shared_dense.h5",
]
#: Models the subset holds that cannot be converted exactly (refused with a one-line error).
REFUSED = {"keras-2.2.4/custom_unknown_layer.h5", "broken/not_a_model.h5"}  # an unknown custom class; a damaged file


def _tree(root: Path) -> Path:
    for generation, names in SUBSET.items():
        (root / generation).mkdir(parents=True, exist_ok=True)
        for name in names:
            src = FIXTURES / generation / name
            assert src.exists(), src
            (shutil.copytree if src.is_dir() else shutil.copy)(src, root / generation / name)
    (root / "broken").mkdir()
    (root / "broken" / "not_a_model.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)  # truncated HDF5
    return root


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "keras_migrate", *args], capture_output=True, text=True, cwd=ROOT, env=env, check=False, timeout=900)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tree(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="module")
def verified(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, subprocess.CompletedProcess[str]]:
    backends = available_backends()
    if not backends:
        pytest.skip("needs keras and a backend")
    out = tmp_path_factory.mktemp("verified")
    proc = _cli("convert", str(tree), "-o", str(out / "models"), "--verify", "--jobs", "2",
                "--report", str(out / "run.json"), "--report", str(out / "run.html"), "--report", str(out / "run.md"))  # fmt: skip
    assert (out / "run.json").exists(), proc.stderr
    return out, json.loads((out / "run.json").read_text()), proc


def test_batch_converts_verifies_and_reports(verified: tuple[Path, dict, subprocess.CompletedProcess[str]]) -> None:
    out, report, proc = verified
    models = {m["id"]: m for m in report["models"]}
    assert sorted(models) == sorted(EXPECTED)
    assert proc.returncode == 2, proc.stderr  # worst result: the refused models
    for model_id in REFUSED:
        assert models[model_id]["status"] == "error"
        assert models[model_id]["error"].startswith("keras-migrate: error: ")
    for model_id, m in models.items():
        if model_id in REFUSED:
            continue
        assert m["status"] == "ok", (model_id, m["error"], m["verify"])
        assert set(m["verify"]) == set(available_backends())
        for result in m["verify"].values():
            assert result["ok"] and result["layers"], (model_id, result)  # per-layer values for the plot
        assert (out / "models" / m["outputs"][0]["path"]).exists()
    # one warm worker per backend served every model
    assert all(w["starts"] == 1 for w in report["workers"]["backends"].values()), report["workers"]
    assert models["keras-2.2.4/advanced_activations.h5"]["compat_layers"]
    assert "generation" in proc.stderr and f"{len(EXPECTED)} models" in proc.stderr  # the closing summary table
    md = (out / "run.md").read_text()
    assert all(f"`{i}`" in md for i in models)


def test_resume_redoes_nothing_when_finished(verified: tuple[Path, dict, subprocess.CompletedProcess[str]], tree: Path) -> None:
    out, first, _ = verified
    proc = _cli("convert", str(tree), "-o", str(out / "models"), "--verify", "--resume", "--report", str(out / "again.json"))
    again = json.loads((out / "again.json").read_text())
    assert all(m["resumed"] for m in again["models"] if m["status"] != "skipped"), proc.stderr
    assert all(w["starts"] == 0 for w in again["workers"]["backends"].values())  # no backend even started
    assert comparable(again) == comparable(first)


def test_interrupted_run_resumes_only_what_is_missing(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "models"
    first = _cli("convert", str(tree), "-o", str(out), "--to", "keras,onnx", "--report", str(tmp_path / "a.json"))
    assert first.returncode == 2, first.stderr
    done = json.loads((tmp_path / "a.json").read_text())
    # What a kill midway leaves: some models never finished (no state), one output gone.
    victim = next(m for m in done["models"] if m["outputs"])
    (out / victim["outputs"][0]["path"]).unlink()
    kept = hashlib.sha1(victim["id"].encode()).hexdigest() + ".json"  # the store's file name for it
    state = sorted(f for f in (out / ".keras-migrate" / "state").iterdir() if f.name != kept)
    for f in state[:2]:
        f.unlink()
    second = _cli("convert", str(tree), "-o", str(out), "--to", "keras,onnx", "--resume", "--report", str(tmp_path / "b.json"))
    again = json.loads((tmp_path / "b.json").read_text())
    redone = [m["id"] for m in again["models"] if not m["resumed"]]
    assert len(redone) == 3, (redone, second.stderr)
    assert victim["id"] in redone
    assert (out / victim["outputs"][0]["path"]).exists()
    assert comparable(again) == comparable(done)
    # a changed option is not the same work: everything is redone
    third = _cli("convert", str(tree), "-o", str(out), "--to", "keras", "--resume", "--report", str(tmp_path / "c.json"))
    assert not any(m["resumed"] for m in json.loads((tmp_path / "c.json").read_text())["models"]), third.stderr


def test_two_shards_merged_equal_one_run(tree: Path, tmp_path: Path) -> None:
    whole = _cli("convert", str(tree), "-o", str(tmp_path / "w"), "--report", str(tmp_path / "whole.json"))
    for k in (1, 2):
        _cli("convert", str(tree), "-o", str(tmp_path / "s"), "--shard", f"{k}/2", "--report", str(tmp_path / f"s{k}.json"))
    parts = [json.loads((tmp_path / f"s{k}.json").read_text()) for k in (1, 2)]
    assert all(p["models"] for p in parts) and not {m["id"] for m in parts[0]["models"]} & {m["id"] for m in parts[1]["models"]}
    merged = _cli("report", "merge", str(tmp_path / "s1.json"), str(tmp_path / "s2.json"), "-o", str(tmp_path / "m.json"), "-o", str(tmp_path / "m.html"))
    assert merged.returncode == whole.returncode == 2, merged.stderr + merged.stdout
    one = json.loads((tmp_path / "whole.json").read_text())
    assert comparable(json.loads((tmp_path / "m.json").read_text())) == comparable(one)
    assert (tmp_path / "m.html").stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shard", "3/2"], "--shard K/N needs 1 <= K <= N"),
        (["--to", "tflite"], "unknown output kinds"),
        (["--weights", "w.h5"], "--weights apply to one model"),
        (["--report", "r.txt"], "unknown report kind"),
    ],
)
def test_batch_usage_errors_are_one_line(tree: Path, tmp_path: Path, args: list[str], message: str) -> None:
    proc = _cli("convert", str(tree), "-o", str(tmp_path / "o"), *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("keras-migrate: error: ") and message in lines[0], proc.stderr


def _png_colours(data: bytes) -> int:
    """How many distinct byte values the decoded image rows hold (a blank page has ~1)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat)))


def _driver():  # type: ignore[no-untyped-def]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver are missing (make test installs them: apt-get install chromium chromium-driver)")
        pytest.skip("needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"):  # fmt: skip
        options.add_argument(arg)  # and no network: any fetch would fail
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver), options=options)


def test_report_page_renders_in_a_headless_browser(verified: tuple[Path, dict, subprocess.CompletedProcess[str]]) -> None:
    out, report, _ = verified
    browser = _driver()
    try:
        browser.get((out / "run.html").as_uri())
        rows = browser.find_elements("css selector", "tr.model-row")
        assert sorted(r.get_attribute("data-model-id") for r in rows) == sorted(m["id"] for m in report["models"])
        drawn = [m for m in report["models"] if m["graph"]]
        graphs = browser.find_elements("css selector", "svg.graph-svg")
        plots = browser.find_elements("css selector", "svg.plot-svg")
        assert len(graphs) == len(drawn) and len(plots) == sum(1 for m in drawn if m["verify"])
        for svg in graphs + plots:
            box = browser.execute_script("var b = arguments[0].getBBox(); return [b.width, b.height];", svg)
            assert box[0] > 50 and box[1] > 30, box  # laid out and painted, not an empty element
        nodes = browser.execute_script("return document.querySelectorAll('svg.graph-svg g.node').length")
        assert nodes == sum(len(m["graph"]["nodes"]) for m in drawn)
        dots = browser.execute_script("return document.querySelectorAll('svg.plot-svg circle').length")
        assert dots > 0
        errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] if hasattr(browser, "get_log") else []
        assert not errors, errors  # nothing failed to load (no network needed)
        # the filter box hides rows
        box = browser.find_element("id", "filter")
        box.send_keys("custom_unknown_layer")
        visible = [r for r in rows if r.is_displayed()]
        assert [r.get_attribute("data-model-id") for r in visible] == ["keras-2.2.4/custom_unknown_layer.h5"]
        shot = browser.get_screenshot_as_png()
        assert len(shot) > 10_000 and _png_colours(shot) > 20
        graph_shot = graphs[0].screenshot_as_png
        assert _png_colours(graph_shot) > 10
    finally:
        browser.quit()


def test_inspect_html_draws_one_model(tmp_path: Path) -> None:
    page = tmp_path / "m.html"
    proc = _cli("inspect", str(FIXTURES / "keras-2.2.4" / "advanced_activations.h5"), "--html", str(page))
    assert proc.returncode == 0, proc.stderr
    text = page.read_text()
    assert text.count('class="model-row"') == 1 and 'class="graph-svg"' in text and 'data-verdict="compat"' in text
    assert 'class="plot-svg"' not in text  # nothing verified, nothing to plot


def test_verify_report_has_the_divergence_plot(tmp_path: Path) -> None:
    if "jax" not in available_backends():
        pytest.skip("needs keras and jax")
    src = FIXTURES / "keras-2.2.4" / "conv2d_channels_first.h5"
    assert _cli("convert", str(src), "-o", str(tmp_path / "m.keras")).returncode == 0
    proc = _cli("verify", str(src), str(tmp_path / "m.keras"), "--backends", "jax", "--report", str(tmp_path / "v.json"))
    assert proc.returncode == 0, proc.stderr
    entry = json.loads((tmp_path / "v.json").read_text())["models"][0]
    assert entry["verify"]["jax"]["ok"] and len(entry["verify"]["jax"]["layers"]) >= 3
    assert entry["graph"]["nodes"]
