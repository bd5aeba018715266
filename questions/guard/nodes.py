"""A parsed statement's nodes, walked once: every check that looks for a kind
of node anywhere in the statement asks :class:`Nodes` instead of walking the
whole tree again (a dozen walks per check, two checks per statement)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlglot import exp

N = TypeVar("N", bound=exp.Expr)


class Nodes:
    """Every node of ``root`` in the order :meth:`sqlglot.exp.Expression.find_all`
    visits them (breadth first). The tree must not change while this is used."""

    def __init__(self, root: exp.Expression) -> None:
        self.root = root
        self._all: list[exp.Expr] = list(root.walk(bfs=True))
        self._found: dict[tuple[type, ...], list[Any]] = {}

    def find_all(self, *types: type[N]) -> list[N]:
        """The nodes that are instances of any of ``types``, in walk order
        (what ``root.find_all(*types)`` yields)."""
        found = self._found.get(types)
        if found is None:
            found = [node for node in self._all if isinstance(node, types)]
            self._found[types] = found
        return found
