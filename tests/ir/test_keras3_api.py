"""The stored Keras 3 constructor table matches the installed Keras (regenerate if not)."""

from __future__ import annotations

import pytest

from keras_migrate.ir import keras3_api


def test_table_matches_installed_keras() -> None:
    keras = pytest.importorskip("keras")
    if keras.__version__ != keras3_api.KERAS_VERSION:
        pytest.skip(f"table is for Keras {keras3_api.KERAS_VERSION}, installed {keras.__version__}")
    live = keras3_api.generate()
    stored = {k: sorted(v) for k, v in keras3_api.LAYER_ARGS.items()}
    assert stored == live, "regenerate keras_migrate/ir/_keras3_args_data.py from keras3_api.generate()"


@pytest.mark.parametrize(
    ("layer", "arg", "accepted"),
    [("Conv2D", "groups", True), ("Conv2DTranspose", "groups", False), ("SeparableConv2D", "kernel_initializer", False), ("Dense", "units", True)],
)
def test_known_facts(layer: str, arg: str, accepted: bool) -> None:
    args = keras3_api.accepted_args(layer)
    assert args is not None
    assert (arg in args) is accepted
