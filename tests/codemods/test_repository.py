"""Repository-wide names: aliases re-exported by the project's own modules are followed
across files, and no upgrade binds a name that shadows the user's own ``keras``."""

from __future__ import annotations

from pathlib import Path

import pytest

from keras_migrate.codemods.repository import collect_exports, module_name, resolve_relative
from tests.codemods.conftest import run_cli

COMPAT = (
    "try:\n"
    "    from tensorflow.keras import backend as K\n"
    "except ImportError:\n"
    "    from keras import backend as K\n"
    "from tensorflow import keras\n"
    "KB = keras.backend\n"
)

#: (files before, files after) for a small package plus a script beside it
CASES = [
    pytest.param(
        {
            "pkg/__init__.py": "",
            "pkg/compat.py": COMPAT,
            "pkg/ops.py": "from .compat import K\n\ndef norm(x):\n    return K.sqrt(K.sum(K.square(x)))\n",
            "train.py": "from pkg.compat import K\n\ndef loss(y_true, y_pred):\n    return K.mean(K.square(y_pred - y_true))\n",
        },
        {
            "pkg/compat.py": "try:\n    from keras import backend as K\nexcept ImportError:\n    from keras import backend as K\nimport keras\nKB = keras.backend\n",
            "pkg/ops.py": "from .compat import K\nimport keras\n\ndef norm(x):\n    return keras.ops.sqrt(keras.ops.sum(keras.ops.square(x)))\n",
            "train.py": "from pkg.compat import K\nimport keras\n\ndef loss(y_true, y_pred):\n    return keras.ops.mean(keras.ops.square(y_pred - y_true))\n",
        },
        id="backend-re-exported-as-K",
    ),
    pytest.param(
        {
            "pkg/__init__.py": "",
            "pkg/compat.py": COMPAT,
            "pkg/layers.py": "from .compat import keras, KB\n\nclass Scale(keras.layers.Layer):\n    def call(self, x):\n        return KB.relu(x)\n",
        },
        {
            "pkg/layers.py": "from .compat import keras, KB\n\nclass Scale(keras.layers.Layer):\n    def call(self, x):\n        return keras.ops.relu(x)\n",
        },
        id="keras-re-exported-no-shadowing-import",
    ),
    pytest.param(
        {
            "pkg/__init__.py": "from .compat import K\n",
            "pkg/compat.py": COMPAT,
            "run.py": "from pkg import K\nprint(K.eval(K.ones_like(x)))\n",
        },
        {
            "run.py": "from pkg import K\nimport keras\nprint(keras.ops.convert_to_numpy(keras.ops.ones_like(x)))\n",
        },
        id="re-export-of-a-re-export",
    ),
    pytest.param(
        {
            "mine/__init__.py": "",
            "mine/keras.py": "def foo():\n    return 1\n",
            "use.py": "from mine import keras\nfrom keras import backend as K\ny = K.max(x) + keras.foo()\n",
        },
        {
            "use.py": "# keras-migrate: `keras` is bound to mine.keras here, so Keras 3 cannot be imported as `keras`: import it under another name (... import keras as mine_keras) and run keras-migrate again\nfrom mine import keras\nfrom keras import backend as K\ny = K.max(x) + keras.foo()\n",
        },
        id="user-keras-never-shadowed",
    ),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_repository_wide_names(
    tmp_path: Path, before: dict[str, str], after: dict[str, str]
) -> None:
    for name, text in before.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert run_cli(str(tmp_path), "--write", "--jobs", "1")[0] == 0
    for name, expected in after.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == expected, name
    assert run_cli(str(tmp_path), "--check", "--jobs", "1")[0] == 0  # idempotent


def test_collect_exports(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from .compat import K\n", encoding="utf-8")
    (tmp_path / "pkg" / "compat.py").write_text(COMPAT, encoding="utf-8")
    (tmp_path / "plain.py").write_text("import os\nK = os.path\n", encoding="utf-8")
    exports = collect_exports(
        [
            str(tmp_path / "pkg" / "__init__.py"),
            str(tmp_path / "pkg" / "compat.py"),
            str(tmp_path / "plain.py"),
        ]
    )
    assert exports.lookup("pkg.compat.K") == ("tensorflow.keras.backend", "keras.backend")
    assert exports.lookup("pkg.compat.KB") == ("tensorflow.keras.backend",)
    assert exports.lookup("pkg.K") == ("tensorflow.keras.backend", "keras.backend")
    assert exports.lookup("plain.K") == ()
    assert module_name(tmp_path / "pkg" / "compat.py") == "pkg.compat"
    assert module_name(tmp_path / "pkg" / "__init__.py") == "pkg"


@pytest.mark.parametrize(
    ("module", "level", "target", "is_package", "expected"),
    [
        ("pkg.sub.mod", 1, "compat", False, "pkg.sub.compat"),
        ("pkg.sub.mod", 2, "compat", False, "pkg.compat"),
        ("pkg.sub", 1, "compat", True, "pkg.sub.compat"),
        ("pkg.sub.mod", 1, None, False, "pkg.sub"),
    ],
)
def test_resolve_relative(
    module: str, level: int, target: str | None, is_package: bool, expected: str
) -> None:
    assert resolve_relative(module, level, target, is_package) == expected


def test_keras3_names_snapshot_matches_installed_keras() -> None:
    """Renames are checked against this snapshot where Keras is not installed."""
    from keras_migrate.codemods.postcheck import keras_index, render_snapshot
    from keras_migrate.ir.ops import keras3_names

    index = keras_index()
    if index is None:
        pytest.skip("Keras 3 is not installed")
    if index.version != keras3_names.KERAS_VERSION:
        pytest.skip(
            f"snapshot is of Keras {keras3_names.KERAS_VERSION}, installed {index.version}"
        )
    path = Path(keras3_names.__file__)
    assert path.read_text(encoding="utf-8") == render_snapshot(index)
