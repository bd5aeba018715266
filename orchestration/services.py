"""Long-running local services that ``analytics up`` starts and stops together.

A service has a name, a URL once started, and ``start``/``stop``. The
:class:`ServiceGroup` starts them in order and stops them in reverse order,
also when one of them fails to start.
"""

from __future__ import annotations

import functools
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Protocol

from analytics_core.errors import AnalyticsError
from analytics_core.settings import PROJECT_ROOT


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


def streamlit_argv(host: str, port: int) -> list[str]:
    """The command that serves the Streamlit UI (``ui/app.py``): headless, no
    usage statistics, no error details or developer menu for the people using it."""
    return [
        sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "ui" / "app.py"),
        "--server.address", host, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "false", "--client.toolbarMode", "viewer",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class StreamlitUI:
    """The Streamlit UI as a child process (Streamlit runs its own event loop and
    signal handlers, so it does not share this process). Its output goes to
    ``log_path``; ``env`` adds to this process's environment (the report service
    URL); a callable is called at start, when the services before it listen."""

    name = "UI"

    def __init__(
        self,
        log_path: Path,
        host: str = "127.0.0.1",
        port: int = 8501,
        env: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
        start_timeout: float = 90,
    ) -> None:
        self.log_path = log_path
        self.host = host
        self.port = port
        self.env = env or {}
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> None:
        if self.port == 0:
            self.port = _free_port(self.host)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
            streamlit_argv(self.host, self.port),
            env={**os.environ, **(self.env() if callable(self.env) else self.env)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.start_timeout
        health = f"{self.url}_stcore/health"
        while True:
            if self._process.poll() is not None:
                self.stop()
                raise ServiceError(
                    f"cannot serve the UI on {self.host}:{self.port}: {self._tail()}"
                )
            try:
                with urllib.request.urlopen(health, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise ServiceError(
                    f"the UI did not answer on {self.host}:{self.port} within "
                    f"{self.start_timeout:.0f} s; its log is {self.log_path}"
                )
            time.sleep(0.25)

    def _tail(self) -> str:
        lines = [
            line.strip()
            for line in self.log_path.read_text(errors="replace").splitlines()
            if line.strip()
        ]
        if not lines:
            return f"it exited; its log is {self.log_path}"
        # Streamlit starts its lines with a timestamp: the message is what follows.
        return re.sub(r"^\d{4}-\d{2}-\d{2} [\d:.]+ ", "", lines[-1])

    def stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
