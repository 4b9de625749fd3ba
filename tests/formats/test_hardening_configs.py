"""Hostile and damaged configs, zip archives and TF checkpoints fail with one clean line (issue 16).

Unit tests of the schema layer (:mod:`keras_migrate.formats.schema`) and the parsers, then
fuzzer recipes run through the CLI in a forked child under the harness's memory and time
limits: each must end in a clean error (exit 2 or 3, one line naming the file, no output).
"""

from __future__ import annotations

import datetime
import json
import zipfile
from pathlib import Path

import pytest

from fuzz.recipe import Recipe
from fuzz.runner import run_one
from fuzz.worker import Limits
from keras_migrate.errors import KerasMigrateError
from keras_migrate.formats import schema
from keras_migrate.formats.architecture import parse_json, read_architecture_config
from keras_migrate.formats.limits import MAX_CONFIG_DEPTH, env_limit, max_weight_bytes
from keras_migrate.formats.schema import check_json_tree, plain_tree, validate_model_config
from tests._cli import convert_fails

ROOT = Path(__file__).resolve().parents[2]
K2 = ROOT / "fixtures" / "keras-2.2.4"
TFK = ROOT / "fixtures" / "tf-keras-2.21"


def _functional() -> dict:
    return json.loads((K2 / "conv.json").read_text())


def _layers(cfg: dict) -> list[dict]:
    inner = cfg["config"]
    return inner["layers"] if isinstance(inner, dict) else inner


def _one_line(exc: pytest.ExceptionInfo[KerasMigrateError]) -> str:
    text = str(exc.value)
    assert "\n" not in text, text
    assert text.startswith("cfg.json:"), text
    return text


# --------------------------------------------------------------------------- plain_tree


def test_plain_tree_converts_yaml_types_and_copies() -> None:
    src = {"a": (1, 2), "d": datetime.date(2001, 12, 14), 3: None, "n": {"x": [1.5, True]}}
    out = plain_tree(src, "cfg.json")
    assert out == {"a": [1, 2], "d": "2001-12-14", "3": None, "n": {"x": [1.5, True]}}
    assert out["n"] is not src["n"]


def test_plain_tree_refuses_cycles_depth_bombs_and_huge_ints() -> None:
    cyc: list = []
    cyc.append(cyc)
    with pytest.raises(KerasMigrateError, match="refers to itself") as exc:
        plain_tree({"x": cyc}, "cfg.json")
    _one_line(exc)
    deep: list = []
    cur = deep
    for _ in range(MAX_CONFIG_DEPTH + 5):
        cur.append([])
        cur = cur[0]
    with pytest.raises(KerasMigrateError, match="nested deeper"):
        plain_tree(deep, "cfg.json")
    level: list = ["lol"] * 10
    for _ in range(8):  # 10^8 values once expanded, a few hundred objects in memory
        level = [level] * 10
    with pytest.raises(KerasMigrateError, match="more than"):
        plain_tree(level, "cfg.json")
    with pytest.raises(KerasMigrateError, match="integer of 30 digits"):
        plain_tree([10**29], "cfg.json")
    with pytest.raises(KerasMigrateError, match="set"):
        plain_tree({"s": {1, 2}}, "cfg.json")


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, 2.5, true, null, "x"], "b": {"c": {}}}',
        "[NaN, Infinity, -Infinity, -0, 1e308]",
        str(2**64 - 1),
        f"[{2**64 - 1}, {-(2**64) + 1}]",
        f'{{"big": {2**64}}}',
        f"[[{-(2**64)}]]",
        f"{10**29}",
        _nested(MAX_CONFIG_DEPTH),
        _nested(MAX_CONFIG_DEPTH + 1),
        '{"x": ' + _nested(MAX_CONFIG_DEPTH) + "}",
        "[" + ", ".join(["[1, 2]"] * 20) + "]",  # 61 values: over the lowered node bound below
        "[" + ", ".join(["0"] * 59) + "]",  # 60 values: at the bound
        '"text"',
    ],
    ids=lambda t: t[:24],
)
def test_json_tree_check_agrees_with_plain_tree(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config ``json.loads`` returned is checked in place (no copy): the same values pass,
    unchanged, and the same ones fail with the same message as :func:`plain_tree`."""
    monkeypatch.setattr(schema, "MAX_CONFIG_NODES", 60)

    def outcome(check: object) -> object:
        try:
            return ("ok", check(json.loads(text), "cfg.json"))  # type: ignore[operator]
        except KerasMigrateError as exc:
            return ("error", str(exc))

    assert outcome(check_json_tree) == outcome(plain_tree)


def test_every_fixture_config_checks_in_place() -> None:
    for f in sorted((ROOT / "fixtures").glob("*/*.json")):
        if f.name == "manifest.json":
            continue
        cfg = json.loads(f.read_text())
        assert validate_model_config(cfg, str(f), json_tree=True) is cfg, f
        assert cfg == json.loads(f.read_text()), f


# --------------------------------------------------------------------------- schema


def test_every_fixture_config_passes_unchanged() -> None:
    for f in sorted((ROOT / "fixtures").glob("*/*.json")):
        if f.name == "manifest.json":
            continue
        cfg = json.loads(f.read_text())
        assert validate_model_config(cfg, str(f)) == cfg, f


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda c: c["config"].__setitem__("layers", "oops"), "'layers' is 'oops', not a list"),
        (lambda c: _layers(c)[1].__setitem__("name", _layers(c)[0]["name"]), "two layers are named"),
        (lambda c: _layers(c)[1].__setitem__("name", 3), "not a string"),
        (lambda c: _layers(c)[1].__setitem__("class_name", {"x": 1}), "'class_name' is"),
        (lambda c: _layers(c)[1].__setitem__("inbound_nodes", "x"), "'inbound_nodes' is 'x'"),
        (lambda c: _layers(c)[1].__setitem__("inbound_nodes", [[["nope", 0, 0, {}]]]), "refers to layer 'nope'"),
        (lambda c: _layers(c)[1].__setitem__("inbound_nodes", [[[_layers(c)[0]["name"], -1, 0, {}]]]), "node index"),
        (lambda c: _layers(c)[1].__setitem__("inbound_nodes", [[[_layers(c)[0]["name"], float("nan"), 0]]]), "nan"),
        (lambda c: c["config"].__setitem__("output_layers", [[3, 0, 0]]), "'output_layers'"),
        (lambda c: _layers(c)[0]["config"].__setitem__("batch_input_shape", [None, -5, 3]), "not a shape"),
        (lambda c: _layers(c)[0]["config"].__setitem__("batch_input_shape", [None, 1 << 40]), "not a shape"),
        (lambda c: _layers(c)[1]["config"].__setitem__("filters", "oops"), "'filters' is 'oops', not an integer"),
        (lambda c: _layers(c)[1]["config"].__setitem__("filters", 1 << 40), "outside 0..2147483647"),
        (lambda c: _layers(c)[1]["config"].__setitem__("kernel_size", [3, 0]), "outside 1.."),
        (lambda c: _layers(c)[1].__setitem__("config", [1]), "config is [1], not an object"),
        (lambda c: c.__setitem__("keras_version", 1.5), "'keras_version' is 1.5, not a string"),
        (lambda c: _layers(c)[1]["config"].__setitem__("padding", {"left_pad": float("inf")}), "not integers"),
        (lambda c: _layers(c)[1]["config"].__setitem__("kernel_initializer", {"class_name": "Zeros", "config": 3}),
         "'kernel_initializer' is"),
        (lambda c: _layers(c)[1]["config"].__setitem__("activation", [1]), "'activation' is [1]"),
        # keys a layer class cannot do without, at the boundary rather than as KeyErrors in the rules
        (lambda c: _layers(c)[3]["config"].pop("filters"), "the Conv1D config has no 'filters'"),
        (lambda c: _layers(c)[3]["config"].__setitem__("layer", {"class_name": "Dense", "config": 1.5}),
         "the nested Dense config is 1.5, not an object"),
        (lambda c: _layers(c)[3]["config"].__setitem__("layer", {"class_name": "Dense", "config": {}}),
         "the Dense config has no 'units'"),
        (lambda c: _layers(c)[3]["config"].__setitem__("kernel_initializer", {"class_name": "Zeros"}), None),
        (lambda c: _layers(c)[3]["config"].__setitem__(
            "kernel_initializer", {"class_name": "VarianceScaling", "config": {"scale": float("inf")}}),
         "argument 'scale' is inf, not a finite number"),
        (lambda c: _layers(c)[3]["config"].__setitem__(
            "kernel_initializer", {"class_name": "VarianceScaling", "config": {"scale": -1.0}}),
         "scale -1.0, not a positive number"),
        (lambda c: _layers(c)[3]["config"].__setitem__("dilation_rate", ["oops"]), "'dilation_rate' is ['oops'], not integers"),
        (lambda c: _layers(c)[3]["config"].__setitem__("dtype", 1.5), "'dtype' is 1.5, not a dtype name"),
        (lambda c: _layers(c)[3]["config"].__setitem__("rate", 2), "'rate' is 2, not a rate between 0 and 1"),
        (lambda c: _layers(c)[3]["config"].__setitem__("momentum", float("nan")), "'momentum' is NaN"),
        (lambda c: _layers(c)[3]["config"].__setitem__("max_value", {}), "'max_value' is {}, not a number"),
        (lambda c: _layers(c)[3]["config"].__setitem__("layer", 1.5), "'layer' is 1.5, not a serialized layer"),
        (lambda c: _layers(c)[3]["config"].__setitem__("data_format", {}), "'data_format' is {}, not one of"),
        (lambda c: _layers(c)[3]["config"].__setitem__("dilation_rate", [1, {"class_name": 3}]), "not integers"),
        (lambda c: _layers(c)[3]["config"].__setitem__(
            "kernel_initializer", {"class_name": "VarianceScaling", "config": {"mode": {}}}),
         "argument 'mode' is {}, not one of fan_avg, fan_in, fan_out"),
        (lambda c: _layers(c)[3]["config"].__setitem__(
            "kernel_initializer", {"class_name": "RandomUniform", "config": {"minval": "oops"}}),
         "argument 'minval' is 'oops', not a number"),
        (lambda c: _layers(c)[3]["config"].__setitem__(
            "kernel_regularizer", {"name": "WeightRegularizer", "l1": 0.0, "l2": 0.01}), None),
    ],
)
def test_schema_refuses_wrong_types(edit, needle: str) -> None:
    cfg = _functional()
    edit(cfg)
    if needle is None:  # accepted: a well-formed edit
        validate_model_config(cfg, "cfg.json")
        return
    with pytest.raises(KerasMigrateError) as exc:
        validate_model_config(cfg, "cfg.json")
    text = _one_line(exc)
    assert needle in text, text


def test_schema_names_the_layer() -> None:
    cfg = _functional()
    layer = _layers(cfg)[1]
    layer["config"]["filters"] = [1, "two"]
    with pytest.raises(KerasMigrateError) as exc:
        validate_model_config(cfg, "cfg.json")
    assert f"layer '{layer['name']}':" in _one_line(exc)


# --------------------------------------------------------------------------- parsers


def test_json_parser_bounds() -> None:
    with pytest.raises(KerasMigrateError, match="nested too deeply"):
        parse_json("[" * 100_000 + "]" * 100_000, "cfg.json", "architecture file")
    with pytest.raises(KerasMigrateError, match="not a usable JSON config"):
        parse_json('{"a": ' + "9" * 5000 + "}", "cfg.json", "architecture file")


_BOMB = "bomb: [" + ", ".join(
    ["&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
) + "]\n"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (_BOMB + "class_name: Sequential\nconfig: []\n", "more than"),
        ("class_name: Sequential\nconfig: &c [*c]\n", "refers to itself"),
        ("class_name: Sequential\nconfig: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("class_name: Sequential\nconfig: " + "[" * 300 + "]" * 300 + "\n", "nested deeper than"),
        ("class_name: Sequential\nx: " + "9" * 5000 + "\nconfig: []\n", "cannot hold"),
        ("a: &a [x]\nb: [" + ", ".join(["*a"] * 10_001) + "]\nclass_name: Sequential\nconfig: []\n", "aliases"),
    ],
)
def test_yaml_parser_bounds(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    with pytest.raises(KerasMigrateError) as exc:
        read_architecture_config(str(path))
    assert needle in str(exc.value) and "\n" not in str(exc.value), str(exc.value)


def test_yaml_date_becomes_a_string(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text("class_name: Sequential\nconfig: {name: 2001-12-14, layers: []}\n")
    cfg, _ = read_architecture_config(str(path))
    assert cfg["config"]["name"] == "2001-12-14"


# --------------------------------------------------------------------------- limits


def test_weight_limit_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_MIGRATE_MAX_WEIGHT_BYTES", "1_000")
    assert max_weight_bytes() == 1000
    monkeypatch.setenv("KERAS_MIGRATE_MAX_WEIGHT_BYTES", "junk")
    assert env_limit("KERAS_MIGRATE_MAX_WEIGHT_BYTES", 7) == 7


def test_fresh_weights_are_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_MIGRATE_MAX_WEIGHT_BYTES", "16")
    src = ROOT / "fixtures" / "keras-1.2.2" / "sequential_dense.json"
    convert_fails(["convert", str(src)], tmp_path / "o.keras", capsys, "KERAS_MIGRATE_MAX_WEIGHT_BYTES",
                  "sequential_dense.json")


# --------------------------------------------------------------------------- zip


def _rezip(tmp_path: Path, edit) -> Path:
    """The tf_keras conv archive, rewritten with ``edit(ZipInfo)`` applied to config.json."""
    src = TFK / "conv.tfk.keras"
    out = tmp_path / "m.keras"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
    data = bytearray(out.read_bytes())
    with zipfile.ZipFile(out) as z:
        info = z.getinfo("config.json")
    edit(data, info)
    out.write_bytes(bytes(data))
    return out


def _set_central(data: bytearray, info: zipfile.ZipInfo, offset: int, value: bytes) -> None:
    """Patch the local header at ``offset`` and the matching central-directory field."""
    data[info.header_offset + offset : info.header_offset + offset + len(value)] = value
    cd = data.rfind(b"PK\x01\x02" + data[info.header_offset + 4 : info.header_offset + 6])
    name = info.filename.encode()
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        if data[pos + 46 : pos + 46 + len(name)] == name:
            cd = pos
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    data[cd + offset + 2 : cd + offset + 2 + len(value)] = value


@pytest.mark.parametrize(
    ("offset", "value", "needle"),
    [
        (6, b"\x01\x00", "encrypted"),  # general-purpose flag bit 0
        (8, b"\x63\x00", "compression method"),  # method 99 (AES)
        (14, b"\x00\x00\x00\x00", "corrupt"),  # CRC
    ],
)
def test_zip_member_damage(tmp_path: Path, capsys: pytest.CaptureFixture[str], offset: int, value: bytes,
                           needle: str) -> None:
    path = _rezip(tmp_path, lambda d, i: _set_central(d, i, offset, value))
    err = convert_fails(["convert", str(path)], tmp_path / "o.keras", capsys, needle, "config.json")
    assert str(path) in err


def test_zip_config_member_size_bound(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import keras_migrate.formats.keras3.archive as archive

    monkeypatch.setattr(archive, "MAX_CONFIG_BYTES", 100)
    monkeypatch.setattr(archive._read_member, "__defaults__", (100,))
    path = _rezip(tmp_path, lambda d, i: None)
    convert_fails(["convert", str(path)], tmp_path / "o.keras", capsys, "larger than")


# --------------------------------------------------------------------------- fuzzer recipes

_LIMITS = Limits(memory_mb=2048, timeout=20.0)

RECIPES = [
    "cfg-mutate:fixtures/keras-2.2.4/conv.json:seed=3:op=bomb:fmt=yaml:weights=1",
    "cfg-mutate:fixtures/keras-2.2.4/shared_nested_model.json:seed=858295830:op=cycle:fmt=yaml:weights=1",
    "cfg-mutate:fixtures/tf-keras-2.21/batchnorm_variants.json:seed=1304260098:op=hugeint:fmt=h5attr:weights=0",
    "cfg-mutate:fixtures/keras-1.2.2/sequential_merge_first.json:seed=1407819875:op=bigdim:fmt=json:weights=0",
    "cfg-mutate:fixtures/tf-keras-2.21/pooling.json:seed=1778220868:op=nan:fmt=json:weights=1",
    "zip-mutate:fixtures/tf-keras-2.21/layer_normalization.tfk.keras:seed=357432685:op=bomb:member=metadata.json:mb=1024",
    "zip-mutate:fixtures/tf-keras-2.21/text_vectorization.tfk.keras:seed=1830188481:op=method:member=metadata.json:id=93",
    "zip-mutate:fixtures/tf-keras-2.21/tf_ops_multi_output.tfk.keras:seed=1562276095:op=inner-config",
    "ckpt-mutate:fixtures/tf-keras-2.21/integer_lookup.savedmodel:seed=1402795050:op=shards",
    "ckpt-mutate:fixtures/tf-keras-2.21/gru_reset_after_true_ckpt:seed=427538083:op=size",
    "ckpt-mutate:fixtures/tf-keras-2.21/masking_embedding_lstm.savedmodel:seed=1337238170:op=shape-negative",
]


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.split(":")[0] + ":" + r.split("op=")[1].split(":")[0] for r in RECIPES])
def test_fuzz_recipe_fails_cleanly(recipe: str) -> None:
    # spawned (a fresh `python -m keras_migrate`): forking a test process that imported JAX is unsafe
    result = run_one(Recipe.parse(recipe), _LIMITS, spawn=True)
    assert result.klass == "error" and not result.violations, (
        f"{result.klass} {result.violations} {result.cause}\n{result.stderr_tail}"
    )
