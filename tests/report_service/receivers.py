"""Real receivers for delivery tests: an SMTP server (aiosmtpd) and an HTTP
server (the standard library's), each started on a free port in a thread and
stopped by the test. They record what they receive and answer what the test
scripts (an SMTP error, HTTP 429/500, a slow answer)."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class Mailbox:
    """What the SMTP server accepted, and what it answers next."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    #: Answers to DATA, used in order (then "250 OK"): e.g. "451 4.3.0 busy".
    answers: list[str] = field(default_factory=list)
    refuse_rcpt: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse_rcpt:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.answers:
                return self.answers.pop(0)
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    #: Scripted answers (status, headers), used in order; then 200.
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    #: Seconds to wait before answering (a slow receiver).
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [r.body for r in self.requests]


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    port = free_port()
    receiver = HttpReceiver(url=f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
            if receiver.delay:
                time.sleep(receiver.delay)
            text = b"ok" if status < 300 else b"scripted failure"
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
