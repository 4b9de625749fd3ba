"""Rule ``utilities``: Keras 2 utilities with no direct Keras 3 equivalent.

These need a human, so the code is left as it is and each statement that uses one gets a
follow-up comment naming the recommended replacement: ``ImageDataGenerator`` (tf.data /
``image_dataset_from_directory`` plus augmentation layers), ``Tokenizer``
(``TextVectorization``), ``keras.wrappers.scikit_learn`` (SciKeras or
``keras.wrappers.SKLearn*``), ``multi_gpu_model`` (``keras.distribution`` /
``tf.distribute``), ``HDF5Matrix`` and the old generators.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from keras_migrate.codemods.facts import Facts
from keras_migrate.codemods.rule import Rule, RuleContext, dotted
from keras_migrate.codemods.triggers import Trigger

__all__ = ["Utilities", "text_follow_ups"]

_DATA = (
    "use keras.utils.image_dataset_from_directory (or tf.data) with augmentation layers "
    "such as keras.layers.RandomFlip/RandomRotation/RandomZoom"
)
_SKLEARN = (
    "use SciKeras (scikeras.wrappers.KerasClassifier/KerasRegressor) or, with Keras "
    ">= 3.8, keras.wrappers.SKLearnClassifier/SKLearnRegressor (different API)"
)
_FLAGGED = {
    "keras.preprocessing.image.ImageDataGenerator": f"ImageDataGenerator is not in Keras 3: {_DATA}",
    "keras.preprocessing.image.NumpyArrayIterator": f"NumpyArrayIterator is not in Keras 3: {_DATA}",
    "keras.preprocessing.image.DirectoryIterator": f"DirectoryIterator is not in Keras 3: {_DATA}",
    "keras.preprocessing.text.Tokenizer": "Tokenizer is not in Keras 3: use "
    "keras.layers.TextVectorization (adapt() it on your texts)",
    "keras.preprocessing.text.one_hot": "text.one_hot is not in Keras 3: use "
    "keras.layers.TextVectorization or keras.layers.Hashing",
    "keras.preprocessing.text.text_to_word_sequence": "text_to_word_sequence is not in "
    "Keras 3: use keras.layers.TextVectorization",
    "keras.preprocessing.text.hashing_trick": "hashing_trick is not in Keras 3: use keras.layers.Hashing",
    "keras.preprocessing.sequence.TimeseriesGenerator": "TimeseriesGenerator is not in "
    "Keras 3: use keras.utils.timeseries_dataset_from_array",
    "keras.preprocessing.sequence.skipgrams": "skipgrams is not in Keras 3: copy its "
    "implementation or use tf.keras (TF backend only)",
    "keras.wrappers.scikit_learn": f"keras.wrappers.scikit_learn is gone: {_SKLEARN}",
    "keras.wrappers.scikit_learn.KerasClassifier": f"KerasClassifier is gone: {_SKLEARN}",
    "keras.wrappers.scikit_learn.KerasRegressor": f"KerasRegressor is gone: {_SKLEARN}",
    "keras.utils.multi_gpu_model": "multi_gpu_model was removed: use "
    "keras.distribution.DataParallel (JAX) or tf.distribute.MirroredStrategy (TF)",
    "keras.utils.HDF5Matrix": "HDF5Matrix was removed: read the data with h5py and feed it "
    "through a keras.utils.PyDataset",
}
_LASTS = sorted({name.rsplit(".", 1)[1] for name in _FLAGGED})


class Utilities(Rule):
    """Follow-ups for utilities with no equivalent (see module docstring)."""

    id = "utilities"
    description = (
        "follow-ups for ImageDataGenerator, Tokenizer, keras.wrappers.scikit_learn, "
        "multi_gpu_model and other utilities with no direct Keras 3 equivalent"
    )
    tokens: ClassVar[tuple[str, ...]] = (rf"\b(?:{'|'.join(_LASTS)})\b",)

    def import_triggers(self, facts: Facts) -> list[Trigger]:
        return list(self.tokens)

    def _flag(self, ctx: RuleContext, node: cst.BaseExpression) -> None:
        for name in ctx.legacy_names(node):
            message = _FLAGGED.get(name)
            if message is not None:
                ctx.follow_up(message)
                return

    def leave_Name(
        self, ctx: RuleContext, original: cst.Name, updated: cst.Name
    ) -> cst.BaseExpression:
        self._flag(ctx, original)
        return updated

    def leave_Attribute(
        self, ctx: RuleContext, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        self._flag(ctx, original)
        return updated

    def leave_SimpleStatementLine(
        self, ctx: RuleContext, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        renames = ctx.facts.renames
        for small in original.body:
            names: list[str] = []
            if (
                isinstance(small, cst.ImportFrom)
                and small.module is not None
                and not small.relative
            ):
                module = dotted(small.module) or ""
                if isinstance(small.names, cst.ImportStar):
                    continue
                names = [f"{module}.{dotted(a.name)}" for a in small.names]
            elif isinstance(small, cst.Import):
                names = [dotted(a.name) or "" for a in small.names]
            for name in names:
                message = _FLAGGED.get(renames.rename_modules(name))
                if message is not None:
                    ctx.follow_up(message)
        return updated


def text_follow_ups(facts: Facts, name: str) -> list[str]:
    """The follow-up :meth:`Utilities._flag` raises for the reference ``name`` (a dotted
    chain), for the text path (:mod:`keras_migrate.codemods.text_rules`)."""
    for legacy in facts.legacy_names(name):
        message = _FLAGGED.get(legacy)
        if message is not None:
            return [message]
    return []
