"""The corpus: its projects, what legacy software runs each one, and their legacy idioms.

The idiom inventory is :data:`IDIOM_PATTERNS` (regular expressions) with, per project, the
number of occurrences in its original files (checked by the tests, so the inventory cannot
drift from the sources). After the upgrade, an occurrence counts as handled when it is gone
(rewritten) or sits on a statement carrying a ``# keras-migrate:`` follow-up comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ALL", "CORPUS", "IDIOM_PATTERNS", "PROJECTS", "REFERENCES", "Project"]

CORPUS = Path(__file__).resolve().parent
PROJECTS = CORPUS / "projects"
REFERENCES = CORPUS / "references"


@dataclass(frozen=True, slots=True)
class Project:
    """A corpus project and the legacy software that produces its reference outputs."""

    name: str
    legacy: str  # a run_corpus flavour: keras-2.2.4, keras-1.2.2 or tf-keras
    entries: tuple[str, ...]
    #: legacy idiom occurrences in the original files (IDIOM_PATTERNS)
    idioms: int
    #: files the entries do not import: idioms only a human can port (checked statically)
    static_only: tuple[str, ...] = ()

    @property
    def entry_paths(self) -> tuple[Path, ...]:
        return tuple(PROJECTS / self.name / entry for entry in self.entries)


#: The legacy idioms counted in every project (Keras 1 arguments and functions, Keras 2
#: module paths and methods, backend and TF functions in Keras code, tf.keras paths).
IDIOM_PATTERNS: tuple[str, ...] = (
    r"tensorflow\.keras|\btf\.keras\b",
    r"keras\.engine|keras\.layers\.(?:core|advanced_activations|convolutional)\b",
    r"np_utils",
    r"keras\.legacy\b|optimizers\.legacy",
    r"\bK\.(?!epsilon\b|floatx\b|image_data_format\b|clear_session\b)\w+\(",
    r"\btf\.(?!compat\b)[\w.]+\(",
    r"\.as_list\(\)",
    r"[(,]\s*(?:nb_epoch|init|W_regularizer|border_mode|subsample|input|output"
    r"|input_shape|concat_axis)\s*=",
    r"\bDense\([^)]*\b(?:output_dim|input_dim)\s*=",
    r"(?:\b(?:SGD|Adam|RMSprop|Adagrad|Adadelta|Adamax|Nadam)|\.__init__)\([^)]*\blr\s*=",
    r"\bConvolution2D\(\s*\d+\s*,\s*\d+\s*,",
    r"\bmerge\(",
    r"\b(?:fit|evaluate|predict)_generator\b|predict_classes|predict_proba",
    r"[(,]\s*(?:workers|use_multiprocessing|max_queue_size)\s*=",
    r"history\[['\"](?:val_)?acc['\"]\]",
    r"LeakyReLU\([^)]*\balpha\s*=",
    r"\badd_weight\(\s*(?:\(|'|\")",
    r"optimizer\.lr\b",
    r"\bget_updates\b|\breset_states\b",
    r"\bdef get_output_shape_for\b",
)

ALL: tuple[Project, ...] = (
    Project("k2_attention", "keras-2.2.4", ("train.py",), 32),
    Project("k2_generators", "keras-2.2.4", ("train.py",), 27, static_only=("sign_sgd.py",)),
    Project("k1_research", "keras-1.2.2", ("train_k1.py",), 30),
    Project("tfk_custom_training", "tf-keras", ("train.py",), 33),
    Project("notebooks_k2", "keras-2.2.4", ("autoencoder_course.ipynb",), 7),
    Project("notebooks_tfk", "tf-keras", ("course_regression.ipynb",), 17),
)
