"""The support matrix: which legacy layer classes convert from which source formats.

The README's table is rendered from :data:`LAYERS` and :data:`FORMATS`; a test checks the
table against the readers' own rule registries, so the README cannot drift from the code.
Run ``python -m keras_migrate.support`` to print the table.
"""

from __future__ import annotations

__all__ = ["FORMATS", "IR_TYPES", "LAYERS", "onnx_status", "render_markdown"]

#: Source formats, as README columns: key -> heading.
FORMATS = {
    "keras2": "Keras 2.0-2.3 `.h5` / JSON+`.h5`",
    "tfkeras": "tf.keras `.h5` / JSON+`.h5`",
    "keras1": "Keras 1 `.h5` / JSON+`.h5`",
    "savedmodel": "SavedModel / JSON+TF checkpoint / tf_keras `.keras`",
}

#: The SavedModel, TF-checkpoint and tf_keras ``.keras`` readers hand the same tf.keras
#: layer configs to the same rules as the tf.keras ``.h5`` reader: every tf.keras row
#: converts from them too.
_K2 = ("keras2", "tfkeras", "savedmodel")
_ALL = ("keras2", "tfkeras", "keras1", "savedmodel")
_K1 = ("keras1",)

#: README row -> (legacy class names it covers, formats it converts from, Keras 3 target).
#: Target ``compat:X`` means a keras_migrate compat layer (needs ``import keras_migrate``).
LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {}


def _row(label: str, classes: str, formats: tuple[str, ...], target: str) -> None:
    LAYERS[label] = (tuple(classes.split()), formats, target)


_row("Dense", "Dense", _ALL, "Dense")
_row("Activation", "Activation", _ALL, "Activation (hard_sigmoid: compat:legacy_hard_sigmoid)")
_row("Dropout, AlphaDropout, GaussianDropout, GaussianNoise", "Dropout AlphaDropout GaussianDropout GaussianNoise", _ALL, "same (identity at inference)")
_row("SpatialDropout1D/2D/3D", "SpatialDropout1D SpatialDropout2D SpatialDropout3D", _ALL, "same")
_row("ActivityRegularization, Masking, Identity", "ActivityRegularization Masking Identity", _ALL, "same")
_row("Flatten, Reshape, Permute, RepeatVector", "Flatten Reshape Permute RepeatVector", _ALL, "same")
_row("Conv1D/2D/3D (Convolution*)", "Conv1D Conv2D Conv3D Convolution1D Convolution2D Convolution3D", _ALL, "Conv1D/2D/3D")
_row(
    "Conv1D/2D/3DTranspose (Deconvolution*, Deconv*)",
    "Conv1DTranspose Conv2DTranspose Conv3DTranspose Convolution2DTranspose Convolution3DTranspose "
    "Deconvolution2D Deconvolution3D Deconv2D Deconv3D",
    _ALL,
    "Conv1D/2D/3DTranspose (Theano 'same': 'valid' + Cropping2D)",
)
_row("SeparableConv1D/2D (SeparableConvolution*)", "SeparableConv1D SeparableConv2D SeparableConvolution1D SeparableConvolution2D", _ALL, "SeparableConv1D/2D")
_row("DepthwiseConv1D/2D", "DepthwiseConv1D DepthwiseConv2D", _K2, "DepthwiseConv1D/2D")
_row(
    "Max/AveragePooling1D/2D/3D (MaxPool*, AvgPool*)",
    "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D AveragePooling3D "
    "MaxPool1D MaxPool2D MaxPool3D AvgPool1D AvgPool2D AvgPool3D",
    _ALL,
    "same (Theano 'same': explicit padding + 'valid', average rescaled to leave the padding out)",
)
_row(
    "GlobalMax/AveragePooling1D/2D/3D (Global*Pool*)",
    "GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GlobalAveragePooling1D GlobalAveragePooling2D "
    "GlobalAveragePooling3D GlobalMaxPool1D GlobalMaxPool2D GlobalMaxPool3D GlobalAvgPool1D GlobalAvgPool2D GlobalAvgPool3D",
    _ALL,
    "same",
)
_row(
    "ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/3D",
    "ZeroPadding1D ZeroPadding2D ZeroPadding3D Cropping1D Cropping2D Cropping3D UpSampling1D UpSampling3D",
    _ALL,
    "same",
)
_row("UpSampling2D", "UpSampling2D", _ALL, "UpSampling2D (bilinear from standalone Keras: compat:LegacyBilinearUpSampling2D)")
_row("BatchNormalization, SyncBatchNormalization", "BatchNormalization SyncBatchNormalization", _ALL, "BatchNormalization")
_row("LayerNormalization, GroupNormalization, UnitNormalization", "LayerNormalization GroupNormalization UnitNormalization", _K2, "same")
_row("Embedding", "Embedding", _ALL, "Embedding")
_row("SimpleRNN, LSTM, GRU", "SimpleRNN LSTM GRU", _ALL, "same (GRU reset_after pinned; hard_sigmoid: compat)")
_row("RNN with SimpleRNNCell/LSTMCell/GRUCell (stacked)", "RNN SimpleRNNCell LSTMCell GRUCell", _K2, "RNN, StackedRNNCells (a one-cell stack: the cell)")
_row("ConvLSTM1D/2D/3D", "ConvLSTM1D ConvLSTM2D ConvLSTM3D", _ALL, "same (Theano 'same' even kernels: grown by a zero row/column)")
_row(
    "TimeDistributed, Bidirectional",
    "TimeDistributed Bidirectional",
    _ALL,
    "same (a wrapped layer going backwards: explicit backward_layer, as legacy Keras built it)",
)
_row(
    "Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot",
    "Add Subtract Multiply Average Maximum Minimum Concatenate Dot",
    _K2,
    "same",
)
_row("ReLU, ELU, LeakyReLU, PReLU, Softmax", "ReLU ELU LeakyReLU PReLU Softmax", _ALL, "same")
_row("ThresholdedReLU", "ThresholdedReLU", _ALL, "compat:ThresholdedReLU")
_row("LocallyConnected1D/2D (implementation 1)", "LocallyConnected1D LocallyConnected2D", _ALL, "compat:LocallyConnected1D/2D")
_row("Sequential, Model (nested, shared)", "Sequential Model Functional", _ALL, "Sequential / Functional")
_row("Rescaling, Normalization (tf.keras)", "Rescaling Normalization", _K2, "same (Normalization statistics kept as weights)")
_row(
    "MultiHeadAttention (tf.keras)",
    "MultiHeadAttention",
    _K2,
    "compat:LegacyMultiHeadAttention (a Keras 3 MultiHeadAttention keeping tf.keras' mask handling)",
)
_row("Attention, AdditiveAttention (tf.keras)", "Attention AdditiveAttention", _K2, "same (causal=True configs refused)")
_row("EinsumDense (tf.keras)", "EinsumDense", _K2, "EinsumDense")
_row(
    "Resizing, CenterCrop (tf.keras)",
    "Resizing CenterCrop",
    _K2,
    "same (bilinear, nearest); bicubic: compat:TFResizing; area, lanczos, gaussian, mitchellcubic refused",
)
_row("CategoryEncoding, Hashing (tf.keras)", "CategoryEncoding Hashing", _K2, "same (sparse outputs refused)")
_row(
    "StringLookup, IntegerLookup, TextVectorization (tf.keras)",
    "StringLookup IntegerLookup TextVectorization",
    _K2,
    "same, vocabulary in the config, tf_idf weights kept; adapted vocabularies from SavedModel or tf_keras "
    "`.keras`, vocabulary files from SavedModel, or either from `--vocabulary LAYER=FILE`; string inputs run on "
    "tensorflow only (Keras 3 limit)",
)
_row(
    "RandomFlip, RandomRotation, RandomZoom, RandomContrast, RandomTranslation, RandomBrightness (tf.keras)",
    "RandomFlip RandomRotation RandomZoom RandomContrast RandomTranslation RandomBrightness",
    _K2,
    "same (identity at inference, random in training)",
)
_row(
    "RandomCrop, RandomHeight, RandomWidth (tf.keras)",
    "RandomCrop RandomHeight RandomWidth",
    _K2,
    "compat:TFRandomCrop (tf.keras' centre crop + bilinear resize at inference, Keras 3's random crop in "
    "training), compat:RandomHeight/RandomWidth (identity at inference)",
)
_row("Discretization (tf.keras)", "Discretization", _K2, "same (adapted: bin_boundaries computed from the adapt summary; sparse outputs refused)")
_TF_OPS_ROW = (
    "TFOpLambda: TF functions on Keras tensors (tf.keras): arithmetic, tf.math elementwise, comparisons, "
    "logical ops, reductions, argmax/argmin, tf.nn activations, softmax/log_softmax, l2_normalize, cast, where, "
    "matmul, reshape, transpose, concat, stack, split, unstack, squeeze, expand_dims, tile, pad, gather, nn.space_to_depth"
)
_row(
    _TF_OPS_ROW,
    "TFOpLambda",
    _K2,
    "Add/Subtract/Multiply/Maximum/Minimum/Concatenate/Permute/Activation/LeakyReLU/Softmax where identical, "
    "else compat:TFOp; every unsupported TF function is listed in one error (tf.einsum and `==`/`!=` on tensors: "
    "tf_keras drops their operands)",
)
_row("SlicingOpLambda: `x[...]` with steps, negative indices, ellipsis, new axes (tf.keras)", "SlicingOpLambda", _K2, "compat:TFOp")
_TF_OP_LAYER_ROW = (
    "TensorFlowOpLayer: raw TF ops on Keras tensors (tf.keras 2.0-2.3, `tf_op_layer_*`): the ops of the TF "
    "functions above (AddV2, Sub, Mul, RealDiv, Reshape, Transpose, ConcatV2, Mean, MatMul, ...), StridedSlice "
    "(`x[...]`), Split/SplitV/Unpack, Identity, Select/SelectV2"
)
_row(
    _TF_OP_LAYER_ROW,
    "TensorFlowOpLayer",
    _K2,
    "as TFOpLambda of the same function; an op outside the table is a one-line error naming the layer and the op",
)
_row(
    "CuDNNLSTM, CuDNNGRU (Keras 2.0.9-2.3, tf.compat.v1.keras.layers)",
    "CuDNNLSTM CuDNNGRU",
    _K2,
    "LSTM(recurrent_activation='sigmoid'), biases summed; GRU(reset_after=True, recurrent_activation='sigmoid'); "
    "standalone Keras kernels re-laid out per gate as its own loader did",
)
_row(
    "CustomScaleLayer (InceptionResNetV2), LayerScale and StochasticDepth (ConvNeXt) (tf.keras)",
    "CustomScaleLayer Custom>CustomScaleLayer LayerScale StochasticDepth",
    _K2,
    "compat:CustomScaleLayer, compat:LayerScale, Identity",
)
_row("AtrousConvolution1D/2D (Keras 1)", "AtrousConvolution1D AtrousConvolution2D", _K1, "Conv1D/2D with dilation_rate")
_row("TimeDistributedDense (Keras 1)", "TimeDistributedDense", _K1, "Dense")
_row("MaxoutDense (Keras 1)", "MaxoutDense", _K1, "compat:MaxoutDense")
_row("Highway (Keras 1)", "Highway", _K1, "compat:Highway")
_row("ParametricSoftplus, SReLU (Keras 1)", "ParametricSoftplus SReLU", _K1, "compat:ParametricSoftplus, compat:SReLU")
_row("BatchNormalization mode=1/2 (Keras 1)", "BatchNormalization", _K1, "compat:Keras1BatchNormalization (mode 0: BatchNormalization)")
_row(
    "Merge / merge() sum, mul, ave, max, concat, dot, cos (Keras 1)",
    "Merge",
    _K1,
    "Add, Multiply, Average, Maximum, Concatenate, Dot; cos: compat:Keras1CosineMerge; a lambda mode is recovered as a Lambda (a mode stored by name is refused)",
)
#: Not a legacy class: Keras 3 ``.keras`` files only, so no legacy column says yes.
_KERAS3_OPS = "`keras.ops` calls on Keras tensors (Keras 3 `.keras` and `.h5` input only, see docs/formats.md)"
_row(
    _KERAS3_OPS,
    "",
    (),
    "same op nodes (`.py`: the `keras.ops` calls); ops outside the allowlist are listed in one error",
)
_PLUGIN_ROW = (
    "Custom classes a reader plugin maps (entry point `keras_migrate.rules`, docs/plugins.md), e.g. "
    "examples/plugins: CheckedConv1D, ReversedLSTM, MaskedGlobalAveragePooling1D"
)
_row(
    _PLUGIN_ROW,
    "",
    _K2,
    "what the plugin's rule returns (the example: Conv1D; LSTM + `keras.ops.flip`; GlobalAveragePooling1D)",
)
_UNKNOWN_ROW = "Other custom layer classes"
_row(
    _UNKNOWN_ROW,
    "",
    (),
    "refused, naming each class; `inspect` shows its class, config and weights; `convert -o model.py "
    "--placeholders` writes a stub class to fill in",
)
_row("Custom layer classes and functions (user code, `--custom-objects`, docs/user-code.md; a Keras 1 or 2 file is upgraded by the codemods in memory)", "", ("keras2", "tfkeras", "keras1"), "the user's class under its registered name (`.keras`: `load_model(custom_objects=...)`; `.py`: inlined); ONNX refused")
_row("Lambda with a user-supplied replacement (`--lambda`, `LAMBDAS`)", "", ("keras2", "tfkeras", "keras1"), "compat:UserFunction calling the user's function by name; ONNX refused")
_LAMBDA_ROW = (
    "Lambda (Keras 1, 2, tf.keras; bytecode of CPython 2.7, 3.6-3.12 (3.4-3.5 untested) read without running it): arithmetic, "
    "comparisons, constant subscripts/slices, `arguments`/defaults/closure constants, `K.*`/`keras.backend.*`/"
    "`tf.*` calls with an exact Keras 3 form in the legacy-op table, TF list ops (`tf.split`), a list or tuple "
    "of tensors returned (one output each), library functions stored by name"
)
_row(
    _LAMBDA_ROW,
    "Lambda",
    _ALL,
    "the recovered op nodes (compat:TFOp, keras.ops op nodes, Add/Subtract/Multiply/Concatenate...); anything "
    "else (unknown globals, builtins, other calls, jumps) is a one-line error naming the layer, the Python "
    "version and the construct",
)


#: README row -> the IR layer types it converts to, where they are not the row's class
#: names; the ONNX column asks the ONNX emitter's lowering registry about these types.
IR_TYPES: dict[str, tuple[str, ...]] = {
    "Conv1D/2D/3D (Convolution*)": ("Conv1D", "Conv2D", "Conv3D"),
    "Conv1D/2D/3DTranspose (Deconvolution*, Deconv*)": ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"),
    "SeparableConv1D/2D (SeparableConvolution*)": ("SeparableConv1D", "SeparableConv2D"),
    "Max/AveragePooling1D/2D/3D (MaxPool*, AvgPool*)": (
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    ),
    "GlobalMax/AveragePooling1D/2D/3D (Global*Pool*)": (
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    ),
    "UpSampling2D": ("UpSampling2D", "keras_migrate>LegacyBilinearUpSampling2D"),
    "BatchNormalization, SyncBatchNormalization": ("BatchNormalization",),
    "RNN with SimpleRNNCell/LSTMCell/GRUCell (stacked)": ("RNN",),
    "ThresholdedReLU": ("keras_migrate>ThresholdedReLU",),
    "LocallyConnected1D/2D (implementation 1)": ("keras_migrate>LocallyConnected1D", "keras_migrate>LocallyConnected2D"),
    "Sequential, Model (nested, shared)": ("Sequential", "Functional"),
    _TF_OPS_ROW: (
        "Add", "Subtract", "Multiply", "Maximum", "Minimum", "Concatenate", "Permute", "Activation", "LeakyReLU",
        "Softmax", "keras_migrate>TFOp",
    ),
    "SlicingOpLambda: `x[...]` with steps, negative indices, ellipsis, new axes (tf.keras)": ("keras_migrate>TFOp",),
    _TF_OP_LAYER_ROW: (
        "Add", "Subtract", "Multiply", "Maximum", "Minimum", "Concatenate", "Permute", "Activation", "LeakyReLU",
        "Softmax", "keras_migrate>TFOp",
    ),
    "CuDNNLSTM, CuDNNGRU (Keras 2.0.9-2.3, tf.compat.v1.keras.layers)": ("LSTM", "GRU"),
    "Resizing, CenterCrop (tf.keras)": ("Resizing", "CenterCrop", "keras_migrate>TFResizing"),
    "RandomCrop, RandomHeight, RandomWidth (tf.keras)": (
        "keras_migrate>TFRandomCrop", "keras_migrate>RandomHeight", "keras_migrate>RandomWidth",
    ),
    "CustomScaleLayer (InceptionResNetV2), LayerScale and StochasticDepth (ConvNeXt) (tf.keras)": (
        "keras_migrate>CustomScaleLayer", "keras_migrate>LayerScale", "Identity",
    ),
    "MultiHeadAttention (tf.keras)": ("keras_migrate>LegacyMultiHeadAttention",),
    "AtrousConvolution1D/2D (Keras 1)": ("Conv1D", "Conv2D"),
    "TimeDistributedDense (Keras 1)": ("Dense",),
    "MaxoutDense (Keras 1)": ("keras_migrate>MaxoutDense",),
    "Highway (Keras 1)": ("keras_migrate>Highway",),
    "ParametricSoftplus, SReLU (Keras 1)": ("keras_migrate>ParametricSoftplus", "keras_migrate>SReLU"),
    "BatchNormalization mode=1/2 (Keras 1)": ("keras_migrate>Keras1BatchNormalization", "BatchNormalization"),
    "Merge / merge() sum, mul, ave, max, concat, dot, cos (Keras 1)": (
        "Add", "Multiply", "Average", "Maximum", "Concatenate", "Dot", "keras_migrate>Keras1CosineMerge",
    ),
    _PLUGIN_ROW: ("Conv1D", "LSTM", "keras.ops>Flip", "GlobalAveragePooling1D"),
    _UNKNOWN_ROW: (),
}  # fmt: skip


def _keras3_op_types() -> tuple[str, ...]:
    from keras_migrate.ir.ops.keras3 import OPS

    return tuple(spec.type for spec in OPS.values())


IR_TYPES[_KERAS3_OPS] = _keras3_op_types()
IR_TYPES[_LAMBDA_ROW] = (
    "keras_migrate>TFOp", "Add", "Subtract", "Multiply", "Maximum", "Minimum", "Concatenate", "Activation",
    *_keras3_op_types(),
)  # fmt: skip


def onnx_status(label: str) -> str:
    """The ONNX cell of a row: ``yes``, ``partial: no X`` or ``-``, from the lowering registry."""
    from keras_migrate.converters.onnx import lowered_types

    types = IR_TYPES.get(label, LAYERS[label][0])
    lowered = lowered_types()
    missing = [t.removeprefix("keras_migrate>") for t in types if t not in lowered]
    if not types or len(missing) == len(types):
        return "-"
    return "yes" if not missing else "partial: no " + ", ".join(missing)


def render_markdown() -> str:
    """The README table."""
    cols = list(FORMATS)
    lines = [
        "| layer | " + " | ".join(FORMATS[c] for c in cols) + " | Keras 3 target | ONNX |",
        "|---|" + "---|" * len(cols) + "---|---|",
    ]
    for name, (_, formats, target) in LAYERS.items():
        cells = ["yes" if c in formats else "-" for c in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {target} | {onnx_status(name)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown())
