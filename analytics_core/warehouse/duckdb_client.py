"""The read-only client on the published DuckDB warehouse file.

DuckDB has no statement timeout of its own, so :class:`DuckDBClient`
interrupts a statement that runs longer than ``statement_timeout_seconds``
(the caller sees :class:`QueryTimeoutError`), and sets the database's
``memory_limit`` with spilling to temporary files disabled, so a query that
needs more memory fails with :class:`QueryMemoryError` instead of filling the
machine or its disk.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics_core.errors import AnalyticsError, first_line
from analytics_core.settings import MEMORY_SIZE_PATTERN
from analytics_core.warehouse.base import (
    QueryMemoryError,
    QueryResult,
    QueryTimeoutError,
    WarehouseClient,
    WarehouseError,
)
from analytics_core.warehouse.published import connect_read_only
from analytics_core.warehouse.sql import (
    bind_names,
    check_relation_name,
    substitute_relations,
    translate_binds,
)

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

#: A DuckDB size such as ``2GB`` or ``512 MiB`` (settings validate the same).
MEMORY_SIZE = re.compile(MEMORY_SIZE_PATTERN)

#: Bounds of a :class:`DuckDBClient` when none are given: the report
#: service's defaults (``REPORT_SERVICE_STATEMENT_TIMEOUT_SECONDS``,
#: ``REPORT_SERVICE_DUCKDB_MEMORY_LIMIT``).
DEFAULT_STATEMENT_TIMEOUT_SECONDS = 120.0
DEFAULT_MEMORY_LIMIT = "2GB"

#: The DuckDB schema of the published reporting views.
DUCKDB_REPORTING_SCHEMA = "reporting"


@dataclass
class _DuckDBHandle:
    """One open connection to one version of the published file."""

    connection: duckdb.DuckDBPyConnection
    identity: tuple[int, int]
    active: int = 0
    retired: bool = False


class DuckDBClient(WarehouseClient):
    """Read-only client on the published DuckDB warehouse file.

    Builds publish by atomically replacing the file, so the client reopens it
    when its ``(inode, mtime)`` changes. DuckDB keeps one database instance per
    path in a process, so the old connection must be closed before the new
    file can be opened: a query that notices a new version waits for queries
    still running on the old one to finish (they are short), closes it, then
    opens the new file. Each query gets its own cursor (a DuckDB cursor is a
    separate connection to the same database), so threads share no cursor.
    """

    #: How long a reopen waits for queries on the old version (seconds).
    drain_timeout = 120.0

    def __init__(
        self,
        path: Path,
        *,
        statement_timeout_seconds: float | None = DEFAULT_STATEMENT_TIMEOUT_SECONDS,
        memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        """``statement_timeout_seconds``: a statement still running after this
        long is interrupted (:class:`QueryTimeoutError`); ``None``: no limit.
        ``memory_limit``: DuckDB's ``memory_limit`` for the database (a size
        such as ``2GB``), with spilling to temporary files disabled
        (:class:`QueryMemoryError` beyond it); ``None``: DuckDB's defaults.
        DuckDB keeps one database per file and process, so clients of the same
        file in one process share (and set) one memory limit."""
        if statement_timeout_seconds is not None and not statement_timeout_seconds > 0:
            raise ValueError("statement_timeout_seconds must be positive")
        if memory_limit is not None and not MEMORY_SIZE.match(memory_limit):
            raise ValueError(f"not a memory size such as 2GB: {memory_limit!r}")
        self.path = Path(path)
        self.statement_timeout_seconds = statement_timeout_seconds
        self.memory_limit = memory_limit
        self._lock = threading.Condition()
        self._handle: _DuckDBHandle | None = None
        self._draining = False
        self._closed = False

    def _identity(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def _acquire(self) -> _DuckDBHandle:
        with self._lock:
            while True:
                if self._closed:
                    raise WarehouseError("the warehouse client is closed", retryable=True)
                identity = self._identity()
                handle = self._handle
                if handle is not None and handle.identity == identity:
                    handle.active += 1
                    return handle
                if self._draining:
                    self._lock.wait()
                    continue
                if handle is not None:
                    self._drain(handle)
                    continue
                if identity is None:
                    raise WarehouseError(
                        f"no published warehouse at {self.path}; run `analytics build` first",
                        retryable=True,
                    )
                try:
                    connection = connect_read_only(self.path)
                except AnalyticsError as exc:
                    raise WarehouseError(str(exc), retryable=True) from exc
                self._apply_bounds(connection)
                log.debug("opened the published warehouse %s", self.path)
                self._handle = _DuckDBHandle(connection, identity, active=1)
                return self._handle

    def _drain(self, handle: _DuckDBHandle) -> None:
        """Close ``handle`` (an older version) once its queries are done; the
        caller holds the lock."""
        self._draining = True
        handle.retired = True
        try:
            if not self._lock.wait_for(lambda: handle.active == 0, self.drain_timeout):
                raise WarehouseError("the warehouse is busy being replaced", retryable=True)
            handle.connection.close()
            self._handle = None
        finally:
            self._draining = False
            self._lock.notify_all()

    def _release(self, handle: _DuckDBHandle) -> None:
        with self._lock:
            handle.active -= 1
            if handle.retired and handle.active == 0:
                if self._closed:
                    handle.connection.close()
                self._lock.notify_all()

    def _apply_bounds(self, connection: duckdb.DuckDBPyConnection) -> None:
        """The memory limit, on a newly opened database (settings are the
        database's, and may be set on a read-only one)."""
        import duckdb

        if self.memory_limit is None:
            return
        try:
            # A checked size (MEMORY_SIZE), not input.
            connection.execute(f"SET memory_limit = '{self.memory_limit}'")
            # No spilling: beyond the limit a query fails, it does not write
            # gigabytes next to the published file.
            connection.execute("SET max_temp_directory_size = '0B'")
        except duckdb.Error as exc:
            connection.close()
            raise WarehouseError(
                f"cannot set the warehouse's memory limit: {first_line(exc)}", retryable=False
            ) from exc

    def _qualify(self, relation: str) -> str:
        return f"{DUCKDB_REPORTING_SCHEMA}.{relation}"

    def query(self, sql: str, params: Mapping[str, Any]) -> QueryResult:
        statement = translate_binds(substitute_relations(sql, self._qualify), params, "dollar")
        # DuckDB refuses named values the statement does not use.
        values = {name: params[name] for name in bind_names(sql)}
        return self._run(statement, values)

    def execute(self, statement: str) -> QueryResult:
        return self._run(statement, None)

    def _run(self, statement: str, values: dict[str, Any] | None) -> QueryResult:
        import duckdb

        handle = self._acquire()
        timer: threading.Timer | None = None
        stopped = threading.Event()
        try:
            cursor = handle.connection.cursor()
            try:
                if self.statement_timeout_seconds is not None:

                    def stop() -> None:
                        stopped.set()
                        try:
                            cursor.interrupt()
                        except duckdb.Error:  # the statement ended meanwhile
                            log.debug("interrupting a finished statement", exc_info=True)

                    timer = threading.Timer(self.statement_timeout_seconds, stop)
                    timer.daemon = True
                    timer.start()
                if values:
                    cursor.execute(statement, values)
                else:
                    cursor.execute(statement)
                columns = [str(d[0]).lower() for d in cursor.description or []]
                rows = [tuple(row) for row in cursor.fetchall()]
            finally:
                if timer is not None:
                    timer.cancel()
                cursor.close()
        except duckdb.Error as exc:
            if stopped.is_set():
                raise QueryTimeoutError(
                    f"the query took longer than {self.statement_timeout_seconds:g} s"
                    " and was stopped",
                    retryable=False,
                ) from exc
            if isinstance(exc, duckdb.OutOfMemoryException):
                raise QueryMemoryError(
                    f"the query needed more memory than the limit ({self.memory_limit})"
                    " and was stopped",
                    # The limit is shared by the file's concurrent queries.
                    retryable=True,
                ) from exc
            raise WarehouseError(
                f"warehouse query failed: {first_line(exc)}", retryable=True
            ) from exc
        finally:
            self._release(handle)
        return QueryResult(columns, rows)

    def relation_columns(self, relation: str) -> list[str] | None:
        check_relation_name(relation)
        result = self.query(
            "select column_name from information_schema.columns"
            " where table_schema = :schema and table_name = :relation"
            " order by ordinal_position",
            {"schema": DUCKDB_REPORTING_SCHEMA, "relation": relation},
        )
        return [str(row[0]).lower() for row in result.rows] or None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            handle, self._handle = self._handle, None
            if handle is not None:
                handle.retired = True
                if handle.active == 0:
                    handle.connection.close()
