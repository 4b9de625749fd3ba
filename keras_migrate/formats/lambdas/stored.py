"""The forms a legacy ``Lambda`` config stores its function in, decoded as data.

- Keras 1: ``function`` is ``[code, defaults, closure]`` (or the code alone) with the
  marshalled code object as ``raw_unicode_escape`` text; ``function_type`` ``lambda``.
- Keras 2 / tf.keras: the same triple with the marshal bytes base64-encoded; Keras 3 (and
  tf_keras' ``.keras``) as ``{"class_name": "__lambda__", "config": {"code", "defaults",
  "closure"}}``.
- ``function_type`` ``function``: a module-level callable stored by ``function`` (its name)
  and ``module``; only well-known library functions can be recovered from that.
- ``arguments``: keyword arguments the call passes (``fn(inputs, **arguments)``);
  ``output_shape`` is not needed (the recovered ops compute their shapes); a ``mask``
  function is refused.

Nothing here unmarshals or runs anything: the code stays bytes until
:mod:`.bytecode` reads it with a cross-version reader.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["StoredFunction", "StoredLambda", "StoredLambdaError", "decode_lambda"]

_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")
#: First byte of a marshalled code object: ``c``, with or without the FLAG_REF bit.
_CODE_TYPES = (0x63, 0xE3)


class StoredLambdaError(ValueError):
    """The config's function cannot be read as any stored form."""


@dataclass(frozen=True, slots=True)
class StoredFunction:
    """A callable stored by name: ``module.name``."""

    name: str
    module: str


@dataclass(frozen=True, slots=True)
class StoredLambda:
    """One Lambda's function: marshal bytes with defaults and closure values, or a
    :class:`StoredFunction`; ``arguments`` are the call's keyword arguments."""

    code: bytes | None
    defaults: tuple[Any, ...] = ()
    closure: tuple[Any, ...] = ()
    function: StoredFunction | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)
    #: How the code was stored: ``base64`` or ``raw_unicode_escape``.
    encoding: str = ""


def _code_bytes(text: str) -> tuple[bytes, str]:
    compact = "".join(text.split())
    if _BASE64.match(text) and len(compact) % 4 == 0:
        try:
            raw = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if raw[:1] and raw[0] in _CODE_TYPES:
            return raw, "base64"
    try:
        raw = text.encode("raw_unicode_escape")
    except UnicodeEncodeError as exc:
        raise StoredLambdaError(f"the stored code is neither base64 nor raw_unicode_escape text ({exc})") from None
    if not raw[:1] or raw[0] not in _CODE_TYPES:
        raise StoredLambdaError("the stored code does not start with a marshalled code object")
    return raw, "raw_unicode_escape"


def _tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    raise StoredLambdaError(f"expected a list of defaults or closure values, found {str(value)[:60]!r}")


def decode_lambda(config: Mapping[str, Any]) -> StoredLambda:
    """Decode a Lambda config's stored function (raises :class:`StoredLambdaError`)."""
    function = config.get("function")
    kind = config.get("function_type", "lambda")
    arguments = config.get("arguments") or {}
    if not isinstance(arguments, Mapping) or not all(isinstance(k, str) for k in arguments):
        raise StoredLambdaError("the Lambda's 'arguments' is not a mapping of names to values")
    if config.get("mask") is not None:
        raise StoredLambdaError("the Lambda has a mask function")
    if kind == "function":
        module = config.get("module")
        if isinstance(function, Mapping):  # Keras 3 style {"class_name": "function", "config": name}
            function = function.get("config")
        if not isinstance(function, str):
            raise StoredLambdaError("a 'function' Lambda stores no function name")
        return StoredLambda(None, function=StoredFunction(function, str(module or "")), arguments=dict(arguments))
    if kind not in ("lambda", None):
        raise StoredLambdaError(f"function_type {kind!r} is not a stored form this reader knows")
    if isinstance(function, Mapping) and function.get("class_name") == "__lambda__":  # Keras 3 / tf_keras 2.13+
        inner = function.get("config") or {}
        function = [inner.get("code"), inner.get("defaults"), inner.get("closure")]
    if isinstance(function, str):
        code, defaults, closure = function, None, None
    elif isinstance(function, (list, tuple)) and len(function) == 3 and isinstance(function[0], str):
        code, defaults, closure = function
    else:
        raise StoredLambdaError(f"the Lambda's function is not stored code ({str(function)[:60]!r})")
    raw, encoding = _code_bytes(code)
    return StoredLambda(raw, _tuple(defaults), _tuple(closure), None, dict(arguments), encoding)
