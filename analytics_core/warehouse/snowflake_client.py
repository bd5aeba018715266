"""Snowflake sessions: the one connection pool (:class:`SnowflakePool`) and
the read-only client on a reporting schema (:class:`SnowflakeClient`).

The question engines run their guarded SQL on the same pool with their own
session parameters (``questions.cortex_analyst.engine.SnowflakeRunner``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from analytics_core.errors import ConfigurationError, first_line
from analytics_core.settings import SnowflakeSettings
from analytics_core.snowflake import connection_parameters
from analytics_core.warehouse.base import (
    QueryResult,
    WarehouseClient,
    WarehouseConnectionError,
    WarehouseError,
)
from analytics_core.warehouse.sql import check_relation_name, substitute_relations, translate_binds

log = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")

_T = TypeVar("_T")


class SnowflakeConnection(Protocol):
    """What the pool needs of a connector connection."""

    def cursor(self) -> Any: ...

    def close(self) -> None: ...

    def is_closed(self) -> bool: ...


#: Opens a Snowflake connection carrying the given session parameters.
ConnectionFactory = Callable[[Mapping[str, Any]], Any]


class SnowflakePool:
    """Snowflake sessions for statements that may run from several threads.

    ``connect(session_parameters)`` opens one session carrying
    ``session_parameters`` (pass them as ``session_parameters=`` to
    ``snowflake.connector.connect``: the emulator accepts them there; it does
    not implement ``ALTER SESSION`` for them). :meth:`run` borrows an idle
    session (or opens one), runs ``work(connection)`` on it and gives it
    back, so concurrent statements never share a session; at most
    ``max_idle`` idle sessions are kept. Work that fails because its session
    dropped (the connector's ``OperationalError``/``InterfaceError``) runs
    once more on a new session. Connector errors become retryable
    :class:`WarehouseError` s (:class:`WarehouseConnectionError` when no
    session could be opened) whose message is the first line of the
    driver's message, never connection parameters or secrets. Other errors
    (a :class:`WarehouseError` the factory raises itself) pass unchanged.
    """

    def __init__(
        self,
        connect: ConnectionFactory,
        session_parameters: Mapping[str, Any],
        *,
        max_idle: int = 8,
    ) -> None:
        if max_idle < 0:
            raise ValueError("max_idle must not be negative")
        self.connect = connect
        self.session_parameters = dict(session_parameters)
        self.max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: list[SnowflakeConnection] = []
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def _borrow(self) -> SnowflakeConnection:
        import snowflake.connector

        with self._lock:
            if self._closed:
                raise WarehouseError("the warehouse client is closed", retryable=True)
            while self._idle:
                connection = self._idle.pop()
                if not connection.is_closed():
                    return connection
        try:
            opened: SnowflakeConnection = self.connect(dict(self.session_parameters))
        except snowflake.connector.errors.Error as exc:
            detail = first_line(exc)
            raise WarehouseConnectionError(
                f"cannot connect to Snowflake: {detail}", retryable=True, detail=detail
            ) from exc
        return opened

    def _give_back(self, connection: SnowflakeConnection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self.max_idle:
                self._idle.append(connection)
                return
        _close_quietly(connection)

    def run(self, work: Callable[[Any], _T]) -> _T:
        """``work(connection)`` on a pooled session (see the class docstring)."""
        import snowflake.connector

        for attempt in (1, 2):
            connection = self._borrow()
            try:
                result = work(connection)
            except (
                snowflake.connector.errors.OperationalError,
                snowflake.connector.errors.InterfaceError,
            ) as exc:
                # The session dropped: discard it and try once on a new one.
                _close_quietly(connection)
                if attempt == 2:
                    raise _query_failed(exc) from exc
                log.info("Snowflake connection error, reconnecting once: %s", first_line(exc))
                continue
            except snowflake.connector.errors.Error as exc:
                self._give_back(connection)
                raise _query_failed(exc) from exc
            self._give_back(connection)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the idle sessions; sessions in use close when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            _close_quietly(connection)


def _query_failed(exc: BaseException) -> WarehouseError:
    detail = first_line(exc)
    return WarehouseError(f"warehouse query failed: {detail}", retryable=True, detail=detail)


def _close_quietly(connection: SnowflakeConnection) -> None:
    try:
        connection.close()
    except Exception:  # closing is best effort
        log.debug("closing a Snowflake connection failed", exc_info=True)


class SnowflakeClient(WarehouseClient):
    """Read-only client on the reporting schema of a Snowflake database.

    Sessions come from a :class:`SnowflakePool` (:attr:`pool`); every session
    carries ``QUERY_TAG`` and ``STATEMENT_TIMEOUT_IN_SECONDS``. Failures are
    retryable :class:`WarehouseError` s; missing Snowflake settings are a
    :class:`WarehouseError` that is not retryable, raised on first use.
    """

    #: Idle connections kept for reuse.
    max_idle = 8

    def __init__(
        self,
        snowflake_settings: SnowflakeSettings,
        schema: str,
        statement_timeout_seconds: int,
        query_tag: str,
    ) -> None:
        if not _IDENTIFIER.match(schema):
            raise ValueError(f"not a schema identifier: {schema!r}")
        self.settings = snowflake_settings
        self.schema = schema
        self.statement_timeout_seconds = int(statement_timeout_seconds)
        self.query_tag = query_tag
        self.pool = SnowflakePool(
            self._connect,
            {
                "QUERY_TAG": self.query_tag,
                "STATEMENT_TIMEOUT_IN_SECONDS": self.statement_timeout_seconds,
            },
            max_idle=self.max_idle,
        )

    def _connect(self, session_parameters: Mapping[str, Any]) -> Any:
        import snowflake.connector

        try:
            params = connection_parameters(self.settings)
        except ConfigurationError as exc:
            raise WarehouseError(f"Snowflake is not configured: {exc}", retryable=False) from exc
        return snowflake.connector.connect(**params, session_parameters=dict(session_parameters))

    def _qualify(self, relation: str) -> str:
        return f"{self.schema}.{relation}"

    def query(self, sql: str, params: Mapping[str, Any]) -> QueryResult:
        values = dict(params)
        statement = translate_binds(
            substitute_relations(sql, self._qualify, backslash_escapes=True), values, "pyformat"
        )
        return self._query(statement, values)

    def execute(self, statement: str) -> QueryResult:
        # No parameters: the connector sends the text as it is (no %-formatting).
        return self._query(statement, {})

    def _query(self, statement: str, values: dict[str, Any]) -> QueryResult:
        def work(connection: SnowflakeConnection) -> QueryResult:
            cursor = connection.cursor()
            try:
                cursor.execute(statement, values or None)
                columns = [str(d[0]).lower() for d in cursor.description or []]
                rows = [tuple(row) for row in cursor.fetchall()]
            finally:
                cursor.close()
            return QueryResult(columns, rows)

        return self.pool.run(work)

    def relation_columns(self, relation: str) -> list[str] | None:
        check_relation_name(relation)
        result = self.query(
            "select column_name from information_schema.columns"
            " where upper(table_schema) = upper(:schema) and upper(table_name) = upper(:relation)"
            " order by ordinal_position",
            {"schema": self.schema, "relation": relation},
        )
        return [str(row[0]).lower() for row in result.rows] or None

    def close(self) -> None:
        self.pool.close()
