"""Keras 1 -> Keras 2 argument renames, per layer class: the facts, as pure data.

Keras 2 accepted Keras 1 calls through a table of keyword renames (``legacy/interfaces.py``:
``output_dim`` -> ``units``, ``border_mode`` -> ``padding``, ``dim_ordering`` ->
``data_format``, ``nb_filter`` -> ``filters``...). The same facts serve two consumers:
the Keras 1 file reader renames stored layer configs with them
(``formats/keras1/layers.py``), and the ``keras1-layers`` codemod renames the keywords of
Keras 1 calls in source code (``codemods/rules/keras1_layers.py``). Value conversions and
the positional forms (``nb_row, nb_col`` -> ``kernel_size``) stay with each consumer:
stored configs and source calls spell them differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "ARG_RENAMES",
    "CONV_ARGS",
    "DIM_ORDERING",
    "LAYOUT_ARGS",
    "RNN_ARGS",
    "WEIGHT_ARGS",
    "arg_renames",
]

#: Keras 1 ``dim_ordering`` values -> Keras 2 ``data_format``.
DIM_ORDERING: Mapping[str, str] = MappingProxyType({"th": "channels_first", "tf": "channels_last"})

#: The weight arguments of every layer with a kernel and a bias.
WEIGHT_ARGS: Mapping[str, str] = MappingProxyType(
    {
        "init": "kernel_initializer",
        "W_regularizer": "kernel_regularizer",
        "b_regularizer": "bias_regularizer",
        "W_constraint": "kernel_constraint",
        "b_constraint": "bias_constraint",
        "bias": "use_bias",
    }
)

#: Layout arguments any Keras 1 layer may carry (with :data:`WEIGHT_ARGS`: the renames a
#: Keras 1 layer config gets whatever its class).
LAYOUT_ARGS: Mapping[str, str] = MappingProxyType(
    {"border_mode": "padding", "dim_ordering": "data_format", "nb_filter": "filters"}
)

_DENSE = {"output_dim": "units", **WEIGHT_ARGS}
#: 2D and 3D convolutions (``nb_row``/``nb_col``/``kernel_dim*`` become ``kernel_size``).
CONV_ARGS: Mapping[str, str] = MappingProxyType(
    {
        "nb_filter": "filters",
        "subsample": "strides",
        "border_mode": "padding",
        "dim_ordering": "data_format",
        "atrous_rate": "dilation_rate",
        **WEIGHT_ARGS,
    }
)
_CONV1D = {
    "nb_filter": "filters",
    "filter_length": "kernel_size",
    "subsample_length": "strides",
    "border_mode": "padding",
    "atrous_rate": "dilation_rate",
    **WEIGHT_ARGS,
}
_SEPARABLE = {k: v for k, v in CONV_ARGS.items() if k != "init"}
#: SimpleRNN, GRU and LSTM (``consume_less`` becomes ``implementation``).
RNN_ARGS: Mapping[str, str] = MappingProxyType(
    {
        "output_dim": "units",
        "inner_init": "recurrent_initializer",
        "inner_activation": "recurrent_activation",
        "U_regularizer": "recurrent_regularizer",
        "U_constraint": "recurrent_constraint",
        "dropout_W": "dropout",
        "dropout_U": "recurrent_dropout",
        "consume_less": "implementation",
        **WEIGHT_ARGS,
    }
)
_CONVLSTM = {**CONV_ARGS, **{k: v for k, v in RNN_ARGS.items() if k != "output_dim"}}
_EMBEDDING = {
    "init": "embeddings_initializer",
    "W_regularizer": "embeddings_regularizer",
    "W_constraint": "embeddings_constraint",
}
_POOL1D = {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding"}
_POOL = {"border_mode": "padding", "dim_ordering": "data_format"}
_ORDER = {"dim_ordering": "data_format"}

_TABLES: dict[str, Mapping[str, str]] = {
    "Dense": _DENSE,
    "Embedding": _EMBEDDING,
    "SimpleRNN": RNN_ARGS,
    "GRU": RNN_ARGS,
    "LSTM": RNN_ARGS,
    "ConvLSTM2D": _CONVLSTM,
    "Dropout": {"p": "rate"},
    "SpatialDropout1D": {"p": "rate"},
    "SpatialDropout2D": {"p": "rate", **_ORDER},
    "SpatialDropout3D": {"p": "rate", **_ORDER},
    "GaussianNoise": {"sigma": "stddev"},
    "GaussianDropout": {"p": "rate"},
    "PReLU": {"init": "alpha_initializer"},
    "UpSampling1D": {"length": "size"},
    "BatchNormalization": {"beta_init": "beta_initializer", "gamma_init": "gamma_initializer"},
    "Input": {"input_dtype": "dtype"},
    "InputLayer": {"input_dtype": "dtype"},
}
for _name in (
    "Conv2D", "Convolution2D", "Conv3D", "Convolution3D", "Deconvolution2D", "Deconv2D", "Conv2DTranspose",
    "AtrousConvolution2D", "AtrousConv2D", "LocallyConnected2D", "Deconvolution3D", "Conv3DTranspose",
):  # fmt: skip
    _TABLES[_name] = CONV_ARGS
for _name in ("Conv1D", "Convolution1D", "AtrousConvolution1D", "AtrousConv1D", "LocallyConnected1D"):
    _TABLES[_name] = _CONV1D
for _name in ("SeparableConv2D", "SeparableConvolution2D"):
    _TABLES[_name] = _SEPARABLE
for _name in ("MaxPooling1D", "AveragePooling1D", "MaxPool1D", "AvgPool1D"):
    _TABLES[_name] = _POOL1D
for _name in (
    "MaxPooling2D", "AveragePooling2D", "MaxPooling3D", "AveragePooling3D", "MaxPool2D", "AvgPool2D",
    "MaxPool3D", "AvgPool3D",
):  # fmt: skip
    _TABLES[_name] = _POOL
for _name in (
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalMaxPooling3D", "GlobalAveragePooling3D", "UpSampling2D", "UpSampling3D", "ZeroPadding2D",
    "ZeroPadding3D", "Cropping2D", "Cropping3D", "Flatten", "Permute",
):  # fmt: skip
    _TABLES[_name] = _ORDER

#: Layer class (Keras 1 name, or the Keras 2 name a Keras 1 call may use) -> its renames.
ARG_RENAMES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {name: MappingProxyType(dict(table)) for name, table in _TABLES.items()}
)


def arg_renames(class_name: str) -> Mapping[str, str]:
    """The Keras 1 -> Keras 2 keyword renames of ``class_name`` (empty if none)."""
    return ARG_RENAMES.get(class_name, MappingProxyType({}))
