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
from analytics_core.settings import ReportServiceSettings, Settings, SnowflakeSettings
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


class WarehouseClient(ABC):
    """Runs neutral report queries (see the module docstring) read-only."""

    @abstractmethod
    def query(self, sql: str, params: Mapping[str, Any]) -> QueryResult:
        """Run ``sql`` with ``params`` bound; raise :class:`ReportError` on failure."""

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


def substitute_relations(sql: str, qualify: Callable[[str], str]) -> str:
    """Replace every ``{rpt_*}`` placeholder of ``sql`` with ``qualify(name)``."""

    def replace(match: re.Match[str]) -> str:
        return qualify(check_relation_name(match.group(1)))

    return _PLACEHOLDER.sub(replace, sql)


def bind_names(sql: str) -> set[str]:
    """The ``:name`` bind parameters used in ``sql``."""
    return set(_BIND.findall(sql))


def translate_binds(sql: str, params: Mapping[str, Any], style: str) -> str:
    """Rewrite ``:name`` binds as ``$name`` (``style="dollar"``) or ``%(name)s``
    (``style="pyformat"``). Every bind must have a value in ``params``."""
    missing = bind_names(sql) - set(params)
    if missing:
        raise ValueError(f"missing bind parameters: {', '.join(sorted(missing))}")
    if style == "dollar":
        return _BIND.sub(lambda m: "$" + m.group(1), sql)
    if style == "pyformat":
        if params:
            # The connector %-formats the statement when it has parameters.
            sql = sql.replace("%", "%%")
        return _BIND.sub(lambda m: f"%({m.group(1)})s", sql)
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
    when its ``(inode, mtime)`` changes; queries already running finish on the
    version they started on. Each query gets its own cursor (a DuckDB cursor is
    a separate connection to the same database), so threads do not share one.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._handle: _DuckDBHandle | None = None
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
            if self._closed:
                raise ReportError("the warehouse client is closed", retryable=True)
            identity = self._identity()
            handle = self._handle
            if handle is not None and handle.identity == identity:
                handle.active += 1
                return handle
            if identity is None:
                raise ReportError(
                    f"no published warehouse at {self.path}; run `analytics build` first",
                    retryable=True,
                )
            try:
                connection = connect_read_only(self.path)
            except AnalyticsError as exc:
                raise ReportError(str(exc), retryable=True) from exc
            if handle is not None:
                handle.retired = True
                if handle.active == 0:
                    handle.connection.close()
            log.debug("opened the published warehouse %s", self.path)
            self._handle = _DuckDBHandle(connection, identity, active=1)
            return self._handle

    def _release(self, handle: _DuckDBHandle) -> None:
        with self._lock:
            handle.active -= 1
            if handle.retired and handle.active == 0:
                handle.connection.close()

    def _qualify(self, relation: str) -> str:
        return f"{DUCKDB_REPORTING_SCHEMA}.{relation}"

    def query(self, sql: str, params: Mapping[str, Any]) -> QueryResult:
        import duckdb

        statement = translate_binds(substitute_relations(sql, self._qualify), params, "dollar")
        handle = self._acquire()
        try:
            cursor = handle.connection.cursor()
            try:
                cursor.execute(statement, dict(params))
                columns = [str(d[0]).lower() for d in cursor.description or []]
                rows = [tuple(row) for row in cursor.fetchall()]
            finally:
                cursor.close()
        except duckdb.Error as exc:
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

    One connector connection is shared (the connector is thread-safe at
    ``threadsafety=2``; each query has its own cursor). Every session carries
    ``QUERY_TAG`` and ``STATEMENT_TIMEOUT_IN_SECONDS`` as session parameters.
    A query that fails because the connection dropped reconnects once.
    Connector errors become retryable :class:`ReportError` s whose message is
    the first line of the driver's message (no connection parameters).
    """

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
        self._connection: _SnowflakeConnection | None = None
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

    def _get_connection(self, *, fresh: bool = False) -> _SnowflakeConnection:
        with self._lock:
            if self._closed:
                raise ReportError("the warehouse client is closed", retryable=True)
            current = self._connection
            if fresh or current is None or current.is_closed():
                if current is not None:
                    try:
                        current.close()
                    except Exception:  # the old connection is gone anyway
                        log.debug("closing a broken Snowflake connection failed", exc_info=True)
                current = self._connection = self._connect()
            return current

    def _qualify(self, relation: str) -> str:
        return f"{self.schema}.{relation}"

    def _run(self, connection: _SnowflakeConnection, statement: str, params: dict[str, Any]) -> Any:
        cursor = connection.cursor()
        try:
            cursor.execute(statement, params or None)
            columns = [str(d[0]).lower() for d in cursor.description or []]
            rows = [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()
        return QueryResult(columns, rows)

    def query(self, sql: str, params: Mapping[str, Any]) -> QueryResult:
        import snowflake.connector

        values = dict(params)
        statement = translate_binds(substitute_relations(sql, self._qualify), values, "pyformat")
        connection = self._get_connection()
        try:
            result: QueryResult = self._run(connection, statement, values)
            return result
        except (
            snowflake.connector.errors.OperationalError,
            snowflake.connector.errors.InterfaceError,
        ) as exc:
            log.info("Snowflake connection error, reconnecting once: %s", _first_line(exc))
        except snowflake.connector.errors.Error as exc:
            raise ReportError(
                f"warehouse query failed: {_first_line(exc)}", retryable=True
            ) from exc
        connection = self._get_connection(fresh=True)
        try:
            result = self._run(connection, statement, values)
            return result
        except snowflake.connector.errors.Error as exc:
            raise ReportError(
                f"warehouse query failed: {_first_line(exc)}", retryable=True
            ) from exc

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
            connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # closing is best effort
                log.debug("closing the Snowflake connection failed", exc_info=True)


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
    return DuckDBClient(settings.warehouse_path)


class _DeclaresRelations(Protocol):
    relations: Mapping[str, tuple[str, ...]]


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
