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
        advice = ""
        if NOT_A_DATABASE in str(exc):
            advice = (
                " (the published copy is damaged; the next build replaces it:"
                " run analytics build --force)"
            )
        raise AnalyticsError(
            f"cannot open the warehouse {path}: {first_line(exc)}{advice}"
        ) from exc


#: What DuckDB says of a file that is not one of its databases.
NOT_A_DATABASE = "not a valid DuckDB database file"
