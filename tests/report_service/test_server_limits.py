"""The HTTP server bounds request heads (issue 15, item 4).

Against the real servers, over raw sockets: ``analytics serve report-service``
(a process) and the thread server of ``analytics up`` (:class:`ReportServer`).
A head over ``REPORT_SERVICE_MAX_HEADER_BYTES`` is answered 431 without being
parsed, too many headers 431, a head still arriving after
``REPORT_SERVICE_HEADER_TIMEOUT_SECONDS`` 408; meanwhile ``/health`` answers
at once, and an ordinary request with a body larger than the head limit is
not mistaken for a large head.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from analytics_core.settings import ReportServiceSettings, Settings
from report_service.server import ReportServer
from tests.report_service import service as svc

pytestmark = pytest.mark.timeout(300)

HEADER_TIMEOUT = 2.0
LIMITS = {
    "REPORT_SERVICE_WORKERS": "0",
    "REPORT_SERVICE_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
}
#: The documented defaults (docs/operations.md): 64 KiB of request head, 100 headers.
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADER_COUNT = 100


@pytest.fixture(scope="module", params=["process", "thread"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The base URL of a running service without a warehouse (``/health`` and the
    error paths need none): ``analytics serve report-service`` or the thread
    server of ``analytics up``."""
    home = tmp_path_factory.mktemp(f"limits-{request.param}") / "home"
    home.mkdir()
    if request.param == "process":
        with svc.running(home, LIMITS) as running:
            yield running.url
        return
    settings = ReportServiceSettings(
        api_keys=svc.API_KEY,
        port=0,
        workers=0,
        header_timeout_seconds=HEADER_TIMEOUT,
        shutdown_grace_seconds=1,
    )
    thread_server = ReportServer(settings, Settings(home=home))
    thread_server.start()
    try:
        yield f"http://127.0.0.1:{thread_server.port}"
    finally:
        thread_server.stop()


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def exchange(url: str, chunks: Iterable[bytes], pause: float = 0.0, timeout: float = 30) -> bytes:
    """Send ``chunks`` on one connection (``pause`` seconds apart; sending stops
    when the server closes), then read until the server closes."""
    with socket.create_connection(address(url), timeout=timeout) as sock:
        try:
            for chunk in chunks:
                sock.sendall(chunk)
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except ConnectionResetError:
            pass
    return answer


def status_and_body(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), answer[:300]
    return int(head.split()[1]), json.loads(body)


def assert_refused(answer: bytes, status: int, code: str) -> None:
    got, body = status_and_body(answer)
    assert got == status, answer[:300]
    assert body == {"error": {"code": code, "message": body["error"]["message"]}}  # type: ignore[index]
    assert body["error"]["message"]  # type: ignore[index]


def health_seconds(url: str) -> float:
    started = time.perf_counter()
    response = httpx.get(f"{url}/health", timeout=10)
    assert response.status_code == 200
    return time.perf_counter() - started


def big_header(size: int) -> Iterator[bytes]:
    yield b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: "
    block = b"a" * 65536
    for start in range(0, size, len(block)):
        yield block[: size - start]
    yield b"\r\n\r\n"


@pytest.mark.parametrize("size", [MAX_HEADER_BYTES + 1024, 8 * 1024 * 1024, 60 * 1024 * 1024])
def test_a_head_over_the_limit_is_431_and_health_stays_fast(server: str, size: int) -> None:
    answers: list[bytes] = []
    sender = threading.Thread(target=lambda: answers.append(exchange(server, big_header(size))))
    sender.start()
    slowest = 0.0
    while sender.is_alive():
        slowest = max(slowest, health_seconds(server))
        time.sleep(0.02)
    sender.join()
    assert_refused(answers[0], 431, "headers_too_large")
    assert slowest < 0.5, f"/health took {slowest:.2f} s while a {size}-byte head arrived"


def test_a_long_request_line_is_431(server: str) -> None:
    line = f"GET /v1/reports/jobs?status={'x' * 1_000_000} HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert_refused(exchange(server, [line.encode()]), 431, "headers_too_large")


def test_too_many_headers_are_431(server: str) -> None:
    headers = "".join(f"x-h{i}: v\r\n" for i in range(MAX_HEADER_COUNT + 1))
    request = f"GET /health HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n"
    assert_refused(exchange(server, [request.encode()]), 431, "headers_too_large")


def test_headers_within_the_limits_are_served(server: str) -> None:
    headers = "".join(f"x-h{i}: {'v' * 200}\r\n" for i in range(MAX_HEADER_COUNT - 10))
    request = f"GET /health HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n"
    status, body = status_and_body(exchange(server, [request.encode()]))
    assert (status, body) == (200, {"status": "ok"})


def test_a_body_larger_than_the_head_limit_in_one_send_is_not_a_large_head(server: str) -> None:
    body = json.dumps({"report_type": "daily_sales", "params": {"pad": "x" * 200_000}}).encode()
    request = (
        b"POST /v1/reports/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + f"x-api-key: {svc.API_KEY}\r\nContent-Length: {len(body)}\r\n".encode()
        + b"Connection: close\r\n\r\n"
        + body
    )
    status, answer = status_and_body(exchange(server, [request]))
    # Refused for its parameter (an unknown one), not for its size.
    assert status == 422, answer
    assert answer["error"]["code"] != "headers_too_large"  # type: ignore[index]


def test_a_slow_head_is_408_after_the_timeout_and_health_stays_fast(server: str) -> None:
    def trickle() -> Iterator[bytes]:
        yield b"GET /health HTTP/1.1\r\nHost: localhost\r\n"
        for i in range(100):
            yield f"x-slow-{i}: v\r\n".encode()

    answers: list[bytes] = []
    started = time.monotonic()
    sender = threading.Thread(target=lambda: answers.append(exchange(server, trickle(), pause=0.2)))
    sender.start()
    slowest = 0.0
    while sender.is_alive():
        slowest = max(slowest, health_seconds(server))
        time.sleep(0.05)
    sender.join()
    took = time.monotonic() - started
    assert_refused(answers[0], 408, "request_timeout")
    assert HEADER_TIMEOUT - 0.5 < took < HEADER_TIMEOUT + 8, took
    assert slowest < 0.5, f"/health took {slowest:.2f} s while a head trickled in"


def test_a_silent_connection_is_closed_after_the_timeout(server: str) -> None:
    with socket.create_connection(address(server), timeout=HEADER_TIMEOUT + 10) as sock:
        started = time.monotonic()
        answer = sock.recv(65536)
        assert time.monotonic() - started < HEADER_TIMEOUT + 5
    assert_refused(answer + b"", 408, "request_timeout")


def test_keep_alive_requests_each_get_their_own_head_budget(server: str) -> None:
    pad = b"p" * (MAX_HEADER_BYTES // 2)  # three of them are more than one head may be
    one = b"GET /health HTTP/1.1\r\nHost: localhost\r\nx-pad: " + pad + b"\r\n\r\n"
    last = b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    answer = exchange(server, [one, one, one, last], pause=0.1)
    assert answer.count(b"HTTP/1.1 200") == 4, answer[:500]


def test_the_defaults_are_the_documented_ones() -> None:
    defaults = ReportServiceSettings()
    assert (defaults.max_header_bytes, defaults.max_header_count) == (
        MAX_HEADER_BYTES,
        MAX_HEADER_COUNT,
    )
    assert defaults.header_timeout_seconds == 10


def test_the_limits_are_settings(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    extra = {
        **LIMITS,
        "REPORT_SERVICE_MAX_HEADER_BYTES": "8192",
        "REPORT_SERVICE_MAX_HEADER_COUNT": "20",
    }
    with svc.running(home, extra) as running:
        padded = b"GET /health HTTP/1.1\r\nHost: localhost\r\nx-pad: " + b"p" * 9000 + b"\r\n\r\n"
        assert_refused(exchange(running.url, [padded]), 431, "headers_too_large")
        headers = "".join(f"x-h{i}: v\r\n" for i in range(21))
        many = f"GET /health HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n".encode()
        assert_refused(exchange(running.url, [many]), 431, "headers_too_large")
        assert health_seconds(running.url) < 1


@pytest.mark.parametrize("value", [b"\xff\xfe", b"\xed\xa0\x80", b"caf\xe9"])
@pytest.mark.parametrize("name", [b"Idempotency-Key", b"x-request-id", b"x-anything"])
def test_header_values_must_be_utf8(server: str, name: bytes, value: bytes) -> None:
    body = b'{"report_type": "daily_sales"}'
    request = (
        b"POST /v1/reports/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + f"x-api-key: {svc.API_KEY}\r\nContent-Length: {len(body)}\r\n".encode()
        + name
        + b": "
        + value
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    assert_refused(exchange(server, [request]), 400, "invalid_header")
    with httpx.Client(base_url=server, headers={"x-api-key": svc.API_KEY}) as http:
        assert http.get("/v1/reports/jobs").json()["jobs"] == []  # nothing was queued
