"""One libcst traversal that runs every selected rule on a statement.

Rules never walk the tree themselves: the dispatcher calls their ``leave_*`` hooks in rule
order, keeps the enclosing ``def``/``class``/``Lambda`` frames that tell rules whether they
are inside Keras code, and skips names that are not references (attribute names, keyword
names, parameters) so renames only touch real uses.

The walk is libcst's visit/leave protocol, but rebuilds only the nodes on the path to a
change: ``CSTTransformer`` reconstructs (and re-validates) every node it passes, which
costs more than parsing. Whitespace and punctuation fields are never entered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import libcst as cst

from keras_migrate.codemods.codegen import child_fields, replace_node
from keras_migrate.codemods.references import ImportPlan, rename_reference, rewrite_imports
from keras_migrate.codemods.rule import RuleContext, dotted
from keras_migrate.codemods.segments import KERAS_METHODS, Frame

#: Every follow-up comment starts with this, so users can grep for open work.
COMMENT_PREFIX = "# keras-migrate: "

__all__ = ["COMMENT_PREFIX", "Dispatcher", "Hook"]

Hook = Callable[[RuleContext, Any, Any], Any]

#: keras.backend functions that write to a variable argument (everything else only reads)
_BACKEND_WRITERS = frozenset(
    {"set_value", "update", "update_add", "update_sub", "moving_average_update", "batch_set_value"}
)

#: keras.backend functions that returned variables (see ``RuleContext.call_arguments``)
_FACTORIES = frozenset({"zeros", "ones", "eye"})
#: keras.backend/TF/keras.ops functions on whose result an argument's integer width has no
#: effect (see ``RuleContext.width_free``)
_WIDTH_FREE = frozenset(
    {"equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "cast", "one_hot", "gather"}
)


def _last_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else None


#: Per node class: (visit hook, leave hook, child fields), looked up once per process.
_PLANS: dict[type, tuple[Any, Any, tuple[str, ...]]] = {}
#: Classes whose only fields are strings or punctuation: never entered.
_LEAVES = frozenset(
    {
        cst.Name,
        cst.SimpleString,
        cst.Integer,
        cst.Float,
        cst.Imaginary,
        cst.FormattedStringText,
        cst.Comment,
        cst.SimpleWhitespace,
        cst.Newline,
        cst.Comma,
        cst.Dot,
        cst.AssignEqual,
        cst.Colon,
        cst.Semicolon,
        cst.LeftParen,
        cst.RightParen,
    }
)


def _plan(dispatcher: type, kind: type) -> tuple[Any, Any, tuple[str, ...]]:
    pre = getattr(dispatcher, "visit_" + kind.__name__, None)
    post = getattr(dispatcher, "leave_" + kind.__name__, None)
    fields = () if kind in _LEAVES else child_fields(kind)
    return pre, post, fields


class Dispatcher:
    """Runs rule hooks and reference/import renames over one parsed segment."""

    def __init__(
        self,
        ctx: RuleContext,
        plan: ImportPlan,
        hooks: Mapping[str, Sequence[tuple[str, Hook]]],
        *,
        above: frozenset[str] = frozenset(),
        root_depth: int = 1,
    ) -> None:
        self.ctx = ctx
        self.plan = plan
        self.hooks = hooks
        self.above = above
        self.root_depth = root_depth
        self._skip: set[int] = set()
        self._lambda_pushed: list[bool] = []

    # -- the walk ----------------------------------------------------------------------
    def walk(self, node: Any) -> Any:
        """Visit ``node``'s subtree; return it, or its replacement if anything changed."""
        kind = type(node)
        plan = _PLANS.get(kind)
        if plan is None:
            plan = _PLANS[kind] = _plan(type(self), kind)
        pre, post, fields = plan
        updated = node
        if fields and (pre is None or pre(self, node) is not False):
            changes: dict[str, Any] | None = None
            for name in fields:
                value = getattr(node, name)
                if isinstance(value, cst.CSTNode):
                    new = self.walk(value)
                    if new is not value:
                        if changes is None:
                            changes = {}
                        changes[name] = new
                elif value.__class__ in (list, tuple) and value:
                    new_seq = self._walk_sequence(value)
                    if new_seq is not value:
                        if changes is None:
                            changes = {}
                        changes[name] = new_seq
            if changes:
                updated = replace_node(node, changes)
        elif pre is not None and not fields:
            pre(self, node)
        return post(self, node, updated) if post is not None else updated

    def _walk_sequence(self, values: Sequence[Any]) -> Sequence[Any]:
        out: list[Any] | None = None
        for index, value in enumerate(values):
            new = self.walk(value) if isinstance(value, cst.CSTNode) else value
            if new is value:
                if out is not None:
                    out.append(value)
                continue
            if out is None:
                out = list(values[:index])
            if isinstance(new, cst.FlattenSentinel):
                out.extend(new.nodes)
            elif not isinstance(new, cst.RemovalSentinel):
                out.append(new)
        return values if out is None else out

    # -- follow-up comments go on the innermost statement that raised them --------------
    def _enter(self) -> None:
        self.ctx.pending.append([])

    def _attach(self, result: Any) -> Any:
        depth = len(self.ctx.pending)
        notes = self.ctx.pending.pop()
        if not notes:
            return result
        # for a statement split in several, the last one is the original statement
        target = result.nodes[-1] if isinstance(result, cst.FlattenSentinel) else result
        if not isinstance(target, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            parent = self.ctx.pending[-1] if self.ctx.pending else self.ctx.root_notes
            parent.extend(n for n in notes if n not in parent)
            return result
        existing = {line.comment.value for line in target.leading_lines if line.comment}
        if depth == self.root_depth:
            existing |= self.above
        lines = [
            cst.EmptyLine(comment=cst.Comment(f"{COMMENT_PREFIX}{note.message}"))
            for note in notes
            if f"{COMMENT_PREFIX}{note.message}" not in existing
        ]
        if not lines:
            return result
        new_target = target.with_changes(leading_lines=[*target.leading_lines, *lines])
        if isinstance(result, cst.FlattenSentinel):
            return cst.FlattenSentinel([*list(result.nodes)[:-1], new_target])
        return new_target

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        self._enter()
        return True

    def visit_If(self, node: cst.If) -> bool:
        self._enter()
        return True

    def leave_If(self, original_node: cst.If, updated_node: cst.If) -> Any:
        return self._attach(updated_node)

    def visit_For(self, node: cst.For) -> bool:
        self._enter()
        return True

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> Any:
        return self._attach(updated_node)

    def visit_While(self, node: cst.While) -> bool:
        self._enter()
        return True

    def leave_While(self, original_node: cst.While, updated_node: cst.While) -> Any:
        return self._attach(updated_node)

    def visit_With(self, node: cst.With) -> bool:
        self._enter()
        return True

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> Any:
        return self._attach(updated_node)

    def visit_Try(self, node: cst.Try) -> bool:
        self._enter()
        return True

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> Any:
        return self._attach(updated_node)

    def _run(self, hook: str, original: Any, updated: Any) -> Any:
        kind = type(original)
        for rule_id, fn in self.hooks.get(hook, ()):
            self.ctx.rule = rule_id
            updated = fn(self.ctx, original, updated)
            if type(updated) is not kind:
                break
        return updated

    # -- what is not a reference -------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self._skip.add(id(node.value))
        self._skip.add(id(node.attr))
        return True

    def visit_Param(self, node: cst.Param) -> bool:
        self._skip.add(id(node.name))
        return True

    def visit_AsName(self, node: cst.AsName) -> bool:
        self._skip.add(id(node.name))
        return True

    def visit_Global(self, node: cst.Global) -> bool:
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        return False

    # -- frames ------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._enter()
        self._skip.add(id(node.name))
        facts = self.ctx.facts
        keras = any(
            (name := dotted(base.value)) is not None and facts.is_keras_base(name)
            for base in node.bases
        )
        bases = tuple(
            legacy
            for base in node.bases
            if (name := dotted(base.value)) is not None
            for legacy in facts.legacy_names(name)
        )
        self.ctx.frames.append(Frame("class", node.name.value, keras, bases))
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> Any:
        self.ctx.frames.pop()
        return self._attach(updated_node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._enter()
        self._skip.add(id(node.name))
        frames = self.ctx.frames
        name = node.name.value
        in_keras_class = bool(frames) and frames[-1].kind == "class" and frames[-1].keras
        keras = (
            in_keras_class
            or name in self.ctx.facts.keras_functions
            or any(f.keras for f in frames)
            or (
                bool(frames)
                and frames[-1].kind == "class"
                and name in KERAS_METHODS
                and in_keras_class
            )
        )
        frames.append(Frame("def", name, keras))
        return True

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> Any:
        updated_node = self._run("leave_FunctionDef", original_node, updated_node)
        self.ctx.frames.pop()
        return self._attach(updated_node)

    def visit_Call(self, node: cst.Call) -> bool:
        nested = [
            arg.value
            for arg in node.args
            if isinstance(arg.value, cst.Call) and _last_name(arg.value.func) in _FACTORIES
        ]
        if nested and any(
            name.startswith("keras.backend.") and name[14:] not in _BACKEND_WRITERS
            for name in self.ctx.legacy_names(node.func)
        ):
            self.ctx.call_arguments.update(id(call) for call in nested)
        if _last_name(node.func) in _WIDTH_FREE and any(
            name.startswith(("keras.backend.", "tensorflow.", "keras.ops."))
            for name in self.ctx.legacy_names(node.func)
        ):
            args = node.args[:1] if _last_name(node.func) in ("cast", "one_hot") else node.args
            if _last_name(node.func) == "gather":
                args = [a for i, a in enumerate(node.args) if (a.keyword is None and i == 1) or (a.keyword is not None and a.keyword.value == "indices")]
            self.ctx.width_free.update(id(a.value) for a in args if isinstance(a.value, cst.Call))
        if self.ctx.matches(node.func, "keras.layers.Lambda"):
            for arg in node.args:
                if isinstance(arg.value, cst.Lambda):
                    self.ctx.keras_lambdas.add(id(arg.value))
        return True

    def visit_Comparison(self, node: cst.Comparison) -> bool:
        operands = [node.left, *(c.comparator for c in node.comparisons)]
        self.ctx.width_free.update(id(o) for o in operands if isinstance(o, cst.Call))
        return True

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        if (
            isinstance(node.value, cst.Call)
            and len(node.slice) == 1
            and isinstance(node.slice[0].slice, cst.Index)
        ):
            self.ctx.indexed.add(id(node.value))
        return True

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        pushed = id(node) in self.ctx.keras_lambdas
        if pushed:
            self.ctx.frames.append(Frame("lambda", "<lambda>", True))
        self._lambda_pushed.append(pushed)
        return True

    def leave_Lambda(
        self, original_node: cst.Lambda, updated_node: cst.Lambda
    ) -> cst.BaseExpression:
        if self._lambda_pushed.pop():
            self.ctx.frames.pop()
        return updated_node

    # -- rewrites ----------------------------------------------------------------------
    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if id(original_node) in self._skip:
            return updated_node
        new = rename_reference(self.ctx, self.plan, original_node, updated_node)
        if isinstance(new, cst.Name):
            return self._run("leave_Name", original_node, new)
        return new

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        new: cst.BaseExpression = updated_node
        if id(original_node) not in self._skip:
            new = rename_reference(self.ctx, self.plan, original_node, updated_node)
        if isinstance(new, cst.Attribute):
            return self._run("leave_Attribute", original_node, new)
        return new

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return self._run("leave_Call", original_node, updated_node)

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        return self._run("leave_Subscript", original_node, updated_node)

    def leave_Comparison(
        self, original_node: cst.Comparison, updated_node: cst.Comparison
    ) -> cst.BaseExpression:
        return self._run("leave_Comparison", original_node, updated_node)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Any:
        if any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in updated_node.body):
            result = rewrite_imports(self.ctx, self.plan, updated_node)
            if not isinstance(result, cst.SimpleStatementLine):
                return self._attach(result)
            updated_node = result
        return self._attach(self._run("leave_SimpleStatementLine", original_node, updated_node))
