"""Make channels_first models compute in channels_last (placeholder: no-op until implemented)."""

from __future__ import annotations

from keras_migrate.ir.graph import Model
from keras_migrate.ir.passes._base import Pass, PassResult

__all__ = ["ChannelsLast"]


class ChannelsLast(Pass):
    name = "channels-last"

    def __init__(self, keep_io: bool = True) -> None:
        self.keep_io = keep_io

    def run(self, model: Model) -> PassResult:
        return PassResult(model, False)
