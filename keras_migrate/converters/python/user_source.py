"""The user's code (``--custom-objects``) inlined into generated ``.py`` output.

The generated module must run on its own, so each user module the model uses is copied in
as it was imported (after the codemods' upgrade, when it was legacy code), followed by the
registration of its functions under their names, which is how the
``keras_migrate>UserFunction`` layer (a Lambda replacement) and function-valued configs find
them.
"""

from __future__ import annotations

from collections.abc import Sequence

from keras_migrate.ir.user_code import UserObject

__all__ = ["user_source_blocks"]


def user_source_blocks(objects: Sequence[UserObject]) -> list[str]:
    """Source lines: every distinct user module once, then its functions registered."""
    out: list[str] = []
    seen: set[str] = set()
    for obj in objects:
        if obj.origin in seen or not obj.source:
            continue
        seen.add(obj.origin)
        out += ["", "", f"# --- the user's code from {obj.origin} (--custom-objects), as keras-migrate imported it ---",
                "", obj.source.rstrip("\n"), f"# --- end of {obj.origin} ---"]  # fmt: skip
    functions = sorted({(o.registered_name, o.attribute) for o in objects if o.kind != "layer"})
    if functions:
        pairs = ", ".join(f"{name!r}: {attr}" for name, attr in functions)
        out += ["", "", "keras.saving.get_custom_objects().update({" + pairs + "})"]
    return out
