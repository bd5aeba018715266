"""Snowflake Cortex Analyst: a REST client and the question engine built on it.

Cortex Analyst turns a question into Snowflake SQL over a semantic view (or a
semantic model YAML, staged or inline). It does not run the SQL: we do, after
the SQL guard (:mod:`questions.guard`) has checked it.

The client (:class:`CortexAnalystClient`) speaks the documented protocol of
``POST {base_url}/api/v2/cortex/analyst/message`` with the standard library
only (no HTTP dependency at run time):

- the request carries ``Authorization: Bearer <token>``,
  ``X-Snowflake-Authorization-Token-Type``, ``Content-Type: application/json``
  and ``Accept``; its body is ``{"messages": [...], <one semantic source>,
  "stream": bool}``, where messages alternate ``user`` and ``analyst`` and end
  with the user's question;
- a non-streaming answer is one JSON object (``request_id``, ``message`` with
  ``content`` items of type ``text``/``sql``/``suggestions``, ``warnings``,
  ``response_metadata``); a streaming answer is server-sent events
  (``status``, ``message.content.delta``, ``warnings``, ``response_metadata``,
  ``error``, ``done``) that the client assembles into the same
  :class:`AnalystResponse`. A stream that ends before ``done`` (or a ``done``
  status) is an error: a cut stream could hold a cut SQL statement;
- every failure (an HTTP error status with its documented body ``message``,
  ``code``, ``request_id``; a timeout; a refused connection; a redirect; a
  body that is not JSON, not in the documented shape, or larger than
  ``max_response_bytes``) is a :class:`CortexAnalystError` whose message is one
  line with the HTTP status and the request id when known. The token never
  appears in a message or a log line;
- 429 and 503 are retried at most ``max_retries`` times, waiting as
  ``Retry-After`` says (capped at ``max_retry_wait`` seconds) or with a short
  exponential backoff; nothing else is retried.

The engine (:class:`CortexAnalystEngine`) implements
:class:`questions.answers.QuestionEngine`. Cortex Analyst has no "as of"
parameter (its SQL uses ``CURRENT_DATE``), so an ``as_of`` date is given to it
as context in the question text, ``"(Today is 2026-03-15.)"``; it usually,
not provably, resolves relative periods against that date. Cortex gives no
structured interpretation, so answers carry ``interpretation=None`` and the
analyst's own words ("This is our interpretation of your question: ...") in
``explanation``.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import http.client
import json
import logging
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeGuard

from analytics_core.errors import AnalyticsError, ConfigurationError
from analytics_core.settings import QuestionSettings, SnowflakeSettings
from analytics_core.warehouse import (
    ConnectionFactory,
    SnowflakePool,
    WarehouseConnectionError,
    WarehouseError,
)
from questions.answers import INVISIBLES_WARNING, Answer, Turn, had_invisibles, prepare_question
from questions.guard import GuardError, GuardPolicy, default_policy, guard_sql

__all__ = [
    "API_PATH",
    "AnalystResponse",
    "ContentItem",
    "CortexAnalystClient",
    "CortexAnalystEngine",
    "CortexAnalystError",
    "CortexQueryError",
    "QueryRunner",
    "SnowflakeRunner",
    "TokenType",
    "VerifiedQuery",
    "build_messages",
    "open_cortex_engine",
    "snowflake_runner",
]

log = logging.getLogger(__name__)

#: The endpoint, relative to the account's base URL.
API_PATH: Final = "/api/v2/cortex/analyst/message"
ENGINE_NAME: Final = "cortex_analyst"
#: The query tag of every statement an answer runs.
QUERY_TAG: Final = "analytics_platform:questions:cortex_analyst"

TokenType = Literal["PROGRAMMATIC_ACCESS_TOKEN", "OAUTH", "KEYPAIR_JWT"]
_TOKEN_TYPES: Final = frozenset({"PROGRAMMATIC_ACCESS_TOKEN", "OAUTH", "KEYPAIR_JWT"})
#: HTTP statuses that are retried (rate limited, temporarily unavailable).
RETRY_STATUSES: Final = frozenset({429, 503})
#: Error bodies are read up to this many bytes (the rest is ignored).
_ERROR_BODY_BYTES: Final = 64 * 1024
#: Server messages are quoted up to this many characters.
_MESSAGE_CHARS: Final = 300
#: Content blocks and suggestions a streamed answer may index.
_MAX_BLOCKS: Final = 64
#: Earlier turns sent along with a question (the most recent ones).
MAX_HISTORY_TURNS: Final = 20
_CHUNK: Final = 64 * 1024


# --------------------------------------------------------------------------- errors


class CortexAnalystError(AnalyticsError):
    """Cortex Analyst could not be asked or its answer could not be read.

    ``status`` is the HTTP status (None when there was no response),
    ``code`` the Snowflake error code and ``request_id`` the request id of
    the error body or event, when given. ``str(error)`` is one line.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status in RETRY_STATUSES


class CortexQueryError(CortexAnalystError):
    """The guarded SQL Cortex Analyst wrote failed in the warehouse."""


# --------------------------------------------------------------------------- the answer


@dataclass(frozen=True)
class VerifiedQuery:
    """The verified query (Verified Query Repository) an answer's SQL is based on."""

    name: str | None = None
    question: str | None = None
    sql: str | None = None
    verified_at: int | None = None
    verified_by: str | None = None


@dataclass(frozen=True)
class ContentItem:
    """One content block of the analyst's message. ``type`` is ``text``,
    ``sql`` or ``suggestions``; other types are kept (for forward
    compatibility) but not interpreted."""

    type: str
    text: str | None = None
    statement: str | None = None
    confidence: Mapping[str, Any] | None = None
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalystResponse:
    """Cortex Analyst's answer to one message, streamed or not."""

    request_id: str | None
    content: tuple[ContentItem, ...]
    warnings: tuple[str, ...] = ()
    response_metadata: Mapping[str, Any] = field(default_factory=dict)
    #: The ``status`` events of a streamed answer, in order.
    statuses: tuple[str, ...] = ()
    role: str = "analyst"

    @property
    def text(self) -> str:
        """The text blocks, joined by blank lines."""
        return "\n\n".join(i.text for i in self.content if i.type == "text" and i.text)

    @property
    def sql_statements(self) -> tuple[str, ...]:
        return tuple(i.statement for i in self.content if i.type == "sql" and i.statement)

    @property
    def sql(self) -> str | None:
        """The (first) SQL statement, or None when Cortex wrote none."""
        statements = self.sql_statements
        return statements[0] if statements else None

    @property
    def confidence(self) -> Mapping[str, Any] | None:
        for item in self.content:
            if item.type == "sql" and item.statement:
                return item.confidence
        return None

    @property
    def verified_query(self) -> VerifiedQuery | None:
        used = (self.confidence or {}).get("verified_query_used")
        if not isinstance(used, Mapping):
            return None
        verified_at = used.get("verified_at")
        return VerifiedQuery(
            name=_opt_str(used.get("name")),
            question=_opt_str(used.get("question")),
            sql=_opt_str(used.get("sql")),
            verified_at=verified_at
            if isinstance(verified_at, int) and not isinstance(verified_at, bool)
            else None,
            verified_by=_opt_str(used.get("verified_by")),
        )

    @property
    def suggestions(self) -> tuple[str, ...]:
        return tuple(s for i in self.content if i.type == "suggestions" for s in i.suggestions)

    @property
    def question_category(self) -> str | None:
        return _opt_str(self.response_metadata.get("question_category"))


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- the client


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it would carry the token elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class CortexAnalystClient:
    """Sends messages to Cortex Analyst's REST API (see the module docstring).

    Exactly one semantic source is required: ``semantic_view``
    (``DB.SCHEMA.VIEW``), ``semantic_model_file``
    (``@DB.SCHEMA.STAGE/model.yaml``) or ``semantic_model`` (the YAML itself).
    ``timeout`` bounds each attempt: connecting, waiting for and reading the
    answer (a slow trickle is cut once ``timeout`` seconds have passed).
    Safe to use from several threads.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        token_type: str = "PROGRAMMATIC_ACCESS_TOKEN",  # noqa: S107 - a token kind
        semantic_view: str | None = None,
        semantic_model_file: str | None = None,
        semantic_model: str | None = None,
        timeout: float = 60.0,
        stream: bool = False,
        max_retries: int = 2,
        retry_backoff: float = 0.5,
        max_retry_wait: float = 5.0,
        max_response_bytes: int = 2 * 1024 * 1024,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(
                "base_url must be an http(s) URL such as https://<account>.snowflakecomputing.com"
            )
        if parsed.username or parsed.password or parsed.query or parsed.fragment:
            raise ValueError("base_url must not carry credentials, a query or a fragment")
        if not isinstance(token, str) or not token.strip():
            raise ValueError("a Cortex Analyst token is required")
        if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
            # Checked here so that http.client never quotes the token in an error.
            raise ValueError("the Cortex Analyst token contains spaces or control characters")
        if token_type not in _TOKEN_TYPES:
            raise ValueError(f"token_type must be one of {sorted(_TOKEN_TYPES)}")
        sources = {
            "semantic_view": semantic_view,
            "semantic_model_file": semantic_model_file,
            "semantic_model": semantic_model,
        }
        given = {k: v for k, v in sources.items() if v is not None}
        if len(given) != 1:
            named = ", ".join(given) if given else "none"
            raise ValueError(
                "give exactly one semantic source (semantic_view, semantic_model_file or "
                f"semantic_model); given: {named}"
            )
        ((source_key, source_value),) = given.items()
        if not isinstance(source_value, str) or not source_value.strip():
            raise ValueError(f"{source_key} must be a non-empty string")
        if not (timeout > 0 and math.isfinite(timeout)):
            raise ValueError("timeout must be a positive number of seconds")
        if max_retries < 0 or retry_backoff < 0 or max_retry_wait < 0:
            raise ValueError("max_retries, retry_backoff and max_retry_wait must not be negative")
        if max_response_bytes < 1024:
            raise ValueError("max_response_bytes must be at least 1024")
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + API_PATH
        self.token_type = token_type
        self.semantic_source: tuple[str, str] = (source_key, source_value)
        self.timeout = float(timeout)
        self.stream = bool(stream)
        self.max_retries = int(max_retries)
        self.retry_backoff = float(retry_backoff)
        self.max_retry_wait = float(max_retry_wait)
        self.max_response_bytes = int(max_response_bytes)
        self.__token = token
        self._opener = urllib.request.build_opener(_NoRedirect)

    def __repr__(self) -> str:
        key, value = self.semantic_source
        return f"CortexAnalystClient({self.base_url!r}, {key}={value!r}, stream={self.stream})"

    # -- the request

    def request_body(self, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The JSON body sent for ``messages``."""
        key, value = self.semantic_source
        return {"messages": [dict(m) for m in messages], key: value, "stream": self.stream}

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.__token}",
            "X-Snowflake-Authorization-Token-Type": self.token_type,
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if self.stream else "application/json",
            "User-Agent": "analytics-platform-questions",
        }

    def send(self, messages: Sequence[Mapping[str, Any]]) -> AnalystResponse:
        """Send the conversation (its last message is the user's question) and
        return the analyst's answer. Raises :class:`CortexAnalystError`."""
        if not messages or messages[-1].get("role") != "user":
            raise ValueError("the last message must be the user's question")
        body = json.dumps(self.request_body(messages), ensure_ascii=False).encode("utf-8")
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._post(body)
            except CortexAnalystError as error:
                if not error.retryable:
                    raise
                if attempt == attempts:
                    raise CortexAnalystError(
                        f"{error} (gave up after {attempts} attempts)",
                        status=error.status,
                        code=error.code,
                        request_id=error.request_id,
                    ) from None
                wait = self._wait(attempt, error.retry_after)
                log.info(
                    "Cortex Analyst answered HTTP %s (request id %s); retrying in %.2f s",
                    error.status,
                    error.request_id or "unknown",
                    wait,
                )
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is None:
            retry_after = self.retry_backoff * (2 ** (attempt - 1))
        return max(0.0, min(retry_after, self.max_retry_wait))

    def _post(self, body: bytes) -> AnalystResponse:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url, data=body, headers=self._headers(), method="POST"
        )
        deadline = time.monotonic() + self.timeout
        try:
            response = self._opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            raise self._http_error(error, deadline) from None
        except urllib.error.URLError as error:
            raise self._network_error(error.reason) from None
        except (OSError, ValueError, http.client.HTTPException) as error:
            raise self._network_error(error) from None
        status = int(getattr(response, "status", 200))
        try:
            with response:
                content_type = response.headers.get("Content-Type", "") or ""
                length = _content_length(response.headers)
                if length is not None and length > self.max_response_bytes:
                    raise self._too_large(status)
                if self.stream and "text/event-stream" in content_type.lower():
                    return self._read_stream(response, status, deadline)
                raw = self._read_body(response, status, deadline)
        except CortexAnalystError:
            raise
        except (OSError, ValueError, http.client.HTTPException) as error:
            raise self._network_error(error, status=status) from None
        return _parse_response(raw, status)

    # -- reading

    def _read_body(self, response: Any, status: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        total = 0
        for chunk in _chunks(response, deadline, self._timed_out):
            total += len(chunk)
            if total > self.max_response_bytes:
                raise self._too_large(status)
            chunks.append(chunk)
        return b"".join(chunks)

    def _read_stream(self, response: Any, status: int, deadline: float) -> AnalystResponse:
        parser = _SseParser()
        assembler = _StreamAssembler(status)
        total = 0
        for chunk in _chunks(response, deadline, self._timed_out):
            total += len(chunk)
            if total > self.max_response_bytes:
                raise self._too_large(status)
            for event, data in parser.feed(chunk):
                assembler.handle(event, data)
        for event, data in parser.close():
            assembler.handle(event, data)
        return assembler.result()

    # -- errors

    def _timed_out(self) -> CortexAnalystError:
        return CortexAnalystError(
            f"Cortex Analyst did not answer within {self.timeout:g} s ({self.url})"
        )

    def _too_large(self, status: int) -> CortexAnalystError:
        return CortexAnalystError(
            f"Cortex Analyst's answer is larger than {self.max_response_bytes:,} bytes "
            f"(HTTP {status}); it was not read",
            status=status,
        )

    def _network_error(self, reason: Any, status: int | None = None) -> CortexAnalystError:
        if isinstance(reason, TimeoutError):
            return self._timed_out()
        if isinstance(reason, ConnectionRefusedError):
            what = "the connection was refused"
        elif isinstance(reason, OSError):
            what = _scrub(reason.strerror or type(reason).__name__, self.__token)
        else:
            what = _scrub(str(reason) or type(reason).__name__, self.__token)
        shown = f" (HTTP {status})" if status is not None else ""
        return CortexAnalystError(
            f"cannot reach Cortex Analyst at {self.url}{shown}: {_one_line(what)}", status=status
        )

    def _http_error(self, error: urllib.error.HTTPError, deadline: float) -> CortexAnalystError:
        status = int(error.code)
        raw = b""
        try:
            for chunk in _chunks(error, deadline, self._timed_out):
                raw += chunk
                if len(raw) >= _ERROR_BODY_BYTES:
                    break
        except (CortexAnalystError, OSError, ValueError, http.client.HTTPException):
            pass  # the status alone is enough to report
        finally:
            error.close()
        message, code, request_id = _error_fields(raw[:_ERROR_BODY_BYTES])
        reason = _scrub(message or _reason_phrase(status, error.reason), self.__token)
        retry_after = _retry_after(error.headers.get("Retry-After")) if error.headers else None
        details = [f"HTTP {status}"]
        if code:
            details.append(f"code {_scrub(code, self.__token)}")
        details.append(f"request id {request_id or 'unknown'}")
        hint = _STATUS_HINTS.get(status, "")
        return CortexAnalystError(
            f"Cortex Analyst refused the request ({', '.join(details)}): {_one_line(reason)}{hint}",
            status=status,
            code=code,
            request_id=request_id,
            retry_after=retry_after,
        )


_STATUS_HINTS: Final[Mapping[int, str]] = {
    401: " (check QUESTIONS_CORTEX_TOKEN and QUESTIONS_CORTEX_TOKEN_TYPE)",
    403: " (check the role's access to Cortex Analyst and the semantic view or model)",
    404: " (check the account URL and that Cortex Analyst is available in it)",
}


def _reason_phrase(status: int, reason: Any) -> str:
    text = str(reason or "").strip()
    return text or f"HTTP {status}"


def _content_length(headers: Any) -> int | None:
    value = headers.get("Content-Length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _chunks(
    response: Any, deadline: float, timed_out: Callable[[], CortexAnalystError]
) -> Iterable[bytes]:
    """The body's bytes as they arrive; each read waits at most one socket
    timeout, and no read starts after ``deadline``."""
    reader = getattr(response, "read1", None) or response.read
    while True:
        if time.monotonic() > deadline:
            raise timed_out()
        try:
            chunk = reader(_CHUNK)
        except TimeoutError:
            raise timed_out() from None
        if not chunk:
            return
        yield bytes(chunk)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        seconds = (when - datetime.datetime.now(datetime.UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _one_line(text: str) -> str:
    flat = " ".join(str(text).split())
    if len(flat) > _MESSAGE_CHARS:
        flat = flat[: _MESSAGE_CHARS - 3] + "..."
    return flat or "no details"


def _scrub(text: str, secret: str) -> str:
    """``text`` without ``secret`` (a server could echo what it was sent)."""
    return text.replace(secret, "***") if secret else text


def _error_fields(raw: bytes) -> tuple[str | None, str | None, str | None]:
    """``message``, ``code`` and ``request_id`` of a documented error body."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        text = raw.decode("utf-8", errors="replace").strip()
        return (text or None) if text and not text.startswith("<") else None, None, None
    if not isinstance(body, dict):
        return None, None, None
    message = body.get("message") or body.get("error")
    code = body.get("code")
    request_id = body.get("request_id")
    return (
        str(message) if isinstance(message, str | int | float) and message != "" else None,
        str(code) if isinstance(code, str | int) and not isinstance(code, bool) else None,
        _safe_id(request_id),
    )


def _safe_id(value: Any) -> str | None:
    """A request id fit to quote: short, printable, one word."""
    if not isinstance(value, str):
        return None
    text: str = value.strip()
    if not text or len(text) > 128 or not text.isprintable() or " " in text:
        return None
    return text


# --------------------------------------------------------------------------- parsing


def _malformed(detail: str, status: int, request_id: str | None = None) -> CortexAnalystError:
    return CortexAnalystError(
        f"Cortex Analyst's answer is not in the documented shape (HTTP {status}, "
        f"request id {request_id or 'unknown'}): {detail}",
        status=status,
        request_id=request_id,
    )


def _parse_response(raw: bytes, status: int) -> AnalystResponse:
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _malformed("the body is not UTF-8 text", status) from None
    except ValueError:
        shown = "empty" if not raw.strip() else "not JSON"
        raise _malformed(f"the body is {shown}", status) from None
    if not isinstance(body, dict):
        raise _malformed("the body is not a JSON object", status)
    request_id = _safe_id(body.get("request_id"))
    message = body.get("message")
    if not isinstance(message, dict):
        raise _malformed("it has no message object", status, request_id)
    content = message.get("content")
    if not isinstance(content, list):
        raise _malformed("message.content is not a list", status, request_id)
    items = tuple(_content_item(item, status, request_id) for item in content)
    role = message.get("role")
    return AnalystResponse(
        request_id=request_id,
        content=items,
        warnings=_warnings(body.get("warnings")),
        response_metadata=_metadata(body.get("response_metadata")),
        role=role if isinstance(role, str) else "analyst",
    )


def _content_item(item: Any, status: int, request_id: str | None) -> ContentItem:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise _malformed("a content item has no type", status, request_id)
    kind = item["type"]
    if kind == "text":
        text = item.get("text")
        if not isinstance(text, str):
            raise _malformed("a text item has no text", status, request_id)
        return ContentItem(type="text", text=text)
    if kind == "sql":
        statement = item.get("statement")
        if not isinstance(statement, str):
            raise _malformed("a sql item has no statement", status, request_id)
        confidence = item.get("confidence")
        return ContentItem(
            type="sql",
            statement=statement,
            confidence=confidence if isinstance(confidence, dict) else None,
        )
    if kind in ("suggestions", "suggestion"):
        suggestions = item.get("suggestions")
        if not isinstance(suggestions, list) or not all(isinstance(s, str) for s in suggestions):
            raise _malformed("a suggestions item has no list of questions", status, request_id)
        return ContentItem(type="suggestions", suggestions=tuple(suggestions))
    return ContentItem(type=kind)


def _warnings(value: Any) -> tuple[str, ...]:
    if isinstance(value, dict):  # the streamed event: {"warnings": [...]}
        value = value.get("warnings")
    if not isinstance(value, list):
        return ()
    found: list[str] = []
    for warning in value:
        if isinstance(warning, dict) and isinstance(warning.get("message"), str):
            found.append(warning["message"])
        elif isinstance(warning, str):
            found.append(warning)
    return tuple(found)


def _metadata(value: Any) -> Mapping[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


class _SseParser:
    """Server-sent events from bytes as they arrive: ``(event, data)`` pairs,
    ``event`` defaulting to ``message`` and ``data`` the joined data lines."""

    def __init__(self) -> None:
        self._buffer = b""
        self._event = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        self._buffer += chunk
        events: list[tuple[str, str]] = []
        while True:
            cut = _line_end(self._buffer)
            if cut is None:
                return events
            end, after = cut
            line, self._buffer = self._buffer[:end], self._buffer[after:]
            event = self._line(line.decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)

    def close(self) -> list[tuple[str, str]]:
        events: list[tuple[str, str]] = []
        if self._buffer:
            event = self._line(self._buffer.decode("utf-8", errors="replace"))
            self._buffer = b""
            if event is not None:
                events.append(event)
        event = self._line("")
        if event is not None:
            events.append(event)
        return events

    def _line(self, line: str) -> tuple[str, str] | None:
        if line == "":
            if not self._data and not self._event:
                return None
            dispatched = (self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return dispatched
        if line.startswith(":"):
            return None  # a comment (keep-alive)
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None  # id, retry and unknown fields are ignored


def _line_end(buffer: bytes) -> tuple[int, int] | None:
    """Where the first line of ``buffer`` ends (CR, LF or CRLF), and where the
    next starts; None while no line is complete (a CR at the very end may yet
    be followed by LF)."""
    lf, cr = buffer.find(b"\n"), buffer.find(b"\r")
    if cr == -1 or (lf != -1 and lf < cr):
        return (lf, lf + 1) if lf != -1 else None
    if cr + 1 == len(buffer):
        return None
    return cr, cr + (2 if buffer[cr + 1 : cr + 2] == b"\n" else 1)


@dataclass
class _Block:
    type: str
    text: list[str] = field(default_factory=list)
    statement: list[str] = field(default_factory=list)
    suggestions: dict[int, list[str]] = field(default_factory=dict)
    confidence: Mapping[str, Any] | None = None


class _StreamAssembler:
    """Builds an :class:`AnalystResponse` from streamed events."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.blocks: dict[int, _Block] = {}
        self.warnings: list[str] = []
        self.metadata: dict[str, Any] = {}
        self.statuses: list[str] = []
        self.request_id: str | None = None
        self.done = False

    def handle(self, event: str, data: str) -> None:
        try:
            payload = json.loads(data) if data.strip() else {}
        except ValueError:
            raise _malformed(f"the data of a {event!r} event is not JSON", self.status) from None
        if isinstance(payload, dict) and self.request_id is None:
            self.request_id = _safe_id(payload.get("request_id"))
        if event == "error":
            self._error(payload)
        elif event == "message.content.delta":
            self._delta(payload)
        elif event == "status":
            status = payload.get("status") if isinstance(payload, dict) else None
            if isinstance(status, str):
                self.statuses.append(status)
                if status == "done":
                    self.done = True
        elif event == "warnings":
            self.warnings.extend(_warnings(payload))
        elif event == "response_metadata":
            self.metadata.update(_metadata(payload))
        elif event == "done":
            self.done = True
        # other events are ignored (forward compatibility)

    def _error(self, payload: Any) -> None:
        fields = payload if isinstance(payload, dict) else {}
        message = fields.get("message")
        code = fields.get("code")
        code_text = (
            str(code) if isinstance(code, str | int) and not isinstance(code, bool) else None
        )
        details = [f"HTTP {self.status}"]
        if code_text:
            details.append(f"code {code_text}")
        details.append(f"request id {self.request_id or 'unknown'}")
        raise CortexAnalystError(
            f"Cortex Analyst failed while answering ({', '.join(details)}): "
            f"{_one_line(message if isinstance(message, str) else 'no details')}",
            status=self.status,
            code=code_text,
            request_id=self.request_id,
        )

    def _delta(self, payload: Any) -> None:
        if not isinstance(payload, dict):
            raise self._bad("a content delta is not an object")
        index, kind = payload.get("index"), payload.get("type")
        if not _is_index(index) or not isinstance(kind, str):
            raise self._bad("a content delta has no valid index and type")
        block = self.blocks.setdefault(index, _Block(type=kind))
        if block.type != kind:
            raise self._bad(f"content block {index} changes type from {block.type} to {kind}")
        if kind == "text":
            self._append(block.text, payload.get("text_delta"), "text_delta")
        elif kind == "sql":
            self._append(block.statement, payload.get("statement_delta"), "statement_delta")
            if isinstance(payload.get("confidence"), dict):
                block.confidence = payload["confidence"]
        elif kind in ("suggestions", "suggestion"):
            deltas = payload.get("suggestions_delta")
            for delta in deltas if isinstance(deltas, list) else [deltas]:
                if not isinstance(delta, dict) or not _is_index(delta.get("index")):
                    raise self._bad("a suggestions delta has no valid index")
                self._append(
                    block.suggestions.setdefault(delta["index"], []),
                    delta.get("suggestion_delta"),
                    "suggestion_delta",
                )

    def _append(self, parts: list[str], value: Any, name: str) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            raise self._bad(f"{name} is not text")
        parts.append(value)

    def _bad(self, detail: str) -> CortexAnalystError:
        return _malformed(detail, self.status, self.request_id)

    def result(self) -> AnalystResponse:
        if not self.done:
            raise CortexAnalystError(
                f"Cortex Analyst's answer stream ended before it was done (HTTP {self.status}, "
                f"request id {self.request_id or 'unknown'}); the partial answer was dropped",
                status=self.status,
                request_id=self.request_id,
            )
        content: list[ContentItem] = []
        for index in sorted(self.blocks):
            block = self.blocks[index]
            if block.type == "text":
                content.append(ContentItem(type="text", text="".join(block.text)))
            elif block.type == "sql":
                content.append(
                    ContentItem(
                        type="sql",
                        statement="".join(block.statement),
                        confidence=block.confidence,
                    )
                )
            elif block.type in ("suggestions", "suggestion"):
                content.append(
                    ContentItem(
                        type="suggestions",
                        suggestions=tuple(
                            "".join(block.suggestions[i]) for i in sorted(block.suggestions)
                        ),
                    )
                )
            else:
                content.append(ContentItem(type=block.type))
        return AnalystResponse(
            request_id=self.request_id,
            content=tuple(content),
            warnings=tuple(self.warnings),
            response_metadata=dict(self.metadata),
            statuses=tuple(self.statuses),
        )


def _is_index(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _MAX_BLOCKS


# --------------------------------------------------------------------------- running SQL

#: Runs one guarded statement: ``(sql) -> (columns, rows)``.
QueryRunner = Callable[[str], tuple[list[str], list[list[Any]]]]


class SnowflakeRunner:
    """Runs guarded statements on Snowflake (see :func:`snowflake_runner`).

    Each session carries ``QUERY_TAG``, ``STATEMENT_TIMEOUT_IN_SECONDS`` and
    ``AUTOCOMMIT=FALSE`` as session parameters at connect time, and every
    statement is followed by a rollback. Snowflake has no read-only session
    switch, so read-only-ness rests on the guard (only single SELECTs reach
    the runner) and on the role (grant it SELECT only); the rollback undoes
    DML should anything ever slip through (DDL commits on its own in
    Snowflake). Sessions come from the shared
    :class:`~analytics_core.warehouse.SnowflakePool` (idle ones are reused;
    concurrent statements never share one; a dropped session is replaced
    once). Failures become :class:`CortexQueryError` s quoting the first line
    of the driver's message.
    """

    max_idle = 4

    def __init__(
        self,
        connection_factory: ConnectionFactory,
        statement_timeout: int,
        query_tag: str,
        max_rows: int,
    ) -> None:
        if statement_timeout < 1 or max_rows < 1:
            raise ValueError("statement_timeout and max_rows must be positive")
        self.connection_factory = connection_factory
        self.statement_timeout = int(statement_timeout)
        self.query_tag = query_tag
        self.max_rows = int(max_rows)
        self.pool = SnowflakePool(
            connection_factory, self.session_parameters, max_idle=self.max_idle
        )

    @property
    def session_parameters(self) -> dict[str, Any]:
        return {
            "QUERY_TAG": self.query_tag,
            "STATEMENT_TIMEOUT_IN_SECONDS": self.statement_timeout,
            "AUTOCOMMIT": False,
        }

    def _run(self, connection: Any, sql: str) -> tuple[list[str], list[list[Any]]]:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            columns = [_column_name(d[0]) for d in cursor.description or []]
            rows = [list(row) for row in cursor.fetchmany(self.max_rows)]
        finally:
            try:
                cursor.close()
            finally:
                connection.rollback()
        return columns, rows

    def __call__(self, sql: str) -> tuple[list[str], list[list[Any]]]:
        if self.pool.closed:
            raise CortexQueryError("the question runner is closed")
        try:
            return self.pool.run(lambda connection: self._run(connection, sql))
        except WarehouseConnectionError as exc:
            raise CortexQueryError(f"cannot connect to Snowflake: {_one_line(exc.detail)}") from exc
        except WarehouseError as exc:
            raise CortexQueryError(f"the query failed: {_one_line(exc.detail)}") from exc

    def close(self) -> None:
        self.pool.close()


def snowflake_runner(
    connection_factory: ConnectionFactory,
    statement_timeout: int,
    query_tag: str,
    max_rows: int,
) -> SnowflakeRunner:
    """A :data:`QueryRunner` on Snowflake. ``connection_factory(session_parameters)``
    opens a connection carrying those session parameters (pass them as
    ``session_parameters=`` to ``snowflake.connector.connect``); at most
    ``max_rows`` rows are fetched."""
    return SnowflakeRunner(connection_factory, statement_timeout, query_tag, max_rows)


def _column_name(name: Any) -> str:
    text = str(name)
    return text.lower() if text.isupper() else text  # Snowflake upper-cases unquoted names


# --------------------------------------------------------------------------- the engine


def build_messages(question_text: str, history: Sequence[Turn] = ()) -> list[dict[str, Any]]:
    """The ``messages`` of a request: the last :data:`MAX_HISTORY_TURNS` turns
    of ``history`` (user turns as text; analyst turns as text and SQL), then
    the question. Messages must alternate and start with ``user``, so a
    leading analyst turn is dropped and consecutive turns of one role are
    merged; empty turns are skipped."""
    messages: list[dict[str, Any]] = []
    for turn in list(history)[-MAX_HISTORY_TURNS:]:
        content: list[dict[str, str]] = []
        if turn.text and turn.text.strip():
            content.append({"type": "text", "text": turn.text})
        if turn.role == "analyst" and turn.sql and turn.sql.strip():
            content.append({"type": "sql", "statement": turn.sql})
        if not content or turn.role not in ("user", "analyst"):
            continue
        if not messages and turn.role != "user":
            continue
        if messages and messages[-1]["role"] == turn.role:
            messages[-1]["content"].extend(content)
        else:
            messages.append({"role": turn.role, "content": content})
    question = {"type": "text", "text": question_text}
    if messages and messages[-1]["role"] == "user":
        messages[-1]["content"].append(question)
    else:
        messages.append({"role": "user", "content": [question]})
    return messages


def _with_as_of(question: str, as_of: datetime.date | None) -> str:
    if as_of is None:
        return question
    return f"{question.rstrip()} (Today is {as_of.isoformat()}.)"


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


class CortexAnalystEngine:
    """Answers questions with Cortex Analyst (see the module docstring).

    ``client`` asks Cortex; its SQL passes :func:`questions.guard.guard_sql`
    with ``policy`` (default: ``default_policy("snowflake", database=database)``)
    and only the guarded statement runs, through ``runner``. At most
    ``max_rows`` rows are shown (default: the policy's ``max_rows``); the
    guard's row limit is one more, so that a cut result is marked
    ``truncated``. Errors talking to Cortex or running the query raise
    :class:`CortexAnalystError`.
    """

    name = ENGINE_NAME

    def __init__(
        self,
        client: CortexAnalystClient,
        runner: QueryRunner,
        *,
        policy: GuardPolicy | None = None,
        database: str | None = None,
        max_rows: int | None = None,
    ) -> None:
        self.client = client
        self.runner = runner
        base = policy or default_policy("snowflake", database=database)
        #: Rows an answer shows; the guarded SQL asks for one more, to tell
        #: the user the rows were cut.
        self.max_rows = int(max_rows if max_rows is not None else base.max_rows)
        if self.max_rows < 1:
            raise ValueError("max_rows must be positive")
        self.policy = dataclasses.replace(base, max_rows=self.max_rows + 1)

    def ask(
        self,
        question: str,
        *,
        as_of: datetime.date | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        text, refusal = prepare_question(question, self.name)
        if refusal is not None:
            return refusal
        started = time.perf_counter()
        timings: dict[str, float] = {}
        # Cortex Analyst reads the cleaned text (no invisible characters).
        messages = build_messages(_with_as_of(text, as_of), history)
        response = self.client.send(messages)
        timings["interpret"] = _ms(started)
        answer = Answer(
            question=question,
            status="clarify",
            engine=self.name,
            interpretation=None,
            explanation=response.text,
            suggestions=list(response.suggestions),
            warnings=list(response.warnings),
            request_id=response.request_id,
            timings=timings,
        )
        if had_invisibles(question):
            answer.warnings.append(INVISIBLES_WARNING)
        statements = response.sql_statements
        if not statements:
            if not answer.suggestions:
                answer.status = "unsupported"
                answer.explanation = (
                    response.text or "Cortex Analyst could not write SQL for this question."
                )
            timings["total"] = _ms(started)
            return answer
        if len(statements) > 1:
            answer.warnings.append(
                f"Cortex Analyst wrote {len(statements)} SQL statements; only the first was "
                "considered."
            )
        step = time.perf_counter()
        try:
            guarded = guard_sql(statements[0], self.policy)
        except GuardError as error:
            timings["guard"] = _ms(step)
            timings["total"] = _ms(started)
            answer.status = "unsupported"
            answer.suggestions = []
            interpretation = (
                f" Cortex Analyst's interpretation: {response.text}" if response.text else ""
            )
            answer.explanation = (
                f"The SQL Cortex Analyst wrote was not run: the guard refused it "
                f"({error.reason}: {error}).{interpretation}"
            )
            log.warning(
                "guard refused Cortex Analyst SQL (request id %s): %s",
                response.request_id or "unknown",
                error.reason,
            )
            return answer
        timings["guard"] = _ms(step)
        step = time.perf_counter()
        try:
            columns, rows = self.runner(guarded.sql)
        except CortexAnalystError as error:
            raise CortexQueryError(
                f"{error} (request id {response.request_id or 'unknown'})",
                request_id=response.request_id,
            ) from error
        timings["query"] = _ms(step)
        answer.status = "answered"
        answer.sql = guarded.sql
        answer.columns = list(columns)
        answer.rows = [list(row) for row in rows]
        if len(answer.rows) > self.max_rows:
            answer.rows = answer.rows[: self.max_rows]
            answer.truncated = True
            answer.warnings.append(f"only the first {self.max_rows:,} rows are shown")
        timings["total"] = _ms(started)
        return answer

    def close(self) -> None:
        close = getattr(self.runner, "close", None)
        if callable(close):
            close()


def open_cortex_engine(
    settings: QuestionSettings, snowflake: SnowflakeSettings
) -> CortexAnalystEngine:
    """The Cortex Analyst engine of ``settings`` (``QUESTIONS_CORTEX_*``),
    running its SQL on the Snowflake account and database of ``snowflake``.

    Raises :class:`ConfigurationError` naming what is missing: the token, the
    semantic view or model file (exactly one), the account (for the default
    base URL ``https://<account>.snowflakecomputing.com``) or the Snowflake
    credentials. No connection is opened yet.
    """
    from analytics_core.snowflake import connection_parameters

    if not settings.cortex_token:
        raise ConfigurationError(
            "QUESTIONS_CORTEX_TOKEN is not set (a programmatic access token, OAuth token or "
            "key-pair JWT for Cortex Analyst)"
        )
    view, model_file = settings.cortex_semantic_view, settings.cortex_semantic_model_file
    if bool(view) == bool(model_file):
        raise ConfigurationError(
            "set exactly one of QUESTIONS_CORTEX_SEMANTIC_VIEW and "
            "QUESTIONS_CORTEX_SEMANTIC_MODEL_FILE"
            + (" (both are set)" if view and model_file else "")
        )
    base_url = settings.cortex_base_url
    if not base_url:
        if not snowflake.account:
            raise ConfigurationError(
                "set QUESTIONS_CORTEX_BASE_URL or SNOWFLAKE_ACCOUNT for Cortex Analyst"
            )
        base_url = f"https://{snowflake.account}.snowflakecomputing.com"
    params = connection_parameters(snowflake)  # raises on missing credentials
    prefix = settings.schema_prefix
    try:
        client = CortexAnalystClient(
            base_url,
            settings.cortex_token,
            token_type=settings.cortex_token_type,
            semantic_view=view or None,
            semantic_model_file=model_file or None,
            timeout=settings.cortex_timeout_seconds,
        )
    except ValueError as error:
        raise ConfigurationError(f"Cortex Analyst settings: {error}") from None

    def connect(session_parameters: Mapping[str, Any]) -> Any:
        import snowflake.connector

        return snowflake.connector.connect(**params, session_parameters=dict(session_parameters))

    runner = snowflake_runner(
        connect,
        statement_timeout=settings.statement_timeout_seconds,
        query_tag=QUERY_TAG,
        max_rows=settings.max_rows + 1,  # one more than shown: the engine cuts and says so
    )
    policy = default_policy("snowflake", prefix, database=snowflake.database)
    return CortexAnalystEngine(client, runner, policy=policy, max_rows=settings.max_rows)
