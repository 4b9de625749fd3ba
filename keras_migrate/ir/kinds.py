"""The closed sets of strings IR fields take, as ``Literal`` types.

Values stay plain strings (in ``.kmir`` files, printed IR and reports); these aliases let
type checkers and editors tell a reader's ``"tf.keras"`` from a typo. Open-ended fields
stay ``str``: ``source_format`` (readers compose it, e.g. ``keras-json+tf-checkpoint``),
dtypes (Keras accepts any numpy name and policies such as ``mixed_float16``) and weight
names (each layer type has its own).
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "DATA_FORMATS",
    "GENERATIONS",
    "GRAPH_KINDS",
    "OUTPUT_DATA_FORMATS",
    "DataFormat",
    "Generation",
    "GraphKind",
    "OutputDataFormat",
]

#: The Keras line that wrote a model: Keras 1, standalone Keras 2 (<= 2.3), tf.keras
#: (TensorFlow's Keras 2, incl. tf_keras) or Keras 3.
Generation = Literal["keras1", "keras2", "tf.keras", "keras3"]
GENERATIONS: tuple[Generation, ...] = get_args(Generation)

#: How a graph was defined in the source; emitters may follow it.
GraphKind = Literal["functional", "sequential"]
GRAPH_KINDS: tuple[GraphKind, ...] = get_args(GraphKind)

#: A spatial layer's ``data_format`` config value.
DataFormat = Literal["channels_last", "channels_first"]
DATA_FORMATS: tuple[DataFormat, ...] = get_args(DataFormat)

#: What the layout pass does with channels_first models before output: ``internal``
#: computes channels_last inside and keeps the I/O layout, ``channels_last`` changes the
#: I/O layout too, ``keep`` leaves the model as it is.
OutputDataFormat = Literal["internal", "keep", "channels_last"]
OUTPUT_DATA_FORMATS: tuple[OutputDataFormat, ...] = get_args(OutputDataFormat)
