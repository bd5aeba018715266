"""Read-only access to the warehouse, shared by every component.

Two layers:

- the published DuckDB file (:func:`connect_published`,
  :func:`connect_read_only`): builds publish
  ``$ANALYTICS_HOME/warehouse.duckdb`` by atomically replacing the file, so a
  connection opened here keeps reading one complete version of the warehouse
  for as long as it stays open; open a new connection to see a newer build;
- the query clients (:class:`WarehouseClient`: :class:`DuckDBClient` on the
  published file, :class:`SnowflakeClient` on a reporting schema, whose
  sessions come from the one :class:`SnowflakePool`). They are safe to use
  from several threads at once and raise :class:`WarehouseError`.

Clients take each query once, in a neutral form (:mod:`.sql`):

- relations are placeholders such as ``{rpt_daily_sales}``; the client replaces
  them with its qualified name (``reporting.rpt_daily_sales`` on DuckDB,
  ``<schema>.rpt_daily_sales`` on Snowflake). Only reporting relation names
  (``rpt_*``, checked against :data:`RELATION_NAME`) are accepted, and callers
  only use relations they declare: never user input;
- values are bind parameters ``:name``; each client translates them to its
  driver's style (DuckDB ``$name``, the Snowflake connector's ``%(name)s``).
  Values are never formatted into SQL text by this code.

Placeholders and binds are found by a scanner that knows the SQL tokens
(:func:`substitute_relations`, :func:`translate_binds`): text inside string
literals (``'...'``, ``$$...$$``), quoted identifiers (``"..."``) and comments
is never rewritten, so a value such as ``'Gizmo :pro'`` or
``'Widget {raw_data}'`` in a literal stays what it is.

Statements that were checked elsewhere (the question engines' guarded SQL) run
through :meth:`WarehouseClient.execute`, which sends the text to the driver
exactly as given: no placeholder, no bind, no rewriting of any kind.

Bounds: Snowflake sessions carry ``STATEMENT_TIMEOUT_IN_SECONDS``; DuckDB
statements are interrupted after the client's timeout and run under a memory
limit (:mod:`.duckdb_client`).
"""

from __future__ import annotations

from analytics_core.warehouse.base import (
    QueryMemoryError,
    QueryResult,
    QueryTimeoutError,
    WarehouseClient,
    WarehouseConnectionError,
    WarehouseError,
)
from analytics_core.warehouse.duckdb_client import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_STATEMENT_TIMEOUT_SECONDS,
    DUCKDB_REPORTING_SCHEMA,
    DuckDBClient,
)
from analytics_core.warehouse.published import (
    WarehouseNotBuiltError,
    connect_published,
    connect_read_only,
)
from analytics_core.warehouse.snowflake_client import (
    ConnectionFactory,
    SnowflakeClient,
    SnowflakePool,
)
from analytics_core.warehouse.sql import (
    RELATION_NAME,
    bind_names,
    check_relation_name,
    substitute_relations,
    translate_binds,
)

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_STATEMENT_TIMEOUT_SECONDS",
    "DUCKDB_REPORTING_SCHEMA",
    "RELATION_NAME",
    "ConnectionFactory",
    "DuckDBClient",
    "QueryMemoryError",
    "QueryResult",
    "QueryTimeoutError",
    "SnowflakeClient",
    "SnowflakePool",
    "WarehouseClient",
    "WarehouseConnectionError",
    "WarehouseError",
    "WarehouseNotBuiltError",
    "bind_names",
    "check_relation_name",
    "connect_published",
    "connect_read_only",
    "substitute_relations",
    "translate_binds",
]
