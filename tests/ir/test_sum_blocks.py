"""``SumBlocks``: the weight transform adding equal blocks of axis 0 (a CuDNN LSTM's input
and recurrent biases become Keras' one bias)."""

from __future__ import annotations

import numpy as np
import pytest

from keras_migrate.ir.weights import InMemory, SumBlocks, Weight


def test_sum_blocks_adds_the_halves_lazily() -> None:
    array = np.arange(16, dtype=np.float32)
    weight = Weight("bias", InMemory(array)).then(SumBlocks(2))
    assert weight.shape == (8,)
    assert weight.layout_problem() is None
    np.testing.assert_array_equal(weight.numpy(), array[:8] + array[8:])
    assert weight.numpy().dtype == np.float32


@pytest.mark.parametrize(("shape", "count"), [((15,), 2), ((), 2), ((8,), 0)])
def test_sum_blocks_that_do_not_fit_are_a_layout_problem(shape: tuple[int, ...], count: int) -> None:
    weight = Weight("bias", InMemory(np.zeros(shape, np.float32))).then(SumBlocks(count))
    assert weight.layout_problem() is not None
