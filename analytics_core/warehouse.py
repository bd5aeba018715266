"""Read-only access to the published warehouse.

Builds publish ``$ANALYTICS_HOME/warehouse.duckdb`` by atomically replacing
the file, so a connection opened here keeps reading one complete version of
the warehouse for as long as it stays open; open a new connection to see a
newer build.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from analytics_core.errors import AnalyticsError
from analytics_core.settings import Settings


class WarehouseNotBuiltError(AnalyticsError):
    """There is no published warehouse yet."""


def connect_published(settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse read-only.

    Raises :class:`WarehouseNotBuiltError` if nothing has been published yet.
    """
    settings = settings or Settings()
    return connect_read_only(settings.warehouse_path)


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a published warehouse file read-only (see :func:`connect_published`)."""
    if not path.is_file():
        raise WarehouseNotBuiltError(
            f"no published warehouse at {path}; run `analytics build` first"
        )
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AnalyticsError(f"cannot open the warehouse {path}: {first_line}") from exc
