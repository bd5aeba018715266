"""The report service for tests: the real ``analytics serve report-service``
as a process (:func:`running`), talked to over HTTP with httpx as Snowflake,
the UI and scripts do; or its app in this process (:func:`in_process`), for
tests that need no process of their own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.conftest import ANALYTICS, analytics_env, free_port

API_KEY = "test-key-0123456789"
OTHER_KEY = "second-key-abcdef"


@dataclass
class RunningService:
    url: str
    home: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    headers: dict[str, str] = field(default_factory=lambda: {"x-api-key": API_KEY})

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_job(self, job_id: str, timeout: float = 180) -> dict[str, Any]:
        """Poll until the job is succeeded or failed; return its body."""
        deadline = time.monotonic() + timeout
        with self.client(headers=self.headers) as client:
            while True:
                body: dict[str, Any] = client.get(f"/v1/reports/jobs/{job_id}").json()
                if body["status"] in ("succeeded", "failed"):
                    return body
                if time.monotonic() > deadline:
                    raise AssertionError(f"job {job_id} still {body['status']} after {timeout} s")
                time.sleep(0.2)


def home_with_warehouse(source: Path, home: Path) -> Path:
    """A fresh ANALYTICS_HOME holding a copy of a published warehouse file."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, home / "warehouse.duckdb")
    return home


def service_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = analytics_env(home)
    for name in list(env):
        if name.startswith(("REPORT_SERVICE_", "AWS_", "S3_REPORTS")):
            env.pop(name)
    env.update(
        {
            "REPORT_SERVICE_API_KEYS": f"{API_KEY},{OTHER_KEY}",
            "REPORT_SERVICE_POLL_SECONDS": "0.2",
            "REPORT_SERVICE_SHUTDOWN_GRACE_SECONDS": "20",
        }
    )
    env.update(extra or {})
    return env


def start(
    home: Path, extra: Mapping[str, str] | None = None, timeout: float = 60
) -> RunningService:
    port = free_port()
    log_path = home.parent / f"service-{home.name}-{port}.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [str(ANALYTICS), "serve", "report-service", "--port", str(port)],
            env=service_env(home, extra),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    service = RunningService(f"http://127.0.0.1:{port}", home, process, log_path)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"the service exited {process.returncode}:\n{service.log_text()}")
        try:
            if httpx.get(f"{service.url}/health", timeout=2).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop(service)
            raise AssertionError(
                f"the service did not answer in {timeout} s:\n{service.log_text()}"
            )
        time.sleep(0.1)


def stop(service: RunningService, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
    if service.process.poll() is None:
        os.kill(service.process.pid, sig)
        try:
            service.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()
    return service.process.returncode


@contextmanager
def running(home: Path, extra: Mapping[str, str] | None = None) -> Iterator[RunningService]:
    service = start(home, extra)
    try:
        yield service
    finally:
        stop(service)


# -- in process -----------------------------------------------------------------------
@dataclass
class InProcessService:
    """The service's app in this process (Starlette's ``TestClient``), with its
    workers running (the app's lifespan): for tests that need no real process.
    Tests that do (signals, restarts, kill -9, raw sockets, chunked bodies,
    the process's log) use :func:`running`."""

    app: Any  # the FastAPI app
    home: Path
    headers: dict[str, str] = field(default_factory=lambda: {"x-api-key": API_KEY})

    def client(self, **kwargs: Any) -> TestClient:
        """A client of the app (not entered: the lifespan is the service's)."""
        return TestClient(self.app, raise_server_exceptions=False, **kwargs)

    def wait_for_job(self, job_id: str, timeout: float = 180) -> dict[str, Any]:
        """Poll until the job is succeeded or failed; return its body."""
        client = self.client(headers=self.headers)
        deadline = time.monotonic() + timeout
        while True:
            body: dict[str, Any] = client.get(f"/v1/reports/jobs/{job_id}").json()
            if body["status"] in ("succeeded", "failed"):
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {body['status']} after {timeout} s")
            time.sleep(0.2)


@contextmanager
def in_process(home: Path, **settings: Any) -> Iterator[InProcessService]:
    """The app over ``home`` with the settings a test service gets (both keys,
    quick polling) and ``settings`` (``ReportServiceSettings`` fields)."""
    from analytics_core.settings import ReportServiceSettings, Settings
    from report_service.app import create_app
    from report_service.service import ReportService

    service_settings = ReportServiceSettings(
        api_keys=f"{API_KEY},{OTHER_KEY}",
        poll_seconds=0.2,
        shutdown_grace_seconds=20,
        **settings,
    )
    app = create_app(ReportService(service_settings, Settings(home=home)))
    with TestClient(app, raise_server_exceptions=False):  # runs the lifespan
        yield InProcessService(app, home)
