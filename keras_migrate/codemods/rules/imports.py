"""Rule ``imports``: move every Keras import path to its Keras 3 home.

``tensorflow.keras`` / ``tf.keras.*`` / ``tensorflow.python.keras`` become ``keras``, and
the Keras 1/2 module layout (``keras.layers.convolutional``, ``keras.engine.topology``,
``keras.utils.np_utils``, ``keras.initializations``...) collapses onto the flat Keras 3
namespaces. The engine applies the table to import statements and references and drops
``import tensorflow as tf`` once no ``tf.`` use is left.
"""

from __future__ import annotations

from typing import ClassVar

from keras_migrate.codemods.names import RenameTable
from keras_migrate.codemods.rule import Rule

__all__ = ["Imports"]

_LAYER_MODULES = (
    "core",
    "convolutional",
    "convolutional_recurrent",
    "recurrent",
    "recurrent_v2",
    "normalization",
    "normalization_v2",
    "embeddings",
    "pooling",
    "wrappers",
    "noise",
    "local",
    "advanced_activations",
    "cudnn_recurrent",
    "dense_attention",
    "experimental",
    "experimental.preprocessing",
)
_ENGINE_MODULES = (
    "",
    ".topology",
    ".training",
    ".base_layer",
    ".sequential",
    ".input_layer",
    ".network",
    ".functional",
    ".input_spec",
    ".saving",
)
_UTIL_MODULES = (
    "np_utils",
    "data_utils",
    "generic_utils",
    "vis_utils",
    "layer_utils",
    "io_utils",
    "visualize_util",
    "conv_utils",
    "training_utils",
    "multi_gpu_utils",
)
_MERGE_NAMES = (
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
    "Dot",
    "add",
    "subtract",
    "multiply",
    "average",
    "maximum",
    "minimum",
    "concatenate",
    "dot",
)

_MODULES = {
    "tensorflow.keras": "keras",
    "tensorflow.python.keras": "keras",
    "tensorflow.compat.v1.keras": "keras",
    "tensorflow.compat.v2.keras": "keras",
    "keras.initializations": "keras.initializers",
    "keras.objectives": "keras.losses",
    "keras.callbacks.callbacks": "keras.callbacks",
    "keras.backend.tensorflow_backend": "keras.backend",
    "keras.backend.theano_backend": "keras.backend",
    "keras.backend.cntk_backend": "keras.backend",
    "keras.backend.common": "keras.backend",
    **{f"keras.layers.{m}": "keras.layers" for m in _LAYER_MODULES},
    **{f"keras.engine{m}": "keras" for m in _ENGINE_MODULES},
    **{f"keras.utils.{m}": "keras.utils" for m in _UTIL_MODULES},
}
#: Keras 2's short loss/metric function aliases, which Keras 3 dropped
_SHORT_LOSSES = {
    "mse": "mean_squared_error",
    "MSE": "mean_squared_error",
    "mae": "mean_absolute_error",
    "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "MSLE": "mean_squared_logarithmic_error",
    "kld": "kl_divergence",
    "KLD": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
}
_MEMBERS = {
    **{f"keras.{m}.{old}": f"keras.{m}.{new}" for m in ("losses", "metrics") for old, new in _SHORT_LOSSES.items()},
    "keras.InputLayer": "keras.layers.InputLayer",
    "keras.Network": "keras.Model",
    "keras.Container": "keras.Model",
    "keras.get_source_inputs": "keras.utils.get_source_inputs",
    "keras.load_model": "keras.models.load_model",
    "keras.save_model": "keras.saving.save_model",
    "keras.utils.visualize_util.plot": "keras.utils.plot_model",
    "keras.preprocessing.sequence.pad_sequences": "keras.utils.pad_sequences",
    **{f"keras.layers.merge.{n}": f"keras.layers.{n}" for n in _MERGE_NAMES},
}


class Imports(Rule):
    """Rewrite Keras import paths (see module docstring)."""

    id = "imports"
    description = (
        "tensorflow.keras / tf.keras.* / tensorflow.python.keras and Keras 1/2 module "
        "paths to their Keras 3 homes; drop `import tensorflow as tf` when unused"
    )
    renames: ClassVar[RenameTable] = RenameTable(_MODULES, _MEMBERS, owner="imports")
