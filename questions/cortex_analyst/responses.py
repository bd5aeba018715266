"""What Cortex Analyst answers with, and how its bodies are read: the
errors, :class:`AnalystResponse` and its content, the parser of a JSON answer
and the assembler of a streamed (server-sent events) one. Every problem with
a body is a :class:`CortexAnalystError` naming the HTTP status and the request
id when known."""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

from analytics_core.errors import AnalyticsError

log = logging.getLogger(__name__)

#: HTTP statuses that are retried (rate limited, temporarily unavailable).
RETRY_STATUSES: Final = frozenset({429, 503})
#: Server messages are quoted up to this many characters.
MESSAGE_CHARS: Final = 300
#: Content blocks and suggestions a streamed answer may index.
_MAX_BLOCKS: Final = 64


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


def one_line(text: str) -> str:
    flat = " ".join(str(text).split())
    if len(flat) > MESSAGE_CHARS:
        flat = flat[: MESSAGE_CHARS - 3] + "..."
    return flat or "no details"


def safe_id(value: Any) -> str | None:
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


def parse_response(raw: bytes, status: int) -> AnalystResponse:
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _malformed("the body is not UTF-8 text", status) from None
    except ValueError:
        shown = "empty" if not raw.strip() else "not JSON"
        raise _malformed(f"the body is {shown}", status) from None
    if not isinstance(body, dict):
        raise _malformed("the body is not a JSON object", status)
    request_id = safe_id(body.get("request_id"))
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


class SseParser:
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


class StreamAssembler:
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
            self.request_id = safe_id(payload.get("request_id"))
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
            f"{one_line(message if isinstance(message, str) else 'no details')}",
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
