"""Peephole clean-up of a built graph: transposes that cancel out, and dead nodes.

Lowerings of ops ONNX only has in NCHW (Conv, Pool, Resize...) transpose around them, so
consecutive layers leave transpose pairs back to back; :func:`cancel_transposes` folds
them, shares one transpose per (input, perm) and drops nodes nothing uses.
"""

from __future__ import annotations

from keras_migrate.converters.onnx.builder import Builder

__all__ = ["all_uses", "cancel_transposes"]


def cancel_transposes(b: Builder, keep: set[str]) -> None:
    """Fold ``Transpose(Transpose(x))`` pairs (identity pairs vanish); drop dead nodes.

    ``keep`` holds tensor names that must survive (graph outputs).
    """
    changed = True
    while changed:
        changed = False
        producers = {out: n for n in b.nodes for out in n.outputs}
        for node in b.nodes:
            if node.op_type != "Transpose":
                continue
            src = producers.get(node.inputs[0])
            if src is None or src.op_type != "Transpose":
                continue
            p1, p2 = src.attrs["perm"], node.attrs["perm"]
            composed = [p1[i] for i in p2]
            if composed == list(range(len(composed))):
                if node.outputs[0] in keep:
                    node.op_type, node.attrs = "Identity", {}
                    node.inputs = [src.inputs[0]]
                else:
                    _replace_uses(b, node.outputs[0], src.inputs[0])
                    node.op_type = "_dead"
            else:
                node.inputs = [src.inputs[0]]
                node.attrs = {"perm": composed}
            changed = True
        b.nodes = [n for n in b.nodes if n.op_type != "_dead"]
        changed |= _merge_duplicate_transposes(b, keep)
        changed |= _drop_dead(b, keep)


def _merge_duplicate_transposes(b: Builder, keep: set[str]) -> bool:
    """One ``Transpose`` per (input, perm): parallel branches share the re-laid-out tensor."""
    seen: dict[tuple[str, tuple[int, ...]], str] = {}
    merged = False
    for node in b.nodes:
        if node.op_type != "Transpose" or node.outputs[0] in keep:
            continue
        key = (node.inputs[0], tuple(node.attrs["perm"]))
        if key in seen:
            _replace_uses(b, node.outputs[0], seen[key])
            node.op_type = "_dead"
            merged = True
        else:
            seen[key] = node.outputs[0]
    b.nodes = [n for n in b.nodes if n.op_type != "_dead"]
    return merged


def all_uses(b: Builder) -> set[str]:
    """Every tensor name a node of ``b`` (or of a subgraph it holds) reads."""
    used: set[str] = set()
    for n in b.nodes:
        used.update(n.inputs)
        for v in n.attrs.values():
            if isinstance(v, Builder):
                used |= all_uses(v)
                used.update(o for o, _, _ in v.outputs)
    return used


def _drop_dead(b: Builder, keep: set[str]) -> bool:
    used = all_uses(b) | keep
    alive = [n for n in b.nodes if any(o in used for o in n.outputs)]
    dropped = len(alive) != len(b.nodes)
    b.nodes = alive
    return dropped


def _replace_uses(b: Builder, old: str, new: str) -> None:
    for n in b.nodes:
        n.inputs = [new if i == old else i for i in n.inputs]
        for v in n.attrs.values():
            if isinstance(v, Builder):
                _replace_uses(v, old, new)
                v.outputs = [(new if o == old else o, d, s) for o, d, s in v.outputs]
