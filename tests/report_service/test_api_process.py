"""The report service's HTTP API where only a real process will do, served by
``analytics serve report-service``: a request line over the HTTP server's
limit (a raw socket), a chunked body, and the process's JSON log. Everything
else about the API runs in process (``test_api.py``).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from analytics_core.settings import Settings
from tests.report_service import service as svc

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def api(
    small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[svc.RunningService]:
    home = svc.home_with_warehouse(
        small_warehouse.warehouse_path, tmp_path_factory.mktemp("api-process") / "home"
    )
    with svc.running(home, {"REPORT_SERVICE_WORKERS": "2"}) as running:
        yield running


@pytest.fixture
def client(api: svc.RunningService) -> Iterator[httpx.Client]:
    with api.client(headers=api.headers) as http:
        yield http


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body


def post_job(client: httpx.Client, body: Any, **headers: str) -> httpx.Response:
    return client.post("/v1/reports/jobs", json=body, headers=headers)


def list_jobs(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/reports/jobs", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"jobs"}
    jobs: list[dict[str, Any]] = body["jobs"]
    return jobs


# Needs a real process: a raw socket (a request line httpx refuses to send) and
# the process's log.
def test_hostile_list_queries_do_no_harm(api: svc.RunningService, client: httpx.Client) -> None:
    before = {job["job_id"] for job in list_jobs(client, limit=100)}
    log_start = len(api.log_text())
    # Long values and many unknown parameters: refused or ignored, never a 500.
    assert_error(client.get("/v1/reports/jobs", params={"status": "x" * 50_000}), 422)
    noisy = "&".join(f"p{i}=%27%3B+drop+table+jobs" for i in range(1500))
    many = client.get(f"/v1/reports/jobs?{noisy}&limit=2")
    assert many.status_code == 200, many.text
    assert len(many.json()["jobs"]) <= 2
    # A request line far over the HTTP server's limit (httpx refuses to send one).
    url = urlsplit(api.url)
    with socket.create_connection((url.hostname, url.port or 80), timeout=30) as raw:
        raw.sendall(
            f"GET /v1/reports/jobs?status={'x' * 1_000_000} HTTP/1.1\r\n"
            f"Host: {url.netloc}\r\nx-api-key: {svc.API_KEY}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 414", b"HTTP/1.1 431")), answer[:200]
    # The service carries on; the store was not touched; nothing failed inside.
    assert client.get("/health").status_code == 200
    assert {job["job_id"] for job in list_jobs(client, limit=100)} == before
    log = api.log_text()[log_start:]
    assert '"status": 200' in log
    assert "Traceback" not in log and '"status": 500' not in log


# Needs a real process: a chunked body as the HTTP server receives it.
def test_oversized_chunked_body_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"report_type": "daily_sales", "params": {"pad": "'
        for _ in range(40):
            yield b"x" * 100_000
        yield b'"}}'

    response = client.post(
        "/v1/reports/jobs", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413)


# Needs a real process: its JSON log lines (stdout) are what is checked.
def test_logs_are_json_with_request_ids_and_no_keys(
    api: svc.RunningService, client: httpx.Client
) -> None:
    response = client.get("/v1/reports", headers={"x-request-id": "trace-abc-123"})
    assert response.headers["x-request-id"] == "trace-abc-123"
    created = post_job(client, {"report_type": "daily_sales", "formats": ["csv"]}).json()
    api.wait_for_job(created["job_id"])
    lines = [json.loads(line) for line in api.log_text().splitlines() if line.startswith("{")]
    assert lines
    assert any(line.get("request_id") == "trace-abc-123" for line in lines)
    job_lines = [line for line in lines if line.get("job_id") == created["job_id"]]
    assert {"job started", "job finished"} <= {line["message"] for line in job_lines}
    text = api.log_text()
    assert svc.API_KEY not in text and svc.OTHER_KEY not in text
