"""Engine behaviour that is not specific to one rule: formatting, encodings, comments,
alias resolution corner cases, follow-up comments, reports of remaining names."""

from __future__ import annotations

import pytest

from keras_migrate.codemods.engine import COMMENT_PREFIX
from keras_migrate.codemods.source import decode_python
from tests.codemods.conftest import upgrade, upgrade_text


def test_untouched_text_is_kept_byte_for_byte() -> None:
    source = (
        "# a comment   with odd spacing\n"
        "from keras.models import Sequential  # trailing\n"
        "model = Sequential()\n"
        "model.fit(x,y , nb_epoch = 3)   # keep me\n"
        "\n\n\nprint( 'done' )\n"
    )
    expected = source.replace("nb_epoch = 3", "epochs = 3")
    assert upgrade_text(source) == expected


def test_crlf_line_endings_are_preserved() -> None:
    source = "import tensorflow as tf\r\nx = tf.keras.layers.Dense(3)\r\ny = 1\r\n"
    result = upgrade_text(source)
    assert result == "import keras\r\nx = keras.layers.Dense(3)\r\ny = 1\r\n"


def test_tab_indented_nested_statement() -> None:
    source = "from keras import backend as K\ndef f(x):\n\tif x:\n\t\treturn K.sum(x)\n"
    assert upgrade_text(source) == "import keras\ndef f(x):\n\tif x:\n\t\treturn keras.ops.sum(x)\n"


def test_one_line_compound_statement() -> None:
    source = "from keras import backend as K\nif True: y = K.max(x)\n"
    assert upgrade_text(source) == "import keras\nif True: y = keras.ops.max(x)\n"


def test_function_local_import_and_shadowing_parameter() -> None:
    source = (
        "def loss(y_true, y_pred):\n"
        "    from keras import backend as K\n"
        "    return K.mean(y_pred)\n"
        "def other(K):\n"
        "    return K.mean(1)\n"
    )
    out = upgrade_text(source)
    assert "keras.ops.mean(y_pred)" in out
    assert out.count("keras.ops.mean") >= 1


def test_non_ascii_source_offsets() -> None:
    source = "from keras.layers import Dense\nlabel = 'größe'; d = Dense(output_dim=3)\n"
    assert (
        upgrade_text(source)
        == "from keras.layers import Dense\nlabel = 'größe'; d = Dense(units=3)\n"
    )


def test_latin1_coding_cookie_round_trip() -> None:
    raw = "# -*- coding: latin-1 -*-\nfrom keras.layers import Dense\nname = 'café'\nd = Dense(output_dim=2)\n"
    decoded = decode_python(raw.encode("latin-1"))
    assert decoded.encoding == "iso-8859-1"
    out = upgrade_text(decoded.text)
    assert "Dense(units=2)" in out
    assert out.encode(decoded.encoding).decode("latin-1") == out


def test_follow_up_comment_is_never_added_twice() -> None:
    source = "from keras import backend as K\nf = K.function([a], [b])\n"
    once = upgrade_text(source)
    assert once.count(COMMENT_PREFIX) == 1
    assert upgrade_text(once) == once


def test_follow_up_goes_on_the_innermost_statement() -> None:
    source = (
        "import tensorflow as tf\n"
        "class M(tf.keras.Model):\n"
        "    def train_step(self, data):\n"
        "        with tf.GradientTape() as tape:\n"
        "            pass\n"
    )
    out = upgrade_text(source)
    lines = out.splitlines()
    index = next(i for i, line in enumerate(lines) if "with tf.GradientTape" in line)
    assert lines[index - 1].strip().startswith(COMMENT_PREFIX.strip())
    assert lines[index - 1].startswith("        #")


def test_report_lists_remaining_tf_uses_and_missing_names() -> None:
    pytest.importorskip("keras")
    from keras_migrate.codemods.rules import rule_ids
    from keras_migrate.codemods.runner import Options, _engine

    source = (
        "import tensorflow as tf\n"
        "from keras.preprocessing.image import ImageDataGenerator\n"
        "ds = tf.data.Dataset.range(3)\n"
        "gen = ImageDataGenerator()\n"
    )
    result = _engine(Options(tuple(rule_ids()), check_names=True)).run([source])
    kinds = {(f.kind, f.name) for _, f in result.findings}
    assert ("tf-use", "tf.data.Dataset.range") in kinds
    assert ("missing-name", "keras.preprocessing.image.ImageDataGenerator") in kinds
    assert all(f.covered for _, f in result.findings if f.kind == "missing-name")


def test_changes_are_recorded_with_rule_and_line() -> None:
    result = upgrade("import numpy\n\nmodel.fit(x, y, nb_epoch=2)\n")
    assert [(n.note.rule, n.line) for n in result.changes] == [("training", 3)]


def test_syntax_error_propagates() -> None:
    with pytest.raises(SyntaxError):
        upgrade("print 'python 2'\nimport keras\n")


def test_unused_tf_import_removed_but_used_kept() -> None:
    only_keras = "import tensorflow as tf\nm = tf.keras.Sequential()\n"
    assert upgrade_text(only_keras) == "import keras\nm = keras.Sequential()\n"
    mixed = "import tensorflow as tf\nm = tf.keras.Sequential()\nt = tf.constant(1)\n"
    assert upgrade_text(mixed) == (
        "import tensorflow as tf\nimport keras\nm = keras.Sequential()\nt = tf.constant(1)\n"
    )


def test_docstring_mentions_do_not_keep_or_trigger() -> None:
    source = '"""Uses `merge` and tf.keras in prose."""\nfrom keras.layers import merge\nx = merge([a, b])\n'
    out = upgrade_text(source)
    assert (
        out
        == '"""Uses `merge` and tf.keras in prose."""\nimport keras\nx = keras.layers.add([a, b])\n'
    )


def test_last_line_without_newline() -> None:
    assert upgrade_text("model.fit(x, nb_epoch=1)") == "model.fit(x, epochs=1)"
    source = "def f():\n    model.fit(x, nb_epoch=1)"
    assert upgrade_text(source) == "def f():\n    model.fit(x, epochs=1)"


def test_save_path_variable_with_known_extension_needs_no_follow_up() -> None:
    source = 'import os\npath = os.path.join(d, "model.keras")\nmodel.save(path)\n'
    assert upgrade_text(source) == source
    weights = 'w = "x.h5"\nmodel.save_weights(w)\n'
    assert COMMENT_PREFIX in upgrade_text(weights)
