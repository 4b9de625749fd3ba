"""Pieces shared by the subcommands: the model arguments as API keywords, output, progress."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = [
    "MAX_WEIGHT_BYTES_ENV",
    "add_layout_args",
    "add_model_args",
    "byte_count",
    "data_format_arg",
    "load_model_arg",
    "model_options",
    "print_json",
    "stderr_console",
    "worker_counts",
]

#: The environment variable :mod:`keras_migrate.ir.weights` reads its per-tensor limit from
#: (spelled here so the CLI's parent process never imports numpy).
MAX_WEIGHT_BYTES_ENV = "KERAS_MIGRATE_MAX_WEIGHT_BYTES"


def byte_count(text: str) -> int:
    """``17179869184``, ``16G``, ``16GiB``, ``512M``: a positive number of bytes."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    raw = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = raw[-1:] if raw[-1:] in units else ""
    try:
        value = int(raw[: len(raw) - len(unit)]) * units[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a byte count: {text!r} (e.g. 32G)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"not a positive byte count: {text!r}")
    return value


def worker_counts(text: str) -> int | dict[str, int]:
    """``2`` (every backend) or ``jax=2,torch=1``: warm verification workers per backend."""
    try:
        pairs = [part.split("=", 1) for part in text.split(",") if part.strip()] if "=" in text else []
        by_backend = {k.strip(): int(v) for k, v in pairs}
        every = None if pairs else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a worker count: {text!r} (e.g. 2, or jax=2,torch=1)") from None
    if any(v < 1 for v in [*by_backend.values(), *([every] if every is not None else [])]):
        raise argparse.ArgumentTypeError(f"worker counts must be at least 1: {text!r}")
    return by_backend if every is None else every


def add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="legacy model: .h5, architecture .json/.yaml, .kmir, ...")
    p.add_argument("--weights", metavar="W", help="weights file for an architecture-only MODEL")
    p.add_argument(
        "--vocabulary",
        action="append",
        metavar="LAYER=FILE",
        help="vocabulary file (one token per line) for the lookup layer LAYER whose vocabulary MODEL does not hold "
        "(recorded as a file path, or adapted); repeatable",
    )
    p.add_argument(
        "--max-weight-bytes",
        type=byte_count,
        metavar="N",
        help="refuse a weight tensor larger than N bytes (e.g. 32G; default 16G, or $KERAS_MIGRATE_MAX_WEIGHT_BYTES): "
        "files declaring larger tensors are treated as damaged",
    )
    user = p.add_argument_group("user code (runs YOUR code, never the model file's; docs/user-code.md)")
    user.add_argument(
        "--custom-objects",
        action="append",
        metavar="FILE.py|MODULE",
        help="a Python file or module defining the model's custom layer classes, functions (activations...) and "
        "Lambda replacements (a LAMBDAS = {layer: fn} dict); legacy Keras 2 / tf.keras code is upgraded by the "
        "codemods in memory first; repeatable",
    )
    user.add_argument(
        "--lambda",
        dest="lambdas",
        action="append",
        metavar="LAYER=FILE.py:NAME",
        help="replace the Lambda layer LAYER by the function NAME defined in FILE.py; repeatable",
    )
    k1 = p.add_argument_group("Keras 1 files (facts the files do not record; inferred unless given)")
    k1.add_argument(
        "--source-backend",
        choices=("theano", "tensorflow"),
        help="backend that wrote the file (default: theano iff weight names lack ':0'); theano flips conv kernels",
    )
    k1.add_argument(
        "--bn-running-std",
        choices=("variance", "std"),
        help="what BatchNormalization running_std holds (default: variance, std for Keras <= 1.0.5)",
    )
    k1.add_argument(
        "--dim-ordering",
        choices=("th", "tf"),
        help="dim_ordering of ZeroPadding/Cropping/UpSampling 2D/3D layers, which Keras 1 did not record "
        "(default: inferred from neighbouring layers)",
    )


def add_layout_args(p: argparse.ArgumentParser, *, keep_help: str, last_help: str) -> None:
    """``--keep-data-format`` / ``--channels-last``: how a converted model's layout relates to
    its source's (``convert`` writes it so; ``verify`` is told how it was written)."""
    layout = p.add_mutually_exclusive_group()
    layout.add_argument("--keep-data-format", action="store_true", help=keep_help)
    layout.add_argument("--channels-last", action="store_true", help=last_help)


def data_format_arg(args: argparse.Namespace) -> str:
    """The API's ``data_format`` for the flags of :func:`add_layout_args`."""
    return "keep" if args.keep_data_format else ("channels_last" if args.channels_last else "internal")


def model_options(args: argparse.Namespace) -> dict[str, Any]:
    """The model arguments as keywords of :func:`keras_migrate.load` (and ``convert``/``verify``):
    ``weights``, ``vocabularies`` (``--vocabulary LAYER=FILE`` as ``{layer: file}``) and the
    Keras 1 reader options."""
    from keras_migrate.formats.vocabulary_files import parse_vocabulary_option

    return {
        "weights": args.weights,
        "vocabularies": parse_vocabulary_option(getattr(args, "vocabulary", None)),
        "source_backend": getattr(args, "source_backend", None),
        "bn_running_std": getattr(args, "bn_running_std", None),
        "dim_ordering": getattr(args, "dim_ordering", None),
        "custom_objects": tuple(getattr(args, "custom_objects", None) or ()),
        "lambdas": tuple(getattr(args, "lambdas", None) or ()),
    }


def load_model_arg(args: argparse.Namespace) -> Any:
    """The model the arguments name, read into the IR."""
    from keras_migrate.api import load

    return load(args.model, **model_options(args))


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)
