"""Running the report service: in the foreground (``analytics serve report-service``)
or in a thread beside other local services (``analytics up``).

uvicorn handles SIGTERM and SIGINT in the foreground: it stops accepting
connections, lets in-flight requests finish, then the app's shutdown stops the
workers (running jobs get ``REPORT_SERVICE_SHUTDOWN_GRACE_SECONDS``; the rest
stay queued for the next replica).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from analytics_core.errors import AnalyticsError
from analytics_core.settings import ReportServiceSettings, Settings, SnowflakeSettings
from report_service.app import create_app
from report_service.observability import configure_logging
from report_service.service import ReportService, local_api_key


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


#: After refusing a request head, how long the rest of it is read and dropped.
LINGER_SECONDS = 2.0


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head.

    httptools accepts request heads of any size, and its cost grows faster than
    linearly with a header's size (an 8 MB header was accepted, a 60 MB one
    stalled the event loop). Here the bytes of a request head are counted
    before the parser sees them: a head (request line and headers) larger than
    ``max_head_bytes`` is answered 431 and the connection closed without
    parsing the rest; a head not complete ``head_timeout`` seconds after the
    connection opened (or after its first byte, on a kept-alive connection) is
    answered 408. The app checks the number of headers
    (``report_service/edge.py``)."""

    max_head_bytes = 64 * 1024
    head_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._discarding = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        if not self._in_head:
            super().data_received(data)
            return
        if self._head_timer is None:
            self._arm_head_timer()
        budget = self.max_head_bytes - self._head_bytes
        if len(data) <= budget:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        # Parse no more than the budget: if the head ends within it, the rest is
        # body (or the next request); if not, the head is too large.
        head, rest = data[:budget], data[budget:]
        self._head_bytes += len(head)
        if head:
            super().data_received(head)
        if self.transport.is_closing():
            return
        if self.in_head():  # the parser did not reach the end of the head
            self._refuse(
                431,
                "headers_too_large",
                f"the request line and headers are larger than {self.max_head_bytes} bytes",
            )
            return
        super().data_received(rest)

    def in_head(self) -> bool:
        """Whether the current request's head is still arriving."""
        return self._in_head

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._in_head:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # a pipelined request waits for the response before it
            return
        self._refuse(
            408,
            "request_timeout",
            f"the request line and headers did not arrive within {self.head_timeout:g} s",
        )

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer ``status`` and close; what the client still sends meanwhile is read
        and dropped for up to :data:`LINGER_SECONDS` (a lingering close), so that
        it reads the answer instead of a connection reset."""
        self.logger.warning("refused a request: %s", message)
        self._cancel_head_timer()
        self._in_head = False
        self._discarding = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a response is under way: no second one on this stream
            return
        payload = json.dumps({"error": {"code": code, "message": message}}).encode()
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[status],
                    b"content-type: application/json\r\n",
                    b"content-length: " + str(len(payload)).encode() + b"\r\n",
                    b"connection: close\r\n\r\n",
                    payload,
                ]
            )
        )
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:  # pragma: no cover - TLS transports cannot half-close
            self.transport.close()


def bounded_http_protocol(service: ReportServiceSettings) -> type[BoundedHttpProtocol]:
    """:class:`BoundedHttpProtocol` with the limits of ``service``."""
    return type(
        "BoundedHttpProtocol",
        (BoundedHttpProtocol,),
        {
            "max_head_bytes": service.max_header_bytes,
            "head_timeout": service.header_timeout_seconds,
        },
    )


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
        http=bounded_http_protocol(service),
        # The same bound, should the server ever run on h11 (``--http h11``).
        h11_max_incomplete_event_size=service.max_header_bytes,
    )


def serve(
    service: ReportServiceSettings,
    settings: Settings,
    snowflake: SnowflakeSettings | None = None,
) -> None:
    """Run in the foreground until SIGTERM or SIGINT (``snowflake``: the account
    a Snowflake warehouse reads)."""
    report_service = ReportService(service, settings, snowflake=snowflake)
    server = uvicorn.Server(_config(service, report_service))
    server.run()
    if not server.started:
        raise ReportServerError(
            f"the report service could not listen on {service.host}:{service.port}"
        )


class ReportServer:
    """The report service in a background thread (for ``analytics up``)."""

    name = "report service"

    def __init__(
        self,
        service: ReportServiceSettings,
        settings: Settings,
        snowflake: SnowflakeSettings | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        self.snowflake = snowflake
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
        report_service = ReportService(self.service, self.settings, snowflake=self.snowflake)
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
