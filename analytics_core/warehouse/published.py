"""The published DuckDB warehouse, opened read-only (see
:mod:`analytics_core.warehouse`)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from analytics_core.errors import AnalyticsError, first_line
from analytics_core.settings import Settings


class WarehouseNotBuiltError(AnalyticsError):
    """There is no published warehouse yet."""


def connect_published(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse of ``settings`` read-only.

    Raises :class:`WarehouseNotBuiltError` if nothing has been published yet.
    """
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
        raise AnalyticsError(f"cannot open the warehouse {path}: {first_line(exc)}") from exc
