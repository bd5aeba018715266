"""What every command shares: the consoles, the settings from the environment
and the errors a command line can make."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from analytics_core.errors import AnalyticsError, ConfigurationError
from analytics_core.settings import Settings

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class UsageError(AnalyticsError):
    """Options that do not go together."""

    exit_code = 2


def load_settings() -> Settings:
    """Settings from the environment; a bad value is one clear line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "ANALYTICS_" + "_".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"{name}: {first['msg']}") from exc


def positive(value: float | None) -> float | None:
    """An option callback: the value, if it is greater than 0."""
    if value is not None and not value > 0:
        raise typer.BadParameter("must be greater than 0")
    return value


def checked_service_settings(factory: Any, host: str | None, port: int | None) -> Any:
    """The report service's settings from ``factory`` (its ``service_settings``);
    a bad ``REPORT_SERVICE_*`` value is one clear line."""
    try:
        return factory(host, port)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "REPORT_SERVICE_" + "_".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"{name}: {first['msg']}") from exc
