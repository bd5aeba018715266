"""What every warehouse client shares: the result type, the error types and
the interface (see :mod:`analytics_core.warehouse`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analytics_core.errors import AnalyticsError


class WarehouseError(AnalyticsError):
    """A warehouse query could not run; ``retryable`` says whether trying
    again may help (the warehouse was unreachable, busy being replaced) or
    not (the query ran too long, Snowflake is not configured). ``detail`` is
    the driver's message on its own (the first line), when there is one."""

    def __init__(self, message: str, *, retryable: bool = False, detail: str | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.detail = detail if detail is not None else message


class WarehouseConnectionError(WarehouseError):
    """No session could be opened (Snowflake refused or was not reachable)."""


class QueryTimeoutError(WarehouseError):
    """A statement ran longer than the client's statement timeout and was stopped."""


class QueryMemoryError(WarehouseError):
    """A statement needed more memory than the client's memory limit."""


@dataclass
class QueryResult:
    """Rows of one query, with lower-cased column names."""

    columns: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        """The rows as ``{column: value}`` dictionaries."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def scalar(self) -> Any:
        """The first column of the first row, or ``None`` when there is no row."""
        return self.rows[0][0] if self.rows else None


class WarehouseClient(ABC):
    """Runs neutral queries (see :mod:`analytics_core.warehouse`) read-only."""

    @abstractmethod
    def query(self, sql: str, params: Mapping[str, Any]) -> QueryResult:
        """Run ``sql`` with ``params`` bound; raise :class:`WarehouseError` on failure."""

    @abstractmethod
    def execute(self, statement: str) -> QueryResult:
        """Run ``statement`` exactly as given: no placeholders, no binds, no
        rewriting (the question engines' guarded SQL); :class:`WarehouseError` on
        failure."""

    @abstractmethod
    def relation_columns(self, relation: str) -> list[str] | None:
        """The lower-cased column names of reporting relation ``relation``, or
        ``None`` if it does not exist."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; the client may not be used afterwards."""
