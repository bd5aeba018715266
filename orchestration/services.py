"""Long-running local services that ``analytics up`` starts and stops together.

A service has a name, a URL once started, and ``start``/``stop``. The
:class:`ServiceGroup` starts them in order and stops them in reverse order,
also when one of them fails to start.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

from analytics_core.errors import AnalyticsError


class ServiceError(AnalyticsError):
    """A service could not start."""


class Service(Protocol):
    name: str

    @property
    def url(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class StaticSite:
    """A directory served over HTTP by the standard library, in a thread."""

    def __init__(self, name: str, directory: Path, host: str = "127.0.0.1", port: int = 8080):
        self.name = name
        self.directory = directory
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> None:
        handler = functools.partial(_QuietHandler, directory=str(self.directory))
        try:
            self._server = _Server((self.host, self.port), handler)
        except OSError as exc:
            raise ServiceError(
                f"cannot serve {self.name} on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from exc
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"serve-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class ServiceGroup:
    """Services that run together: all started, or none left running."""

    def __init__(self, services: Sequence[Service]) -> None:
        self.services = list(services)
        self._started: list[Service] = []

    def start(self) -> None:
        for service in self.services:
            try:
                service.start()
            except BaseException:
                self.stop()
                raise
            self._started.append(service)

    def stop(self) -> None:
        while self._started:
            self._started.pop().stop()

    @contextmanager
    def running(self) -> Iterator[ServiceGroup]:
        self.start()
        try:
            yield self
        finally:
            self.stop()
