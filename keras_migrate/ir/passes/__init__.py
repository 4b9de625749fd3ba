"""IR passes: the framework, and the passes applied before every output."""

from __future__ import annotations

from keras_migrate.ir.graph import Model
from keras_migrate.ir.kinds import OutputDataFormat
from keras_migrate.ir.passes._base import Pass as Pass
from keras_migrate.ir.passes._base import PassManager as PassManager
from keras_migrate.ir.passes._base import PassResult as PassResult
from keras_migrate.ir.passes._base import function_pass as function_pass
from keras_migrate.ir.passes.infer_types import InferTypes as InferTypes

__all__ = ["InferTypes", "Pass", "PassManager", "PassResult", "function_pass", "prepare_for_output"]


def prepare_for_output(model: Model, *, data_format: OutputDataFormat = "internal") -> Model:
    """The passes every emitter wants: the layout pass (see :mod:`layout`).

    ``data_format``: ``internal`` (default) computes channels_first models in channels_last
    inside and keeps their I/O layout; ``channels_last`` also changes the I/O layout;
    ``keep`` leaves the model as it is.
    """
    from keras_migrate.ir.passes.layout import ChannelsLast

    passes: list[Pass] = []
    if data_format != "keep":
        passes.append(ChannelsLast(keep_io=data_format == "internal"))
    return PassManager(passes)(model).model
