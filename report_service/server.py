"""Running the report service: in the foreground (``analytics serve report-service``)
or in a thread beside other local services (``analytics up``).

uvicorn handles SIGTERM and SIGINT in the foreground: it stops accepting
connections, lets in-flight requests finish, then the app's shutdown stops the
workers (running jobs get ``REPORT_SERVICE_SHUTDOWN_GRACE_SECONDS``; the rest
stay queued for the next replica).
"""

from __future__ import annotations

import threading
import time

import uvicorn

from analytics_core.errors import AnalyticsError
from analytics_core.settings import ReportServiceSettings, Settings
from report_service.app import ReportService, create_app, local_api_key
from report_service.observability import configure_logging


class ReportServerError(AnalyticsError):
    """The report service could not start."""


def service_settings(
    host: str | None = None, port: int | None = None
) -> tuple[ReportServiceSettings, Settings, str | None]:
    """Settings from the environment, with the local API key filled in when no key is
    configured: ``(service, settings, path of the local key file or None)``."""
    settings = Settings()
    service = ReportServiceSettings()
    updates: dict[str, object] = {}
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    key_file = None
    if not service.api_key_list and not service.api_keys_secret:
        updates["api_keys"] = local_api_key(settings)
        key_file = str(settings.report_service_key_path)
    if updates:
        service = service.model_copy(update=updates)
    return service, settings, key_file


def _config(service: ReportServiceSettings, report_service: ReportService) -> uvicorn.Config:
    configure_logging(service.log_level)
    return uvicorn.Config(
        create_app(report_service),
        host=service.host,
        port=service.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(1, int(service.shutdown_grace_seconds)),
        server_header=False,
    )


def serve(service: ReportServiceSettings, settings: Settings) -> None:
    """Run in the foreground until SIGTERM or SIGINT."""
    report_service = ReportService(service, settings)
    server = uvicorn.Server(_config(service, report_service))
    server.run()
    if not server.started:
        raise ReportServerError(
            f"the report service could not listen on {service.host}:{service.port}"
        )


class ReportServer:
    """The report service in a background thread (for ``analytics up``)."""

    name = "report service"

    def __init__(self, service: ReportServiceSettings, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.service.host}]" if ":" in self.service.host else self.service.host
        return f"http://{host}:{self.port}/docs"

    @property
    def port(self) -> int:
        if self._server is not None and self._server.servers:
            sockets = self._server.servers[0].sockets
            if sockets:
                return int(sockets[0].getsockname()[1])
        return self.service.port

    def start(self) -> None:
        report_service = ReportService(self.service, self.settings)
        self._server = uvicorn.Server(_config(self.service, report_service))
        self._thread = threading.Thread(target=self._server.run, name="report-service", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ReportServerError(
                    f"the report service could not listen on "
                    f"{self.service.host}:{self.service.port}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=self.service.shutdown_grace_seconds + 15)
        self._server = None
        self._thread = None


__all__ = ["ReportServer", "serve", "service_settings"]
