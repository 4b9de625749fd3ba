"""The library API: :func:`load`, :func:`convert`, :func:`verify` (all on ``keras_migrate``).

These are the pipeline the command line runs, so tools can run exactly what
``keras-migrate inspect``, ``convert`` and ``verify`` do and get typed reports instead of
printed text; ``keras_migrate.cli`` only parses arguments, calls them and prints.

- :func:`load`: any supported legacy model (HDF5, architecture JSON/YAML plus weights,
  ``.keras``, SavedModel, TF checkpoint) or a ``.kmir`` file, read into an :class:`~keras_migrate.ir.Model`.
- :func:`convert`: check the output path, load, run the layout pass, write the output kind its
  suffix names, optionally verify; returns a :class:`ConversionReport`.
- :func:`verify`: run a converted file on each backend and compare it with the source model;
  returns a :class:`~keras_migrate.verification.VerifyReport`.

Importing this module imports neither numpy nor any framework (``import keras_migrate`` stays
cheap): each function imports the pipeline when called.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

    from keras_migrate.ir.graph import Model
    from keras_migrate.ir.kinds import OutputDataFormat as DataFormat
    from keras_migrate.verification.report import VerifyReport

__all__ = ["DATA_FORMATS", "ConversionReport", "DataFormat", "PathLike", "convert", "load", "verify"]  # noqa: F822 (module __getattr__)

#: A file path, as a string or :class:`os.PathLike`.
PathLike = str | os.PathLike[str]
#: ``DataFormat`` and ``DATA_FORMATS`` (how :func:`convert` treats channels_first models) are
#: the IR's :data:`keras_migrate.ir.OutputDataFormat` and ``OUTPUT_DATA_FORMATS``, one
#: definition re-exported here, resolved on first use so that ``import keras_migrate`` stays
#: free of numpy (see :func:`__getattr__`). ``internal`` (default): compute in channels_last
#: inside, keep the input/output layout; ``keep``: leave channels_first layers as they are;
#: ``channels_last``: also make the inputs and outputs channels_last (callers must transpose
#: their data).
_FROM_KINDS = {"DataFormat": "OutputDataFormat", "DATA_FORMATS": "OUTPUT_DATA_FORMATS"}


def __getattr__(name: str) -> Any:
    if name in _FROM_KINDS:
        from keras_migrate.ir import kinds

        return getattr(kinds, _FROM_KINDS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True, slots=True)
class ConversionReport:
    """What :func:`convert` wrote and what the output relies on.

    ``files`` lists every file written (a ``.py`` output writes ``<name>.weights.h5`` beside
    it); ``compat_layers`` the ``keras_migrate>`` objects a Keras 3 load needs (import
    ``keras_migrate`` first); ``renamed`` maps new layer names to the legacy names they
    replace; ``verification`` is None unless ``verify=True``.
    """

    source: str
    output: str
    kind: str
    files: tuple[str, ...]
    weight_bytes: int = 0
    compat_layers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    renamed: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    verification: VerifyReport | None = None

    @property
    def ok(self) -> bool:
        """False only when a requested verification found a mismatch or could not run."""
        return self.verification is None or self.verification.ok

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON data (what ``convert --json`` prints)."""
        return {
            "output": self.output,
            "kind": self.kind,
            "weight_bytes": self.weight_bytes,
            "compat_layers": list(self.compat_layers),
            "notes": list(self.notes),
            "renamed": dict(self.renamed),
            "verify": self.verification.to_dict() if self.verification is not None else None,
        }


def load(
    path: PathLike,
    *,
    weights: PathLike | None = None,
    vocabularies: Mapping[str, PathLike] | None = None,
    source_backend: Literal["theano", "tensorflow"] | None = None,
    bn_running_std: Literal["variance", "std"] | None = None,
    dim_ordering: Literal["th", "tf"] | None = None,
    custom_objects: Sequence[str] = (),
    lambdas: Sequence[str] = (),
) -> Model:
    """Read any supported model file into the IR (what ``keras-migrate inspect`` prints).

    ``weights``: the weights file (HDF5 or TF checkpoint prefix) of an architecture-only
    ``path``. ``vocabularies``: ``{legacy layer name: vocabulary file}`` for lookup layers
    whose vocabulary the file does not hold. The last three are facts Keras 1 files do not
    record (inferred when None; the CLI's ``--source-backend``, ``--bn-running-std``,
    ``--dim-ordering``); other files ignore them. ``custom_objects``: the user's own Python
    files or module names defining the model's custom classes and functions, ``lambdas``:
    ``LAYER=FILE.py:NAME`` Lambda replacements (docs/user-code.md; this runs the *user's*
    code, never the model file's). Raises
    :class:`~keras_migrate.errors.KerasMigrateError` for anything that cannot be read exactly.
    """
    from keras_migrate.formats import load as read_model
    from keras_migrate.formats.keras1.reader import options

    if custom_objects or lambdas:
        from keras_migrate.usercode.model import load_with_user_code

        return load_with_user_code(path, custom_objects, lambdas, lambda: load(
            path, weights=weights, vocabularies=vocabularies, source_backend=source_backend,
            bn_running_std=bn_running_std, dim_ordering=dim_ordering))  # fmt: skip
    with options(source_backend=source_backend, bn_running_std=bn_running_std, dim_ordering=dim_ordering):
        return read_model(
            os.fspath(path),
            weights=None if weights is None else os.fspath(weights),
            vocabularies=vocabularies,
        )


def convert(
    src: PathLike | Model,
    out: PathLike,
    *,
    weights: PathLike | None = None,
    vocabularies: Mapping[str, PathLike] | None = None,
    force: bool = False,
    data_format: DataFormat = "internal",
    opset: int | None = None,
    verify: bool = False,
    backends: list[str] | None = None,
    on_weight: Callable[[int, int], None] | None = None,
    source_backend: Literal["theano", "tensorflow"] | None = None,
    bn_running_std: Literal["variance", "std"] | None = None,
    dim_ordering: Literal["th", "tf"] | None = None,
    inference_only: bool = False,
    optimizer_step: int | None = None,
    custom_objects: Sequence[str] = (),
    lambdas: Sequence[str] = (),
    placeholders: bool = False,
) -> ConversionReport:
    """Convert ``src`` to ``out`` exactly as ``keras-migrate convert`` does.

    ``src`` is a model file (read with :func:`load`, the reader options and ``weights``,
    ``vocabularies``) or a model already in the IR (e.g. one a tool edited; its
    ``provenance.source_path`` is then the input never overwritten).
    The output kind follows ``out``'s suffix: ``.keras``, ``.weights.h5``, ``.kmir``, ``.py``
    (plus ``<name>.weights.h5``) or ``.onnx`` (``opset``: the ONNX opset, default 17). An
    existing output is refused unless ``force``, an input never overwritten, and outputs are
    written atomically. ``data_format``: see :data:`DATA_FORMATS`. ``on_weight(nbytes,
    total)`` is called as weights are written (not for ``.onnx``). ``verify=True`` runs the
    output on ``backends`` (default: all installed) and compares it with the *source* model,
    reusing the model already read; with ``data_format="channels_last"`` the output's inputs
    and outputs are transposed on purpose, so a model the layout pass changed is compared
    with the model as written instead. A mismatch does not raise: check ``report.ok``.
    Reader options as in :func:`load`. A compiled source's training state (compile
    configuration and optimizer state) is carried into ``.keras`` and ``.py`` outputs;
    ``inference_only=True`` drops it (the model then loads uncompiled). ``optimizer_step``:
    the step count to resume from where the file does not store one (Keras 1 and 2.0-2.2
    RMSprop, Adagrad and Adadelta; it matters with ``decay``). ``placeholders=True`` (``.py``
    outputs only) writes a stub class for each layer class no rule converts, to fill in.
    """
    from keras_migrate.converters import emit
    from keras_migrate.ir.kinds import OUTPUT_DATA_FORMATS
    from keras_migrate.ir.passes import prepare_for_output

    if data_format not in OUTPUT_DATA_FORMATS:
        raise ValueError(f"data_format must be one of {', '.join(OUTPUT_DATA_FORMATS)}, not {data_format!r}")
    given: Model | None = None
    if isinstance(src, (str, os.PathLike)):
        src_path = os.fspath(src)
    else:
        reading = {"weights": weights, "vocabularies": vocabularies, "source_backend": source_backend,
                   "bn_running_std": bn_running_std, "dim_ordering": dim_ordering,
                   "custom_objects": custom_objects, "lambdas": lambdas}  # fmt: skip
        if any(reading.values()):
            raise ValueError(f"{', '.join(k for k, v in reading.items() if v)} apply to reading a file; src is already a model")
        src_path, given = src.provenance.source_path, src
    inputs = [src_path, "" if weights is None else os.fspath(weights), *(os.fspath(f) for f in (vocabularies or {}).values())]
    out = os.fspath(out)
    files = _check_outputs(out, force=force, inputs=inputs)
    if placeholders:
        _check_placeholders(out, verify)
    if given is None:
        with _unknown_classes_kept(placeholders):
            given = load(
                src_path, weights=weights, vocabularies=vocabularies,
                source_backend=source_backend, bn_running_std=bn_running_std, dim_ordering=dim_ordering,
                custom_objects=custom_objects, lambdas=lambdas,
            )  # fmt: skip
    source = given
    model = prepare_for_output(source, data_format=data_format)
    if inference_only:
        model = model.with_training(None)
    elif optimizer_step is not None:
        model = _with_step(model, optimizer_step)
    progress = None
    if on_weight is not None:
        total = sum(w.nbytes for _, w in model.iter_weights())
        callback = on_weight

        def progress(n: int) -> None:
            callback(n, total)

    emitted = emit(model, out, on_weight=progress, opset=opset)
    verification = _verify_written(source, model, out, data_format, backends) if verify else None
    return ConversionReport(
        source=src_path,
        output=out,
        kind=emitted.kind,
        files=files,
        weight_bytes=emitted.weight_bytes,
        compat_layers=tuple(emitted.compat),
        notes=tuple(emitted.notes) + _placeholder_notes(model, out),
        renamed=MappingProxyType(dict(emitted.renamed)),
        verification=verification,
    )


def _check_placeholders(out: str, verify: bool) -> None:
    from keras_migrate.converters.output import output_kind
    from keras_migrate.errors import KerasMigrateError

    if output_kind(out) != "python":
        raise KerasMigrateError("--placeholders writes Python source", path=out, hint="give an output ending in .py")
    if verify:
        raise KerasMigrateError("--placeholders cannot be verified: the stubs compute nothing yet", hint="fill in their call() first")


def _placeholder_notes(model: Model, out: str) -> tuple[str, ...]:
    from keras_migrate.ir.unknown import is_unknown, unknown_class

    classes = sorted({unknown_class(lay.config) for _, lay in model.graph.walk_layers() if is_unknown(lay.type)})
    if not classes:
        return ()
    return (
        f"placeholders for the custom classes {', '.join(classes)} in {out}: write each stub's call() (marked TODO), "
        "then the module runs as is; to convert again, pass the finished classes with --custom-objects FILE.py",
    )


def _unknown_classes_kept(keep: bool) -> Any:
    """Inside: unknown layer classes are read as placeholders instead of refused."""
    import contextlib

    from keras_migrate.formats.unknown import keep_unknown_classes

    return keep_unknown_classes() if keep else contextlib.nullcontext()


def _with_step(model: Model, step: int) -> Model:
    """``model`` resuming at ``step`` where its file stored no step count (else unchanged)."""
    import dataclasses

    training = model.training
    if step < 0:
        raise ValueError(f"optimizer_step must be >= 0, not {step}")
    if training is None or training.state is None or training.state.iterations_stored:
        return model
    state = dataclasses.replace(training.state, iterations=step, iterations_stored=True)
    notes = tuple(n for n in training.optimizer.notes if "holds no step count" not in n)
    optimizer = dataclasses.replace(training.optimizer, notes=(*notes, f"step count {step} given by the user"))
    return model.with_training(dataclasses.replace(training, state=state, optimizer=optimizer))


def _check_outputs(out: str, *, force: bool, inputs: list[str]) -> tuple[str, ...]:
    """Every file ``out`` will write, each refused if it is an input, or exists without ``force``."""
    from keras_migrate.converters import check_output_path, output_kind

    files = [out]
    if output_kind(out) == "python":
        from keras_migrate.converters.python import weights_path_for

        files.append(weights_path_for(out))  # the module's weights file is an output too
    for path in files:
        check_output_path(path, force=force, inputs=inputs)
    return tuple(files)


def _verify_written(
    source: Model, written: Model, out: str, data_format: DataFormat, backends: list[str] | None, **options: Any
) -> VerifyReport:
    """Verify ``out`` against the model as read (``source``), before the layout pass.

    ``written`` (after the layout pass) has the converted file's layer names and layouts,
    so per-layer diffs use it. ``channels_last`` also changes the inputs' and outputs'
    layout: the backends then get the source's inputs re-laid out, and their outputs are
    compared with the source's, re-laid out the same way, so the layout pass is verified too.
    ``options``: the rest of :func:`~keras_migrate.verification.verify_model`'s arguments.
    """
    from keras_migrate.ir.passes.layout import channels_last_io
    from keras_migrate.verification import verify_model

    io_layout = channels_last_io(source.graph) if data_format == "channels_last" and written is not source else None
    return verify_model(source, out, backends=backends, layers_reference=written, io_layout=io_layout, **options)


def verify(
    source: PathLike | Model,
    converted: PathLike,
    *,
    backends: list[str] | None = None,
    inputs: PathLike | list[np.ndarray] | None = None,
    batch_size: int = 2,
    seed: int = 0,
    timeout: float = 900.0,
    weights: PathLike | None = None,
    vocabularies: Mapping[str, PathLike] | None = None,
    source_backend: Literal["theano", "tensorflow"] | None = None,
    bn_running_std: Literal["variance", "std"] | None = None,
    dim_ordering: Literal["th", "tf"] | None = None,
    data_format: DataFormat = "internal",
    custom_objects: Sequence[str] = (),
    lambdas: Sequence[str] = (),
) -> VerifyReport:
    """Check that ``converted`` reproduces ``source`` (what ``keras-migrate verify`` does).

    ``source`` is a model file (read with :func:`load` and the reader options) or a model
    already in the IR. The numpy reference interpreter runs it; each backend (default: all
    installed) runs ``converted`` (a ``.keras`` file or an emitted ``.py`` module) in its own
    process on the same inputs: an ``.npz`` file (keys ``input_0``... or the input names),
    the arrays in input order, or random inputs (``batch_size``, ``seed``). Outputs are
    compared with :data:`~keras_migrate.verification.RTOL`/:data:`~keras_migrate.verification.ATOL`.
    A mismatch does not raise: check ``report.ok``. ``data_format``: the one ``converted``
    was written with (see :func:`convert`), so per-layer values are compared in the layout
    the converted file computes in, and ``channels_last`` inputs/outputs are re-laid out.
    """
    from keras_migrate.ir.kinds import OUTPUT_DATA_FORMATS
    from keras_migrate.ir.passes import prepare_for_output

    if isinstance(source, (str, os.PathLike)):
        model = load(
            source, weights=weights, vocabularies=vocabularies,
            source_backend=source_backend, bn_running_std=bn_running_std, dim_ordering=dim_ordering,
            custom_objects=custom_objects, lambdas=lambdas,
        )  # fmt: skip
    else:
        model = source
    if data_format not in OUTPUT_DATA_FORMATS:
        raise ValueError(f"data_format must be one of {', '.join(OUTPUT_DATA_FORMATS)}, not {data_format!r}")
    arrays = os.fspath(inputs) if isinstance(inputs, (str, os.PathLike)) else inputs
    return _verify_written(
        model, prepare_for_output(model, data_format=data_format), os.fspath(converted), data_format, backends,
        inputs=arrays, batch_size=batch_size, seed=seed, timeout=timeout,
    )  # fmt: skip
