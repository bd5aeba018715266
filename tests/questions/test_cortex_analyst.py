"""Cortex Analyst: the REST client against a real local HTTP server that answers
in the documented format, and the engine running the guarded SQL on the
fakesnow emulator."""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from analytics_core.errors import AnalyticsError, ConfigurationError
from analytics_core.settings import QuestionSettings, SnowflakeSettings
from questions.answers import MAX_QUESTION_CHARS, Turn
from questions.cortex_analyst.client import API_PATH, CortexAnalystClient
from questions.cortex_analyst.engine import (
    QUERY_TAG,
    CortexAnalystEngine,
    build_messages,
    data_range_reader,
    open_cortex_engine,
    snowflake_runner,
)
from questions.cortex_analyst.responses import CortexAnalystError, CortexQueryError
from questions.data_range import DataRange
from questions.guard import default_policy
from questions.semantic import load_raw_semantic_manifest
from tests.conftest import emulator_connection, free_port, run_cli

TOKEN = "pat-SECRET-token-4f1d2c9e"
VIEW = "CORTEX_CI.REPORTING.SALES_SEMANTIC_VIEW"
DATABASE = "cortex_ci"

# --------------------------------------------------------------------------- the server


@dataclass
class Reply:
    """One scripted answer of the fake Cortex Analyst."""

    status: int = 200
    body: Any = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    #: Seconds to wait before answering.
    delay: float = 0.0
    #: Send the body in these pieces (flushing each), without Content-Length.
    chunks: list[bytes] | None = None
    #: Send ``body`` without Content-Length (the end is the connection's close).
    no_length: bool = False
    #: Seconds to wait between chunks.
    pace: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


class FakeCortex:
    """A threaded HTTP server in this process: it answers the scripted replies
    in order and records every request it receives."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw
                with fake.lock:
                    fake.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    reply = (
                        fake.replies.popleft()
                        if fake.replies
                        else Reply(500, {"message": "no reply scripted", "code": "999"})
                    )
                # The client may stop reading (timeouts, capped bodies), as it should.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    fake.answer(self, reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @staticmethod
    def answer(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.chunks is None and not reply.no_length:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if reply.chunks is not None:
            for piece in reply.chunks:
                handler.wfile.write(piece)
                handler.wfile.flush()
                if reply.pace:
                    time.sleep(reply.pace)
        else:
            handler.wfile.write(body)
        handler.wfile.flush()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    @property
    def bodies(self) -> list[Any]:
        return [r.body for r in self.requests]


@pytest.fixture
def cortex() -> Iterator[FakeCortex]:
    fake = FakeCortex()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def client_for(fake: FakeCortex, **kwargs: Any) -> CortexAnalystClient:
    options: dict[str, Any] = {"semantic_view": VIEW, "timeout": 5.0, "retry_backoff": 0.01}
    options.update(kwargs)
    return CortexAnalystClient(fake.url, TOKEN, **options)


# --------------------------------------------------------------------------- documented bodies


def answer_body(
    *content: dict[str, Any],
    request_id: str = "75d343ee-699c-483f-83a1-e314609fb563",
    warnings: list[str] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "message": {"role": "analyst", "content": list(content)},
        "warnings": [{"message": w} for w in warnings],
        "response_metadata": {
            "model_names": ["claude-3-5-sonnet"],
            "question_category": "CLEAR_SQL",
        },
    }


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def sql(statement: str, verified: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "sql", "statement": statement, "confidence": None}
    item["confidence"] = {
        "verified_query_used": {
            "name": "revenue by region",
            "question": "What is revenue by region?",
            "sql": "select 1",
            "verified_at": 1714497970,
            "verified_by": "Jane Doe",
        }
        if verified
        else None
    }
    return item


def suggestions(*questions: str) -> dict[str, Any]:
    return {"type": "suggestions", "suggestions": list(questions)}


def error_body(message: str, code: str, request_id: str) -> dict[str, Any]:
    return {"message": message, "code": code, "request_id": request_id}


def sse(*events: tuple[str, Any], newline: str = "\n") -> bytes:
    out = []
    for name, data in events:
        payload = data if isinstance(data, str) else json.dumps(data)
        out.append(f"event: {name}{newline}data: {payload}{newline}{newline}")
    return "".join(out).encode()


INTERPRETATION = "This is our interpretation of your question: revenue by region."
REVENUE_SQL = (
    "SELECT region, SUM(revenue) AS total_revenue "
    "FROM cortex_ci.reporting.rpt_daily_sales GROUP BY region ORDER BY region"
)

# --------------------------------------------------------------------------- the request


def test_request_headers_body_and_parsed_answer(cortex: FakeCortex) -> None:
    cortex.reply(
        Reply(
            body=answer_body(
                text(INTERPRETATION),
                sql(REVENUE_SQL, verified=True),
                warnings=["Table rpt_daily_sales has (30) columns"],
            )
        )
    )
    client = client_for(cortex)
    response = client.send(build_messages("Revenue by region"))

    (received,) = cortex.requests
    assert received.path == API_PATH == "/api/v2/cortex/analyst/message"
    assert received.headers["authorization"] == f"Bearer {TOKEN}"
    assert received.headers["x-snowflake-authorization-token-type"] == "PROGRAMMATIC_ACCESS_TOKEN"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["accept"] == "application/json"
    assert received.body == {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Revenue by region"}]}],
        "semantic_view": VIEW,
        "stream": False,
    }

    assert response.request_id == "75d343ee-699c-483f-83a1-e314609fb563"
    assert response.text == INTERPRETATION
    assert response.sql == REVENUE_SQL
    assert response.suggestions == ()
    assert response.warnings == ("Table rpt_daily_sales has (30) columns",)
    assert response.response_metadata["question_category"] == "CLEAR_SQL"
    assert response.question_category == "CLEAR_SQL"
    verified = response.verified_query
    assert verified is not None
    assert (verified.name, verified.verified_by, verified.verified_at) == (
        "revenue by region",
        "Jane Doe",
        1714497970,
    )


def test_semantic_model_file_inline_model_and_token_type(cortex: FakeCortex) -> None:
    cortex.reply(Reply(body=answer_body(text("ok"))), Reply(body=answer_body(text("ok"))))
    staged = "@CORTEX_CI.REPORTING.MODELS/sales.yaml"
    client_for(
        cortex, semantic_view=None, semantic_model_file=staged, token_type="KEYPAIR_JWT"
    ).send(build_messages("q"))
    inline = "name: sales\ntables:\n  - name: rpt_daily_sales\n"
    client_for(cortex, semantic_view=None, semantic_model=inline).send(build_messages("q"))
    first, second = cortex.requests
    assert first.body["semantic_model_file"] == staged
    assert "semantic_view" not in first.body and "semantic_model" not in first.body
    assert first.headers["x-snowflake-authorization-token-type"] == "KEYPAIR_JWT"
    assert second.body["semantic_model"] == inline
    assert "semantic_view" not in second.body and "semantic_model_file" not in second.body


def test_exactly_one_semantic_source() -> None:
    with pytest.raises(ValueError, match=r"exactly one semantic source.*none"):
        CortexAnalystClient("https://acme.snowflakecomputing.com", TOKEN)
    with pytest.raises(ValueError, match="semantic_view, semantic_model_file"):
        CortexAnalystClient(
            "https://acme.snowflakecomputing.com",
            TOKEN,
            semantic_view=VIEW,
            semantic_model_file="@a.b.c/m.yaml",
        )
    with pytest.raises(ValueError, match="http"):
        CortexAnalystClient("ftp://acme", TOKEN, semantic_view=VIEW)
    with pytest.raises(ValueError, match="token") as error:
        CortexAnalystClient("https://a.b", "tok en\n", semantic_view=VIEW)
    assert "tok en" not in str(error.value)
    assert TOKEN not in repr(CortexAnalystClient("https://a.b", TOKEN, semantic_view=VIEW))


def test_multi_turn_history_in_order(cortex: FakeCortex) -> None:
    cortex.reply(Reply(body=answer_body(text("ok"), sql("select 1"))))
    history = [
        Turn("user", "What was revenue last month?"),
        Turn("analyst", INTERPRETATION, sql="SELECT SUM(revenue) FROM x"),
        Turn("user", "And the month before?"),
        Turn("analyst", "", sql="SELECT SUM(revenue) FROM y"),
    ]
    client_for(cortex).send(build_messages("Now by region", history))
    assert cortex.requests[0].body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "What was revenue last month?"}]},
        {
            "role": "analyst",
            "content": [
                {"type": "text", "text": INTERPRETATION},
                {"type": "sql", "statement": "SELECT SUM(revenue) FROM x"},
            ],
        },
        {"role": "user", "content": [{"type": "text", "text": "And the month before?"}]},
        {
            "role": "analyst",
            "content": [{"type": "sql", "statement": "SELECT SUM(revenue) FROM y"}],
        },
        {"role": "user", "content": [{"type": "text", "text": "Now by region"}]},
    ]


def test_history_is_normalised_to_alternate() -> None:
    messages = build_messages(
        "q3",
        [
            Turn("analyst", "a stray answer"),
            Turn("user", "q1"),
            Turn("user", "q2"),
            Turn("analyst", "   "),
        ],
    )
    assert [m["role"] for m in messages] == ["user"]
    assert [c["text"] for c in messages[0]["content"]] == ["q1", "q2", "q3"]


def test_suggestions_answer(cortex: FakeCortex) -> None:
    cortex.reply(
        Reply(
            body=answer_body(
                text("Your question is ambiguous, here are some alternatives:"),
                suggestions("Revenue by region last month", "Orders by region last month"),
            )
        )
    )
    response = client_for(cortex).send(build_messages("How are we doing?"))
    assert response.sql is None
    assert response.suggestions == ("Revenue by region last month", "Orders by region last month")


# --------------------------------------------------------------------------- streaming


def test_streaming_events_assemble_the_answer(cortex: FakeCortex) -> None:
    body = sse(
        ("status", {"status": "interpreting_question", "request_id": "stream-req-1"}),
        ("message.content.delta", {"index": 0, "type": "text", "text_delta": "This is our "}),
        ("status", {"status": "generating_sql"}),
        ("status", {"status": "validating_sql"}),
        ("message.content.delta", {"index": 0, "type": "text", "text_delta": "interpretation"}),
        ("message.content.delta", {"index": 1, "type": "sql", "statement_delta": "SELECT region "}),
        (
            "message.content.delta",
            {"index": 1, "type": "sql", "statement_delta": "FROM cortex_ci.reporting.x"},
        ),
        ("warnings", {"warnings": [{"message": "a warning"}]}),
        ("status", {"status": "done"}),
        ("response_metadata", {"model_names": ["m"], "question_category": "CLEAR_SQL"}),
        ("done", {}),
    )
    pieces = [body[i : i + 37] for i in range(0, len(body), 37)]  # events split anywhere
    cortex.reply(Reply(content_type="text/event-stream", chunks=pieces))
    response = client_for(cortex, stream=True).send(build_messages("Revenue by region"))

    received = cortex.requests[0]
    assert received.body["stream"] is True
    assert received.headers["accept"] == "text/event-stream"
    assert response.request_id == "stream-req-1"
    assert response.text == "This is our interpretation"
    assert response.sql == "SELECT region FROM cortex_ci.reporting.x"
    assert response.warnings == ("a warning",)
    assert response.response_metadata["question_category"] == "CLEAR_SQL"
    assert response.statuses == (
        "interpreting_question",
        "generating_sql",
        "validating_sql",
        "done",
    )


def test_streaming_suggestions_with_crlf_and_comments(cortex: FakeCortex) -> None:
    body = b": keep-alive\r\n\r\n" + sse(
        ("status", {"status": "interpreting_question"}),
        ("message.content.delta", {"index": 0, "type": "text", "text_delta": "Ambiguous,"}),
        ("status", {"status": "generating_suggestions"}),
        ("message.content.delta", {"index": 0, "type": "text", "text_delta": " alternatives:"}),
        *(
            (
                "message.content.delta",
                {
                    "index": 1,
                    "type": "suggestions",
                    "suggestions_delta": {"index": i, "suggestion_delta": piece},
                },
            )
            for i, piece in [
                (0, "which region had"),
                (0, " the most revenue?"),
                (1, "which region placed"),
                (1, " the most orders?"),
            ]
        ),
        ("status", {"status": "done"}),
        newline="\r\n",
    )
    cortex.reply(Reply(content_type="text/event-stream; charset=utf-8", chunks=[body]))
    response = client_for(cortex, stream=True).send(build_messages("q"))
    assert response.text == "Ambiguous, alternatives:"
    assert response.suggestions == (
        "which region had the most revenue?",
        "which region placed the most orders?",
    )
    assert response.sql is None


def test_streaming_error_event(cortex: FakeCortex) -> None:
    body = sse(
        ("status", {"status": "interpreting_question"}),
        (
            "error",
            {"message": "semantic view not found", "code": "392700", "request_id": "err-req-7"},
        ),
    )
    cortex.reply(Reply(content_type="text/event-stream", chunks=[body]))
    with pytest.raises(CortexAnalystError) as error:
        client_for(cortex, stream=True).send(build_messages("q"))
    message = str(error.value)
    assert "semantic view not found" in message
    assert "code 392700" in message and "err-req-7" in message and "HTTP 200" in message
    assert error.value.request_id == "err-req-7"


def test_streaming_cut_before_done_is_an_error(cortex: FakeCortex) -> None:
    body = sse(
        ("message.content.delta", {"index": 0, "type": "sql", "statement_delta": "SELECT * FROM"}),
    )
    cortex.reply(Reply(content_type="text/event-stream", chunks=[body]))
    with pytest.raises(CortexAnalystError, match="ended before it was done"):
        client_for(cortex, stream=True).send(build_messages("q"))


def test_streaming_data_that_is_not_json(cortex: FakeCortex) -> None:
    body = b"event: message.content.delta\ndata: {index: 0, oops\n\n"
    cortex.reply(Reply(content_type="text/event-stream", chunks=[body]))
    with pytest.raises(CortexAnalystError, match="not JSON"):
        client_for(cortex, stream=True).send(build_messages("q"))


def test_streaming_request_answered_without_stream_is_read_as_json(cortex: FakeCortex) -> None:
    cortex.reply(Reply(body=answer_body(text("plain"), sql("select 1"))))
    response = client_for(cortex, stream=True).send(build_messages("q"))
    assert response.sql == "select 1"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, "392604", "Invalid request body: messages[0].content is required"),
        (401, "390303", "Invalid OAuth access token."),
        (403, "399504", "Cortex Analyst is not enabled for this role"),
        (404, "390404", "The requested resource does not exist"),
        (500, "399999", "Internal error"),
    ],
)
def test_http_errors_are_clear_and_never_show_the_token(
    cortex: FakeCortex, caplog: pytest.LogCaptureFixture, status: int, code: str, message: str
) -> None:
    caplog.set_level(logging.DEBUG)
    request_id = f"req-{status}-abc"
    cortex.reply(Reply(status, error_body(message, code, request_id)))
    with pytest.raises(CortexAnalystError) as error:
        client_for(cortex).send(build_messages("Revenue?"))
    text_ = str(error.value)
    assert f"HTTP {status}" in text_
    assert request_id in text_
    assert message in text_
    assert f"code {code}" in text_
    assert "\n" not in text_
    assert (error.value.status, error.value.request_id, error.value.code) == (
        status,
        request_id,
        code,
    )
    assert isinstance(error.value, AnalyticsError)
    assert TOKEN not in text_ and TOKEN not in repr(error.value)
    assert TOKEN not in caplog.text
    assert len(cortex.requests) == 1  # not retried


def test_a_server_echoing_the_token_does_not_leak_it(cortex: FakeCortex) -> None:
    cortex.reply(Reply(401, error_body(f"token {TOKEN} is invalid", "390303", "r1")))
    with pytest.raises(CortexAnalystError) as error:
        client_for(cortex).send(build_messages("q"))
    assert TOKEN not in str(error.value)
    assert "***" in str(error.value)


def test_error_without_a_json_body(cortex: FakeCortex) -> None:
    cortex.reply(Reply(502, "<html>bad gateway</html>", content_type="text/html"))
    with pytest.raises(CortexAnalystError, match=r"HTTP 502.*request id unknown"):
        client_for(cortex).send(build_messages("q"))


def test_429_then_200_is_retried_honouring_retry_after(
    cortex: FakeCortex, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cortex.reply(
        Reply(429, error_body("Too many requests", "429001", "rl-1"), headers={"Retry-After": "1"}),
        Reply(body=answer_body(text("ok"), sql("select 1"), request_id="after-retry")),
    )
    started = time.monotonic()
    response = client_for(cortex).send(build_messages("q"))
    elapsed = time.monotonic() - started
    assert response.request_id == "after-retry"
    assert len(cortex.requests) == 2
    assert cortex.bodies[0] == cortex.bodies[1]
    assert 0.9 <= elapsed < 3.0
    assert "rl-1" in caplog.text and TOKEN not in caplog.text


def test_retry_after_is_capped(cortex: FakeCortex) -> None:
    cortex.reply(
        Reply(429, error_body("slow down", "429001", "rl-2"), headers={"Retry-After": "3600"}),
        Reply(body=answer_body(text("ok"))),
    )
    started = time.monotonic()
    client_for(cortex, max_retry_wait=0.2).send(build_messages("q"))
    assert time.monotonic() - started < 2.0
    assert len(cortex.requests) == 2


def test_503_exhausts_a_bounded_number_of_attempts(cortex: FakeCortex) -> None:
    cortex.reply(*[Reply(503, error_body("unavailable", "503000", f"u-{i}")) for i in range(10)])
    started = time.monotonic()
    with pytest.raises(CortexAnalystError) as error:
        client_for(cortex, max_retries=2).send(build_messages("q"))
    assert len(cortex.requests) == 3
    assert time.monotonic() - started < 3.0
    assert "HTTP 503" in str(error.value) and "u-2" in str(error.value)
    assert "after 3 attempts" in str(error.value)


def test_timeout_is_a_clear_error_in_bounded_time(cortex: FakeCortex) -> None:
    cortex.reply(Reply(body=answer_body(text("late")), delay=3.0))
    started = time.monotonic()
    with pytest.raises(CortexAnalystError, match=r"did not answer within 0\.5 s"):
        client_for(cortex, timeout=0.5).send(build_messages("q"))
    assert time.monotonic() - started < 1.5
    assert len(cortex.requests) == 1  # timeouts are not retried


def test_slow_trickle_is_cut_at_the_deadline(cortex: FakeCortex) -> None:
    # Keep-alive comments every 0.1 s: no single read waits for the timeout,
    # but the whole answer takes far longer than it.
    body = sse(("status", {"status": "interpreting_question"}))
    cortex.reply(
        Reply(content_type="text/event-stream", chunks=[body] + [b": ping\n\n"] * 50, pace=0.1)
    )
    started = time.monotonic()
    with pytest.raises(CortexAnalystError, match="did not answer within"):
        client_for(cortex, timeout=0.5, stream=True).send(build_messages("q"))
    assert time.monotonic() - started < 1.5


def test_connection_refused() -> None:
    port = free_port()  # nothing listens there
    client = CortexAnalystClient(f"http://127.0.0.1:{port}", TOKEN, semantic_view=VIEW)
    started = time.monotonic()
    with pytest.raises(CortexAnalystError, match="connection was refused") as error:
        client.send(build_messages("q"))
    assert time.monotonic() - started < 5
    assert TOKEN not in str(error.value)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("<html>Service temporarily down</html>", "not JSON"),
        ("", "empty"),
        ('["a", "list"]', "not a JSON object"),
        ('{"request_id": "r-9"}', "no message object"),
        ('{"request_id": "r-9", "message": {"content": "text"}}', "not a list"),
        ('{"message": {"content": [{"type": "sql"}]}}', "no statement"),
        ('{"message": {"content": [{"text": "no type"}]}}', "no type"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_malformed_bodies(cortex: FakeCortex, body: Any, detail: str) -> None:
    cortex.reply(Reply(body=body))
    with pytest.raises(CortexAnalystError, match=detail) as error:
        client_for(cortex).send(build_messages("q"))
    assert "HTTP 200" in str(error.value)


def test_unknown_content_types_are_kept_but_ignored(cortex: FakeCortex) -> None:
    cortex.reply(Reply(body=answer_body(text("t"), {"type": "chart", "spec": {}}, sql("select 1"))))
    response = client_for(cortex).send(build_messages("q"))
    assert [c.type for c in response.content] == ["text", "chart", "sql"]
    assert response.sql == "select 1"


def test_huge_body_with_length_is_refused_unread(cortex: FakeCortex) -> None:
    huge = b'{"message": {"content": [{"type": "text", "text": "' + b"x" * 3_000_000 + b'"}]}}'
    cortex.reply(Reply(body=huge))
    started = time.monotonic()
    with pytest.raises(CortexAnalystError, match=r"larger than 1,048,576 bytes"):
        client_for(cortex, max_response_bytes=1024 * 1024).send(build_messages("q"))
    assert time.monotonic() - started < 3


def test_huge_body_without_length_is_capped(cortex: FakeCortex) -> None:
    cortex.reply(Reply(chunks=[b"x" * 65536] * 60))  # ~4 MB, length unknown
    with pytest.raises(CortexAnalystError, match="larger than"):
        client_for(cortex, max_response_bytes=1024 * 1024).send(build_messages("q"))


def test_huge_stream_is_capped(cortex: FakeCortex) -> None:
    delta = ("message.content.delta", {"index": 0, "type": "text", "text_delta": "y" * 60000})
    cortex.reply(Reply(content_type="text/event-stream", chunks=[sse(delta)] * 40))
    with pytest.raises(CortexAnalystError, match="larger than"):
        client_for(cortex, stream=True, max_response_bytes=1024 * 1024).send(build_messages("q"))


def test_redirects_are_not_followed(cortex: FakeCortex) -> None:
    cortex.reply(Reply(302, "", headers={"Location": "http://127.0.0.1:9/elsewhere"}))
    with pytest.raises(CortexAnalystError, match="HTTP 302"):
        client_for(cortex).send(build_messages("q"))
    assert len(cortex.requests) == 1


# --------------------------------------------------------------------------- the engine


@dataclass
class Warehouse:
    env: dict[str, str]
    connects: list[dict[str, Any]] = field(default_factory=list)

    def connection(self, session_parameters: Mapping[str, Any] | None = None) -> Any:
        import snowflake.connector

        return snowflake.connector.connect(
            account="fakesnow",
            user="fake",
            password="snow",
            host=self.env["SNOWFLAKE_HOST"],
            port=int(self.env["SNOWFLAKE_PORT"]),
            protocol="http",
            database=DATABASE,
            session_parameters=dict(session_parameters or {}),
        )

    def factory(self, session_parameters: Mapping[str, Any]) -> Any:
        self.connects.append(dict(session_parameters))
        return self.connection(session_parameters)

    def scalar(self, sql_text: str) -> Any:
        connection = emulator_connection(self.env, DATABASE)
        try:
            cursor = connection.cursor()
            cursor.execute(sql_text)
            return cursor.fetchone()[0]
        finally:
            connection.close()


@pytest.fixture(scope="module")
def warehouse_env(fakesnow_server: tuple[str, int]) -> dict[str, str]:
    """``cortex_ci`` on the emulator: a small reporting table, customers with
    an email column, and a raw table no question may read."""
    host, port = fakesnow_server
    env = {"SNOWFLAKE_HOST": host, "SNOWFLAKE_PORT": str(port)}
    connection = emulator_connection(env, DATABASE)
    try:
        cursor = connection.cursor()
        cursor.execute(f"create database if not exists {DATABASE}")
        for schema in ("reporting", "processed_data", "raw_data"):
            cursor.execute(f"create schema if not exists {DATABASE}.{schema}")
        cursor.execute(
            "create or replace table reporting.rpt_daily_sales "
            "(order_date date, region varchar, revenue number(12, 2), orders integer)"
        )
        cursor.execute(
            "insert into reporting.rpt_daily_sales values "
            "('2026-03-01', 'EMEA', 100.50, 3), ('2026-03-02', 'EMEA', 50.00, 1), "
            "('2026-03-01', 'AMER', 200.00, 4), ('2026-03-02', 'APAC', 75.25, 2)"
        )
        cursor.execute(
            "create or replace table processed_data.dim_customers "
            "(customer_key integer, region varchar, segment varchar, email varchar)"
        )
        cursor.execute(
            "insert into processed_data.dim_customers values (1, 'EMEA', 'retail', 'a@example.com')"
        )
        # The order lines (the relation behind the first suggested metric, whose
        # last day is the answers' data_through) end two days after the daily
        # sales above, so the day tells which relation was read.
        for schema, last in (
            ("processed_data", "2026-03-04"),
            ("dev_alice_processed_data", "2026-02-20"),
        ):
            cursor.execute(f"create schema if not exists {DATABASE}.{schema}")
            cursor.execute(
                f"create or replace table {schema}.fct_order_items "
                "(order_item_key integer, order_date date, revenue number(12, 2))"
            )
            cursor.execute(
                f"insert into {schema}.fct_order_items values "
                f"(1, '2026-02-01', 10.00), (2, '{last}', 20.00), (3, '2026-02-15', 5.00)"
            )
        cursor.execute(
            "create or replace table raw_data.shop_customers (customer_id integer, email varchar)"
        )
        cursor.execute("insert into raw_data.shop_customers values (1, 'a@example.com')")
        cursor.close()
    finally:
        connection.close()
    return env


@pytest.fixture
def warehouse(warehouse_env: dict[str, str]) -> Warehouse:
    return Warehouse(warehouse_env)


class CountingRunner:
    """Wraps a runner and records the statements it was asked to run."""

    def __init__(self, runner: Callable[[str], tuple[list[str], list[list[Any]]]]) -> None:
        self.runner = runner
        self.statements: list[str] = []

    def __call__(self, statement: str) -> tuple[list[str], list[list[Any]]]:
        self.statements.append(statement)
        return self.runner(statement)

    def close(self) -> None:
        close = getattr(self.runner, "close", None)
        if close:
            close()


@pytest.fixture
def engine_parts(
    cortex: FakeCortex, warehouse: Warehouse
) -> Iterator[tuple[CortexAnalystEngine, CountingRunner]]:
    runner = CountingRunner(
        snowflake_runner(warehouse.factory, statement_timeout=30, query_tag=QUERY_TAG, max_rows=100)
    )
    engine = CortexAnalystEngine(client_for(cortex), runner, database=DATABASE)
    yield engine, runner
    engine.close()


@pytest.mark.slow  # processes, emulators or dbt: over 15 s in the fast lane
def test_engine_answers_with_rows_from_the_emulator(
    cortex: FakeCortex, warehouse: Warehouse, engine_parts: tuple[CortexAnalystEngine, Any]
) -> None:
    engine, runner = engine_parts
    cortex.reply(Reply(body=answer_body(text(INTERPRETATION), sql(REVENUE_SQL), warnings=["w1"])))
    answer = engine.ask("Revenue by region", as_of=datetime.date(2026, 3, 15))

    assert answer.status == "answered"
    assert answer.engine == "cortex_analyst"
    assert answer.interpretation is None
    assert answer.explanation == INTERPRETATION
    assert answer.columns == ["region", "total_revenue"]
    assert [[r[0], float(r[1])] for r in answer.rows] == [
        ["AMER", 200.0],
        ["APAC", 75.25],
        ["EMEA", 150.5],
    ]
    assert answer.request_id == "75d343ee-699c-483f-83a1-e314609fb563"
    assert answer.warnings == ["w1"]
    assert answer.sql is not None and "LIMIT 10001" in answer.sql.upper()
    assert runner.statements == [answer.sql]  # what ran is the guarded SQL
    assert answer.truncated is False
    assert {"interpret", "guard", "query", "total"} <= set(answer.timings)
    # as_of goes to Cortex as context in the question text
    sent = cortex.requests[0].body["messages"][-1]["content"][0]["text"]
    assert sent == "Revenue by region (Today is 2026-03-15.)"
    assert answer.question == "Revenue by region"
    # the session carried the statement timeout and query tag
    assert warehouse.connects == [
        {"QUERY_TAG": QUERY_TAG, "STATEMENT_TIMEOUT_IN_SECONDS": 30, "AUTOCOMMIT": False}
    ]
    json.dumps(answer.to_json())


CORTEX_STYLE_SQL = """WITH __rpt_daily_sales AS (
  SELECT region, revenue, order_date
  FROM CORTEX_CI.REPORTING.RPT_DAILY_SALES
)
SELECT region, SUM(revenue) AS total_revenue
FROM __rpt_daily_sales
WHERE order_date >= DATE_TRUNC('MONTH', DATEADD(MONTH, -1, '2026-04-15'::DATE))
  AND order_date < DATE_TRUNC('MONTH', '2026-04-15'::DATE)
GROUP BY region
ORDER BY total_revenue DESC NULLS LAST
 -- Generated by Cortex Analyst
;"""


def test_engine_runs_cortex_style_sql(
    cortex: FakeCortex, engine_parts: tuple[CortexAnalystEngine, CountingRunner]
) -> None:
    engine, runner = engine_parts
    cortex.reply(Reply(body=answer_body(text(INTERPRETATION), sql(CORTEX_STYLE_SQL))))
    answer = engine.ask("Revenue by region last month", as_of=datetime.date(2026, 4, 15))
    assert answer.status == "answered", answer.explanation
    assert [[r[0], float(r[1])] for r in answer.rows] == [
        ["AMER", 200.0],
        ["EMEA", 150.5],
        ["APAC", 75.25],
    ]
    assert answer.sql is not None and "Generated by" not in answer.sql  # comments dropped
    assert runner.statements == [answer.sql]


def test_a_server_that_hangs_up_is_a_clear_error(cortex: FakeCortex) -> None:
    original = FakeCortex.answer

    def hang_up(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        handler.close_connection = True  # no status line at all

    cortex.answer = hang_up  # type: ignore[method-assign]
    try:
        with pytest.raises(CortexAnalystError, match="cannot reach Cortex Analyst"):
            client_for(cortex).send(build_messages("q"))
    finally:
        cortex.answer = original  # type: ignore[method-assign]


def test_engine_streaming_answer_and_history(cortex: FakeCortex, warehouse: Warehouse) -> None:
    body = sse(
        ("status", {"status": "interpreting_question", "request_id": "s-1"}),
        ("message.content.delta", {"index": 0, "type": "text", "text_delta": INTERPRETATION}),
        (
            "message.content.delta",
            {
                "index": 1,
                "type": "sql",
                "statement_delta": "SELECT COUNT(*) AS n FROM cortex_ci.reporting.rpt_daily_sales",
            },
        ),
        ("done", {}),
    )
    cortex.reply(Reply(content_type="text/event-stream", chunks=[body]))
    runner = snowflake_runner(warehouse.factory, 30, QUERY_TAG, 100)
    engine = CortexAnalystEngine(client_for(cortex, stream=True), runner, database=DATABASE)
    try:
        history = [Turn("user", "Revenue?"), Turn("analyst", "Revenue is...", sql="SELECT 1")]
        answer = engine.ask("How many days?", history=history)
    finally:
        engine.close()
    assert answer.status == "answered"
    assert answer.request_id == "s-1"
    assert answer.rows == [[4]]
    roles = [m["role"] for m in cortex.requests[0].body["messages"]]
    assert roles == ["user", "analyst", "user"]


def test_runner_rolls_back_whatever_it_ran(warehouse: Warehouse) -> None:
    """Defence in depth behind the guard: the session does not autocommit and
    every statement is rolled back."""
    runner = snowflake_runner(warehouse.factory, 30, QUERY_TAG, 10)
    try:
        runner("delete from cortex_ci.reporting.rpt_daily_sales where region = 'APAC'")
        columns, rows = runner("select count(*) as n from cortex_ci.reporting.rpt_daily_sales")
    finally:
        runner.close()
    assert (columns, rows) == (["n"], [[4]])
    assert warehouse.scalar("select count(*) from cortex_ci.reporting.rpt_daily_sales") == 4
    assert len(warehouse.connects) == 1  # the idle connection was reused


@pytest.fixture(scope="module")
def semantic_manifest() -> dict[str, Any]:
    """The project's semantic manifest (the same the answers' labels come from)."""
    return load_raw_semantic_manifest()


def test_answers_say_the_last_day_with_data_read_once(
    cortex: FakeCortex, warehouse: Warehouse, semantic_manifest: dict[str, Any]
) -> None:
    """Cortex Analyst's answers carry data_through as the local engine's do:
    the last day of the relation behind the first suggested metric (the order
    lines, not the daily sales the answer read), read once, on the first
    answered question; a clarifying answer carries none."""
    runner = CountingRunner(snowflake_runner(warehouse.factory, 30, QUERY_TAG, 100))
    reader = data_range_reader(runner, DATABASE, raw_manifest=lambda: semantic_manifest)
    engine = CortexAnalystEngine(client_for(cortex), runner, database=DATABASE, read_range=reader)
    cortex.reply(
        Reply(body=answer_body(text("Which revenue?"), suggestions("Revenue by region"))),
        Reply(body=answer_body(text(INTERPRETATION), sql(REVENUE_SQL))),
        Reply(body=answer_body(text(INTERPRETATION), sql(REVENUE_SQL))),
    )
    try:
        unclear = engine.ask("Revenue?")
        assert runner.statements == []  # nothing read before an answer needs it
        first = engine.ask("Revenue by region")
        second = engine.ask("Revenue by region", as_of=datetime.date(2026, 3, 15))
    finally:
        engine.close()
    assert unclear.status == "clarify" and unclear.data_through is None
    assert unclear.explanation == "Which revenue?"
    last = warehouse.scalar("select max(order_date) from processed_data.fct_order_items")
    assert last == datetime.date(2026, 3, 4)
    for answer in (first, second):
        assert answer.status == "answered"
        assert answer.data_through == last
        assert answer.explanation == f"{INTERPRETATION} Data through 2026-03-04."
        assert answer.to_json()["data_through"] == "2026-03-04"
    assert engine.data_range == DataRange(datetime.date(2026, 2, 1), last)
    (read,) = [s for s in runner.statements if "fct_order_items" in s]
    assert "cortex_ci.processed_data.fct_order_items" in read
    assert runner.statements == [first.sql, read, second.sql]


def test_data_through_in_a_developer_schema_and_after_a_failed_read(
    cortex: FakeCortex,
    warehouse: Warehouse,
    semantic_manifest: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A developer's schemas (``dev_alice_``) are read, not the shared ones; a
    read that fails (no such relation yet) leaves the answer as it is, is
    logged, and is tried again next time."""
    runner = snowflake_runner(warehouse.factory, 30, QUERY_TAG, 100)

    def engine_for(prefix: str) -> CortexAnalystEngine:
        reader = data_range_reader(runner, DATABASE, prefix, lambda: semantic_manifest)
        return CortexAnalystEngine(client_for(cortex), runner, database=DATABASE, read_range=reader)

    schema = "dev_nobody_processed_data"
    cortex.reply(Reply(body=answer_body(text(INTERPRETATION), sql(REVENUE_SQL))))
    try:
        dev = engine_for("dev_alice_").data_range
        missing = engine_for("dev_nobody_")
        with caplog.at_level(logging.WARNING, logger="questions.cortex_analyst.engine"):
            answer = missing.ask("Revenue by region")
        assert answer.status == "answered" and answer.rows
        assert answer.data_through is None and answer.explanation == INTERPRETATION
        assert "the data's last day could not be read" in caplog.text
        connection = warehouse.connection()
        try:
            cursor = connection.cursor()
            cursor.execute(f"create schema if not exists {DATABASE}.{schema}")
            cursor.execute(f"create or replace table {schema}.fct_order_items (order_date date)")
            cursor.execute(f"insert into {schema}.fct_order_items values ('2026-01-31')")
        finally:
            connection.close()
        again = missing.data_range
    finally:
        runner.close()
        connection = warehouse.connection()
        try:
            connection.cursor().execute(f"drop schema if exists {DATABASE}.{schema} cascade")
        finally:
            connection.close()
    assert dev == DataRange(datetime.date(2026, 2, 1), datetime.date(2026, 2, 20))
    assert again == DataRange(datetime.date(2026, 1, 31), datetime.date(2026, 1, 31))


def test_engine_clarifies_with_suggestions(
    cortex: FakeCortex, engine_parts: tuple[CortexAnalystEngine, CountingRunner]
) -> None:
    engine, runner = engine_parts
    cortex.reply(
        Reply(
            body=answer_body(
                text("Your question is ambiguous."),
                suggestions("Revenue by region", "Orders by region"),
            )
        )
    )
    answer = engine.ask("How is it going?")
    assert answer.status == "clarify"
    assert answer.suggestions == ["Revenue by region", "Orders by region"]
    assert answer.explanation == "Your question is ambiguous."
    assert answer.sql is None and runner.statements == []


def test_engine_without_sql_or_suggestions_is_unsupported(
    cortex: FakeCortex, engine_parts: tuple[CortexAnalystEngine, CountingRunner]
) -> None:
    engine, runner = engine_parts
    cortex.reply(Reply(body=answer_body(text("I can only answer questions about sales data."))))
    answer = engine.ask("Write me a poem")
    assert answer.status == "unsupported"
    assert "only answer questions about sales" in answer.explanation
    assert runner.statements == []


HOSTILE_SQL = [
    ("delete from cortex_ci.reporting.rpt_daily_sales", "not_read_only"),
    (
        "select region from cortex_ci.reporting.rpt_daily_sales; "
        "delete from cortex_ci.reporting.rpt_daily_sales",
        "not_one_statement",
    ),
    ("select * from raw_data.shop_customers", "relation_not_allowed"),
    ("select email from cortex_ci.processed_data.dim_customers", "personal_data"),
    ("drop table cortex_ci.reporting.rpt_daily_sales", "not_read_only"),
    ("select * from other_db.reporting.rpt_daily_sales", "relation_not_allowed"),
]


@pytest.mark.parametrize(("statement", "reason"), HOSTILE_SQL)
def test_hostile_sql_is_refused_and_nothing_runs(
    cortex: FakeCortex,
    warehouse: Warehouse,
    engine_parts: tuple[CortexAnalystEngine, CountingRunner],
    statement: str,
    reason: str,
) -> None:
    engine, runner = engine_parts
    before = warehouse.scalar("select count(*) from cortex_ci.reporting.rpt_daily_sales")
    cortex.reply(Reply(body=answer_body(text(INTERPRETATION), sql(statement))))
    answer = engine.ask("Revenue by region")
    assert answer.status == "unsupported"
    assert reason in answer.explanation
    assert "guard refused" in answer.explanation
    assert answer.sql is None and answer.rows == [] and answer.columns == []
    assert runner.statements == []  # nothing was queried
    assert warehouse.connects == []  # not even a connection was opened
    after = warehouse.scalar("select count(*) from cortex_ci.reporting.rpt_daily_sales")
    assert after == before == 4


@pytest.mark.parametrize(
    ("question", "status"),
    [
        ("", "clarify"),
        ("   ", "clarify"),
        ("x" * 10_000, "unsupported"),
        ("revenue\x00; drop table", "unsupported"),
        ("revenue\x1b[31m by region", "unsupported"),
        (None, "clarify"),
    ],
)
def test_hostile_questions_never_reach_cortex(
    cortex: FakeCortex,
    engine_parts: tuple[CortexAnalystEngine, CountingRunner],
    question: Any,
    status: str,
) -> None:
    engine, runner = engine_parts
    answer = engine.ask(question)
    assert answer.status == status
    assert answer.engine == "cortex_analyst"
    assert cortex.requests == []  # the server saw nothing
    assert runner.statements == []
    assert len(answer.question) <= MAX_QUESTION_CHARS


def test_engine_row_limit_and_truncation(cortex: FakeCortex, warehouse: Warehouse) -> None:
    import dataclasses

    policy = dataclasses.replace(default_policy("snowflake", database=DATABASE), max_rows=2)
    runner = snowflake_runner(warehouse.factory, 30, QUERY_TAG, 10)
    engine = CortexAnalystEngine(client_for(cortex), runner, policy=policy)
    assert engine.max_rows == 2
    cortex.reply(
        Reply(body=answer_body(text("t"), sql(REVENUE_SQL))),
        Reply(body=answer_body(text("t"), sql(REVENUE_SQL + " LIMIT 2"))),
    )
    try:
        cut = engine.ask("Revenue by region")
        whole = engine.ask("Top 2 regions by revenue")
    finally:
        engine.close()
    assert cut.status == "answered"
    assert cut.sql is not None and "LIMIT 3" in cut.sql.upper()
    assert [r[0] for r in cut.rows] == ["AMER", "APAC"] and cut.truncated is True
    assert "only the first 2 rows are shown" in cut.warnings
    assert len(whole.rows) == 2 and whole.truncated is False


def test_engine_query_failure_is_a_clear_error(
    cortex: FakeCortex, engine_parts: tuple[CortexAnalystEngine, CountingRunner]
) -> None:
    engine, _ = engine_parts
    cortex.reply(
        Reply(
            body=answer_body(
                text("t"),
                sql("select week from cortex_ci.reporting.rpt_weekly_kpis"),  # allowed, absent
                request_id="q-fail-1",
            )
        )
    )
    with pytest.raises(CortexQueryError) as error:
        engine.ask("Weekly KPIs")
    assert "q-fail-1" in str(error.value)
    assert "\n" not in str(error.value)


def test_engine_propagates_cortex_errors(
    cortex: FakeCortex, engine_parts: tuple[CortexAnalystEngine, CountingRunner]
) -> None:
    engine, runner = engine_parts
    cortex.reply(Reply(403, error_body("forbidden", "399504", "f-1")))
    with pytest.raises(CortexAnalystError, match=r"HTTP 403.*f-1"):
        engine.ask("Revenue")
    assert runner.statements == []


# --------------------------------------------------------------------------- from settings


def snowflake_settings(env: Mapping[str, str], **overrides: Any) -> SnowflakeSettings:
    values: dict[str, Any] = {
        "account": "fakesnow",
        "user": "fake",
        "password": "snow",
        "host": env["SNOWFLAKE_HOST"],
        "port": int(env["SNOWFLAKE_PORT"]),
        "protocol": "http",
        "database": DATABASE,
    }
    values.update(overrides)
    return SnowflakeSettings(**values)


def test_open_cortex_engine_end_to_end(cortex: FakeCortex, warehouse_env: dict[str, str]) -> None:
    settings = QuestionSettings(
        engine="cortex_analyst",
        warehouse="snowflake",
        cortex_token=TOKEN,
        cortex_token_type="OAUTH",
        cortex_semantic_view=VIEW,
        cortex_base_url=cortex.url,
        cortex_timeout_seconds=5,
        max_rows=50,
    )
    engine = open_cortex_engine(settings, snowflake_settings(warehouse_env))
    cortex.reply(Reply(body=answer_body(text(INTERPRETATION), sql(REVENUE_SQL))))
    try:
        answer = engine.ask("Revenue by region")
    finally:
        engine.close()
    assert answer.status == "answered"
    # The project's semantic manifest, its relations in SNOWFLAKE_DATABASE.
    assert answer.data_through == datetime.date(2026, 3, 4)
    assert [r[0] for r in answer.rows] == ["AMER", "APAC", "EMEA"]
    assert answer.sql is not None and "LIMIT 51" in answer.sql.upper()
    assert cortex.requests[0].headers["x-snowflake-authorization-token-type"] == "OAUTH"
    assert TOKEN not in repr(settings) and TOKEN not in repr(engine.client)


def test_open_cortex_engine_default_base_url(warehouse_env: dict[str, str]) -> None:
    settings = QuestionSettings(cortex_token=TOKEN, cortex_semantic_view=VIEW)
    engine = open_cortex_engine(settings, snowflake_settings(warehouse_env, account="xy12345"))
    assert engine.client.url == "https://xy12345.snowflakecomputing.com" + API_PATH
    assert engine.policy.database == DATABASE


def test_open_cortex_engine_dev_schema_prefix(warehouse_env: dict[str, str]) -> None:
    settings = QuestionSettings(
        cortex_token=TOKEN, cortex_semantic_view=VIEW, reporting_schema="dev_alice_reporting"
    )
    engine = open_cortex_engine(settings, snowflake_settings(warehouse_env))
    try:
        assert engine.policy.schema_prefix == "dev_alice"
        # The developer's order lines, not the shared ones (2026-03-04).
        assert engine.data_range == DataRange(datetime.date(2026, 2, 1), datetime.date(2026, 2, 20))
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("question_settings", "snowflake_overrides", "message"),
    [
        ({"cortex_semantic_view": VIEW}, {}, "QUESTIONS_CORTEX_TOKEN is not set"),
        ({"cortex_token": TOKEN}, {}, "exactly one of QUESTIONS_CORTEX_SEMANTIC_VIEW"),
        (
            {
                "cortex_token": TOKEN,
                "cortex_semantic_view": VIEW,
                "cortex_semantic_model_file": "@a.b.c/m.yaml",
            },
            {},
            "both are set",
        ),
        (
            {"cortex_token": TOKEN, "cortex_semantic_view": VIEW},
            {"account": None},
            "QUESTIONS_CORTEX_BASE_URL or SNOWFLAKE_ACCOUNT",
        ),
        (
            {"cortex_token": TOKEN, "cortex_semantic_view": VIEW},
            {"password": None},
            "SNOWFLAKE_PASSWORD",
        ),
    ],
)
def test_open_cortex_engine_configuration_errors(
    warehouse_env: dict[str, str],
    question_settings: dict[str, Any],
    snowflake_overrides: dict[str, Any],
    message: str,
) -> None:
    settings = QuestionSettings(**question_settings)
    with pytest.raises(ConfigurationError, match=message) as error:
        open_cortex_engine(settings, snowflake_settings(warehouse_env, **snowflake_overrides))
    assert TOKEN not in str(error.value)


# --------------------------------------------------------------------------- analytics ask


@pytest.mark.slow  # processes, emulators or dbt: over 15 s in the fast lane
def test_analytics_ask_uses_cortex_analyst_when_configured(
    cortex: FakeCortex, warehouse_env: dict[str, str], tmp_path: Path
) -> None:
    """``analytics ask`` on the Snowflake target with Cortex on: the same JSON
    shape as the local engine, answered by Cortex and run on the warehouse."""
    cortex.reply(Reply(body=answer_body(text(INTERPRETATION), sql(REVENUE_SQL))))
    env = {
        "QUESTIONS_WAREHOUSE": "snowflake",
        "QUESTIONS_CORTEX_ENABLED": "true",
        "QUESTIONS_CORTEX_TOKEN": TOKEN,
        "QUESTIONS_CORTEX_SEMANTIC_VIEW": VIEW,
        "QUESTIONS_CORTEX_BASE_URL": cortex.url,
        "SNOWFLAKE_ACCOUNT": "fakesnow",
        "SNOWFLAKE_USER": "fake",
        "SNOWFLAKE_PASSWORD": "snow",
        "SNOWFLAKE_HOST": warehouse_env["SNOWFLAKE_HOST"],
        "SNOWFLAKE_PORT": warehouse_env["SNOWFLAKE_PORT"],
        "SNOWFLAKE_PROTOCOL": "http",
        "SNOWFLAKE_DATABASE": DATABASE,
    }
    proc = run_cli(
        "ask", "Revenue by region", "--as-of", "2026-03-15", "--json", home=tmp_path, env=env
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["engine"] == "cortex_analyst"
    assert answer["status"] == "answered"
    assert answer["explanation"] == f"{INTERPRETATION} Data through 2026-03-04."
    assert answer["data_through"] == "2026-03-04"
    assert [row[0] for row in answer["rows"]] == ["AMER", "APAC", "EMEA"]
    assert TOKEN not in proc.stdout + proc.stderr
    assert cortex.requests[0].body["semantic_view"] == VIEW


def test_analytics_ask_cortex_needs_snowflake(tmp_path: Path) -> None:
    proc = run_cli(
        "ask",
        "Revenue",
        home=tmp_path,
        env={"QUESTIONS_ENGINE": "cortex_analyst", "QUESTIONS_WAREHOUSE": "duckdb"},
    )
    assert proc.returncode == 1
    assert "QUESTIONS_WAREHOUSE=snowflake" in proc.stderr and "Traceback" not in proc.stderr
