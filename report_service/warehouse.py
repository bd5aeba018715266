"""The report service's use of the shared warehouse clients
(:mod:`analytics_core.warehouse`): the client its settings ask for, and
whether the warehouse can serve the report catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from analytics_core.errors import ConfigurationError
from analytics_core.settings import ReportServiceSettings, Settings, SnowflakeSettings
from analytics_core.warehouse import (
    DuckDBClient,
    SnowflakeClient,
    WarehouseClient,
    WarehouseError,
)


def snowflake_from_env(service: ReportServiceSettings) -> SnowflakeSettings | None:
    """For entry points (the CLI, the app factory): the Snowflake account from
    the environment (``SNOWFLAKE_*``) when the service reads Snowflake, else
    ``None`` (a DuckDB service does not depend on those variables)."""
    return SnowflakeSettings() if service.warehouse == "snowflake" else None


def open_warehouse_client(
    service: ReportServiceSettings,
    settings: Settings,
    snowflake: SnowflakeSettings | None = None,
) -> WarehouseClient:
    """The client ``service.warehouse`` asks for (no connection is opened yet);
    on Snowflake, the account of ``snowflake``, which the caller passes in."""
    if service.warehouse == "snowflake":
        if snowflake is None:
            raise ConfigurationError(
                "REPORT_SERVICE_WAREHOUSE is snowflake, but no Snowflake settings were given"
            )
        return SnowflakeClient(
            snowflake,
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
        except WarehouseError as exc:
            return [f"the warehouse is not available: {exc}"]
        if columns is None:
            reasons.append(f"reporting relation {relation} does not exist")
            continue
        missing = sorted(needed[relation] - set(columns))
        if missing:
            reasons.append(f"reporting relation {relation} lacks columns: {', '.join(missing)}")
    return reasons
