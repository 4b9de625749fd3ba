"""Qualified-name renames: the table every rule contributes to, and how it is applied.

A rename maps an *old* fully qualified name (as written in a legacy script, after alias
resolution) to its Keras 3 home. Module renames rewrite a whole prefix
(``tensorflow.keras`` -> ``keras``); member renames move one symbol
(``keras.layers.CuDNNLSTM`` -> ``keras.layers.LSTM``). Both are applied to a fixed point so
``tensorflow.keras.layers.cudnn_recurrent.CuDNNLSTM`` ends at ``keras.layers.LSTM``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["RenameTable", "split_name"]


def split_name(name: str) -> tuple[str, str]:
    """Split ``a.b.c`` into ``("a.b", "c")`` (module part empty for a bare name)."""
    module, _, last = name.rpartition(".")
    return module, last


class RenameTable:
    """Module-prefix and member renames with longest-prefix lookup.

    Kept as plain dicts rather than a trie: tables have a few hundred entries and lookups
    walk at most one prefix per dotted component.
    """

    __slots__ = ("_cache", "_module_cache", "_rests_cache", "members", "modules", "owners")

    def __init__(
        self,
        modules: Mapping[str, str] | None = None,
        members: Mapping[str, str] | None = None,
        owner: str = "imports",
    ) -> None:
        self.modules: dict[str, str] = dict(modules or {})
        self.members: dict[str, str] = dict(members or {})
        self.owners: dict[str, str] = {key: owner for key in (*self.modules, *self.members)}
        self._cache: dict[str, str] = {}
        self._module_cache: dict[str, str] = {}
        self._rests_cache: dict[str, frozenset[str]] = {}

    @classmethod
    def merged(cls, tables: Iterable[RenameTable]) -> RenameTable:
        """One table holding every entry of ``tables`` (later tables win on conflicts)."""
        merged = cls()
        for table in tables:
            merged.modules.update(table.modules)
            merged.members.update(table.members)
            merged.owners.update(table.owners)
        return merged

    def owner(self, name: str) -> str:
        """The rule id owning the entry that renames ``name`` (``imports`` by default)."""
        module_only = self.rename_modules(name)
        return self.owners.get(module_only, self.owners.get(name, "imports"))

    def rename_modules(self, name: str) -> str:
        """``name`` with module renames applied but moved members left in place.

        Rules that convert arguments need the *old* class (``ThresholdedReLU``) even after
        its module path was normalised.
        """
        cached = self._module_cache.get(name)
        if cached is not None:
            return cached
        current = name
        for _ in range(6):
            step = self._module_step(current)
            if step is None:
                break
            current = step
        self._module_cache[name] = current
        return current

    def _module_step(self, name: str) -> str | None:
        """``name`` with its longest renamed module prefix replaced once; None if none is."""
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            target = self.modules.get(".".join(parts[:i]))
            if target is not None:
                return ".".join([target, *parts[i:]])
        return None

    def is_module_rename(self, name: str) -> bool:
        """True when ``name`` is (under) a renamed module rather than a moved member."""
        parts = name.split(".")
        return any(".".join(parts[:i]) in self.modules for i in range(len(parts), 0, -1))

    def is_module(self, name: str) -> bool:
        """True when ``name`` itself is a renamed module (at any step of the renaming)."""
        current = name
        for _ in range(6):
            if current in self.modules:
                return True
            parts = current.split(".")
            for i in range(len(parts) - 1, 0, -1):
                target = self.modules.get(".".join(parts[:i]))
                if target is not None:
                    current = ".".join([target, *parts[i:]])
                    break
            else:
                return False
        return False

    def rename(self, name: str) -> str:
        """The Keras 3 name for ``name`` (``name`` itself when nothing applies)."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        current = name
        for _ in range(6):
            if current in self.members:
                current = self.members[current]
                continue
            step = self._module_step(current)
            if step is None:
                break
            current = step
        self._cache[name] = current
        return current

    def rests_under(self, target: str) -> frozenset[str]:
        """What may follow ``alias.`` for an alias bound to ``target`` to name a renamed
        entry: the rest of every module key under ``target`` and of every member key under
        ``target`` with module renames applied. Cached per table (a table is not changed
        once built); the reference triggers ask this for every import of every file."""
        cached = self._rests_cache.get(target)
        if cached is not None:
            return cached
        rests: set[str] = set()
        normalised = self.rename_modules(target)
        for key in self.modules:
            if key.startswith(target + "."):
                rests.add(key[len(target) + 1 :])
        for key in self.members:
            if key.startswith(normalised + "."):
                rests.add(key[len(normalised) + 1 :])
        result = self._rests_cache[target] = frozenset(rests)
        return result

    def prefixes(self) -> set[str]:
        """Every old name or module prefix that some entry rewrites (for prefilters)."""
        return set(self.modules) | set(self.members)
