"""The report service's small, read-only warehouse client (DuckDB or Snowflake).

Reports write each query once, in a neutral form:

- relations are placeholders such as ``{rpt_daily_sales}``; the client replaces
  them with its qualified name (``reporting.rpt_daily_sales`` on DuckDB,
  ``<schema>.rpt_daily_sales`` on Snowflake). Only reporting relation names
  (``rpt_*``, checked against :data:`RELATION_NAME`) are accepted, and the
  report catalog only uses the relations it declares: never user input;
- values are bind parameters ``:name``; each client translates them to its
  driver's style (DuckDB ``$name``, the Snowflake connector's ``%(name)s``).
  Values are never formatted into SQL text by this code.

Placeholders and binds are found by a scanner that knows the SQL tokens
(:func:`render_template`): text inside string literals (``'...'``, ``$$...$$``),
quoted identifiers (``"..."``) and comments is never rewritten, so a value such
as ``'Gizmo :pro'`` or ``'Widget {raw_data}'`` in a literal stays what it is.

Statements that were checked elsewhere (the question engines' guarded SQL) run
through :meth:`WarehouseClient.execute`, which sends the text to the driver
exactly as given: no placeholder, no bind, no rewriting of any kind.

Bounds: Snowflake sessions carry ``STATEMENT_TIMEOUT_IN_SECONDS``. DuckDB has
no statement timeout of its own, so :class:`DuckDBClient` interrupts a
statement that runs longer than ``statement_timeout_seconds`` (the caller sees
:class:`QueryTimeoutError`), and sets the database's ``memory_limit`` with
spilling to temporary files disabled, so a query that needs more memory fails
with :class:`QueryMemoryError` instead of filling the machine or its disk.

Clients are safe to use from several threads at once.
"""

from __future__ import annotations

import logging
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from analytics_core.errors import AnalyticsError
from analytics_core.settings import (
    MEMORY_SIZE_PATTERN,
    ReportServiceSettings,
    Settings,
    SnowflakeSettings,
)
from report_service.models import ReportError

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

#: A relation placeholder's name: a reporting view.
RELATION_NAME = re.compile(r"^rpt_[a-z0-9_]+$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)\}")
#: ``:name`` binds; ``::`` casts and ``a:b`` paths are left alone.
_BIND = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
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


class QueryTimeoutError(ReportError):
    """A statement ran longer than the client's statement timeout and was stopped."""


class QueryMemoryError(ReportError):
    """A statement needed more memory than the client's memory limit."""


class WarehouseClient(ABC):
    """Runs neutral report queries (see the module docstring) read-only."""

    @abstractmethod
    def query(self, sql: str, params: Mapping[str, Any]) -> QueryResult:
        """Run ``sql`` with ``params`` bound; raise :class:`ReportError` on failure."""

    @abstractmethod
    def execute(self, statement: str) -> QueryResult:
        """Run ``statement`` exactly as given: no placeholders, no binds, no
        rewriting (the question engines' guarded SQL); :class:`ReportError` on
        failure."""

    @abstractmethod
    def relation_columns(self, relation: str) -> list[str] | None:
        """The lower-cased column names of reporting relation ``relation``, or
        ``None`` if it does not exist."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; the client may not be used afterwards."""


def check_relation_name(relation: str) -> str:
    """``relation`` if it is a reporting relation name, else ``ValueError``."""
    if not RELATION_NAME.match(relation):
        raise ValueError(f"not a reporting relation name: {relation!r}")
    return relation


def _scan(sql: str, *, backslash_escapes: bool) -> list[tuple[bool, str]]:
    """``sql`` cut into ``(is_code, text)`` pieces: code, and the spans the
    rewriting must never touch (string literals ``'...'`` and ``$$...$$``,
    quoted identifiers ``"..."`` and backticks, ``--`` and ``/* */``
    comments, and Snowflake's ``//`` comments). ``backslash_escapes``
    (Snowflake): a backslash escapes the next character inside ``'...'``; in
    DuckDB it is an ordinary character but in ``E'...'`` strings. An
    unterminated span runs to the end (the driver then reports the error)."""
    pieces: list[tuple[bool, str]] = []
    start = i = 0
    n = len(sql)

    def protect(end: int) -> None:
        nonlocal start
        if i > start:
            pieces.append((True, sql[start:i]))
        pieces.append((False, sql[i:end]))
        start = end

    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            escapes = ch == "'" and (
                backslash_escapes
                or (
                    i > 0
                    and sql[i - 1] in "eE"
                    and (i == 1 or not (sql[i - 2].isalnum() or sql[i - 2] == "_"))
                )
            )
            j = i + 1
            while j < n:
                if escapes and sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:  # a doubled quote
                        j += 2
                        continue
                    break
                j += 1
            end = min(j + 1, n)
        elif sql.startswith("--", i) or (backslash_escapes and sql.startswith("//", i)):
            newline = sql.find("\n", i)
            end = n if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            end = n if close < 0 else close + 2
        elif sql.startswith("$$", i):
            close = sql.find("$$", i + 2)
            end = n if close < 0 else close + 2
        else:
            i += 1
            continue
        protect(end)
        i = end
    if start < n:
        pieces.append((True, sql[start:]))
    return pieces


def _rewrite_code(
    sql: str, rewrite: Callable[[str], str], *, backslash_escapes: bool = False
) -> str:
    return "".join(
        rewrite(text) if is_code else text
        for is_code, text in _scan(sql, backslash_escapes=backslash_escapes)
    )


def substitute_relations(
    sql: str, qualify: Callable[[str], str], *, backslash_escapes: bool = False
) -> str:
    """Replace every ``{rpt_*}`` placeholder in the code of ``sql`` (never in
    a literal, quoted identifier or comment) with ``qualify(name)``."""

    def replace(match: re.Match[str]) -> str:
        return qualify(check_relation_name(match.group(1)))

    return _rewrite_code(
        sql, lambda code: _PLACEHOLDER.sub(replace, code), backslash_escapes=backslash_escapes
    )


def bind_names(sql: str, *, backslash_escapes: bool = False) -> set[str]:
    """The ``:name`` bind parameters used in the code of ``sql``."""
    names: set[str] = set()
    for is_code, text in _scan(sql, backslash_escapes=backslash_escapes):
        if is_code:
            names.update(_BIND.findall(text))
    return names


def translate_binds(sql: str, params: Mapping[str, Any], style: str) -> str:
    """Rewrite ``:name`` binds as ``$name`` (``style="dollar"``, DuckDB) or
    ``%(name)s`` (``style="pyformat"``, Snowflake). Every bind must have a
    value in ``params``; text in literals, quoted identifiers and comments is
    left alone (but for ``%``, which the Snowflake connector reads everywhere)."""
    backslash_escapes = style == "pyformat"
    missing = bind_names(sql, backslash_escapes=backslash_escapes) - set(params)
    if missing:
        raise ValueError(f"missing bind parameters: {', '.join(sorted(missing))}")
    if style == "dollar":
        return _rewrite_code(sql, lambda code: _BIND.sub(lambda m: "$" + m.group(1), code))
    if style == "pyformat":
        if params:
            # The connector %-formats the whole statement when it has
            # parameters, literals included.
            sql = sql.replace("%", "%%")
        return _rewrite_code(
            sql,
            lambda code: _BIND.sub(lambda m: f"%({m.group(1)})s", code),
            backslash_escapes=True,
        )
    raise ValueError(f"unknown bind style {style!r}")


def _first_line(exc: BaseException) -> str:
    message = getattr(exc, "raw_msg", None) or str(exc)
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


# --------------------------------------------------------------------------- DuckDB


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
        from analytics_core.warehouse import connect_read_only

        with self._lock:
            while True:
                if self._closed:
                    raise ReportError("the warehouse client is closed", retryable=True)
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
                    raise ReportError(
                        f"no published warehouse at {self.path}; run `analytics build` first",
                        retryable=True,
                    )
                try:
                    connection = connect_read_only(self.path)
                except AnalyticsError as exc:
                    raise ReportError(str(exc), retryable=True) from exc
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
                raise ReportError("the warehouse is busy being replaced", retryable=True)
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
            raise ReportError(
                f"cannot set the warehouse's memory limit: {_first_line(exc)}", retryable=False
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
            raise ReportError(
                f"warehouse query failed: {_first_line(exc)}", retryable=True
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


# --------------------------------------------------------------------------- Snowflake


class _SnowflakeConnection(Protocol):
    def cursor(self) -> Any: ...

    def close(self) -> None: ...

    def is_closed(self) -> bool: ...


class SnowflakeClient(WarehouseClient):
    """Read-only client on the reporting schema of a Snowflake database.

    Connections are pooled: a query borrows an idle connection (or opens one)
    and returns it afterwards, so concurrent queries never share a session.
    Every session carries ``QUERY_TAG`` and ``STATEMENT_TIMEOUT_IN_SECONDS``
    as session parameters at connect time (the emulator accepts them there;
    it does not implement ``ALTER SESSION`` for them). A query that fails
    because its connection dropped reconnects once. Connector errors become
    retryable :class:`ReportError` s whose message is the first line of the
    driver's message (never connection parameters or secrets).
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
        self._lock = threading.Lock()
        self._idle: list[_SnowflakeConnection] = []
        self._closed = False

    def _connect(self) -> _SnowflakeConnection:
        import snowflake.connector

        from analytics_core.errors import ConfigurationError
        from analytics_core.snowflake import connection_parameters

        try:
            params = connection_parameters(self.settings)
        except ConfigurationError as exc:
            raise ReportError(f"Snowflake is not configured: {exc}", retryable=False) from exc
        params["session_parameters"] = {
            "QUERY_TAG": self.query_tag,
            "STATEMENT_TIMEOUT_IN_SECONDS": self.statement_timeout_seconds,
        }
        try:
            connection: _SnowflakeConnection = snowflake.connector.connect(**params)
        except snowflake.connector.errors.Error as exc:
            raise ReportError(
                f"cannot connect to Snowflake: {_first_line(exc)}", retryable=True
            ) from exc
        return connection

    def _borrow(self) -> _SnowflakeConnection:
        with self._lock:
            if self._closed:
                raise ReportError("the warehouse client is closed", retryable=True)
            while self._idle:
                connection = self._idle.pop()
                if not connection.is_closed():
                    return connection
        return self._connect()

    def _give_back(self, connection: _SnowflakeConnection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self.max_idle:
                self._idle.append(connection)
                return
        _close_quietly(connection)

    def _qualify(self, relation: str) -> str:
        return f"{self.schema}.{relation}"

    @staticmethod
    def _run(
        connection: _SnowflakeConnection, statement: str, params: dict[str, Any]
    ) -> QueryResult:
        cursor = connection.cursor()
        try:
            cursor.execute(statement, params or None)
            columns = [str(d[0]).lower() for d in cursor.description or []]
            rows = [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()
        return QueryResult(columns, rows)

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
        import snowflake.connector

        for attempt in (1, 2):
            connection = self._borrow()
            try:
                result = self._run(connection, statement, values)
            except (
                snowflake.connector.errors.OperationalError,
                snowflake.connector.errors.InterfaceError,
            ) as exc:
                # The session dropped: discard it and try once on a new one.
                _close_quietly(connection)
                if attempt == 2:
                    raise ReportError(
                        f"warehouse query failed: {_first_line(exc)}", retryable=True
                    ) from exc
                log.info("Snowflake connection error, reconnecting once: %s", _first_line(exc))
                continue
            except snowflake.connector.errors.Error as exc:
                self._give_back(connection)
                raise ReportError(
                    f"warehouse query failed: {_first_line(exc)}", retryable=True
                ) from exc
            self._give_back(connection)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

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
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            _close_quietly(connection)


def _close_quietly(connection: _SnowflakeConnection) -> None:
    try:
        connection.close()
    except Exception:  # closing is best effort
        log.debug("closing a Snowflake connection failed", exc_info=True)


# --------------------------------------------------------------------------- helpers


def open_warehouse_client(service: ReportServiceSettings, settings: Settings) -> WarehouseClient:
    """The client ``service.warehouse`` asks for (no connection is opened yet)."""
    if service.warehouse == "snowflake":
        return SnowflakeClient(
            SnowflakeSettings(),
            schema=service.reporting_schema,
            statement_timeout_seconds=service.statement_timeout_seconds,
            query_tag=service.query_tag,
        )
    return DuckDBClient(
        settings.warehouse_path,
        statement_timeout_seconds=service.statement_timeout_seconds,
        memory_limit=service.duckdb_memory_limit,
    )


class _DeclaresRelations(Protocol):
    @property
    def relations(self) -> Mapping[str, tuple[str, ...]]: ...


def required_relations(
    catalog: Mapping[str, _DeclaresRelations],
) -> dict[str, set[str]]:
    """Every relation the catalog reads, with the union of the columns it reads."""
    needed: dict[str, set[str]] = {}
    for definition in catalog.values():
        for relation, columns in definition.relations.items():
            needed.setdefault(relation, set()).update(c.lower() for c in columns)
    return needed


def check_ready(client: WarehouseClient, catalog: Mapping[str, Any]) -> list[str]:
    """Why the warehouse cannot serve the catalog's reports; empty when it can.

    One human-readable reason per missing relation or relation missing
    columns; an unreachable or unpublished warehouse is one reason too.
    """
    reasons: list[str] = []
    needed = required_relations(catalog)
    for relation in sorted(needed):
        try:
            columns = client.relation_columns(relation)
        except ReportError as exc:
            return [f"the warehouse is not available: {exc}"]
        if columns is None:
            reasons.append(f"reporting relation {relation} does not exist")
            continue
        missing = sorted(needed[relation] - set(columns))
        if missing:
            reasons.append(f"reporting relation {relation} lacks columns: {', '.join(missing)}")
    return reasons
