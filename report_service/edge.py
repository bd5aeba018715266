"""What the service accepts at its edge, before any route sees a request.

Every string and JSON value that reaches the service passes here:

- **headers**: at most ``max_header_count`` of them and ``max_header_bytes`` in
  all (431), every value valid UTF-8 (400). The HTTP server bounds the raw
  request head before parsing it (``server.py``); this check holds for any
  ASGI server.
- **path and query string**: percent-decoded, they must be valid UTF-8 (400
  for the path, 422 for the query, as for any other bad query parameter).
- **JSON bodies** (``POST``): UTF-8 only (400), ``application/json`` (415),
  nested at most ``max_json_depth`` levels (checked on the raw bytes before
  parsing, so a deep body costs no recursion), no lone surrogates, no ``NaN``
  or ``Infinity`` (the Python parser's extensions), no integer longer than
  :data:`MAX_INT_DIGITS` digits: 422. Snowflake's external-function batches
  are the exception: only their envelope is checked here (400, Snowflake's
  status for a bad batch), because a bad value in one row must answer an
  error for that row and answers for the others (:func:`json_problem` per row).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Integers longer than this are refused (Snowflake's NUMBER has 38 digits;
#: Python refuses to parse more than 4300).
MAX_INT_DIGITS = 100
#: The JSON parser's own bound for external-function batches: deeper bodies are
#: refused whole (a row's value deeper than ``max_json_depth`` is a row error).
MAX_PARSE_DEPTH = 512
#: Routes whose body is a Snowflake batch: envelope checks only (see module doc).
BATCH_ROUTES = ("/v1/external/",)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


class BadJsonValue:
    """A value the parser met that JSON values here cannot hold (``NaN``,
    ``Infinity``, an integer of too many digits): kept so that the check
    that meets it can say which."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"<{self.reason}>"


def _parse_constant(name: str) -> BadJsonValue:
    return BadJsonValue(f"{name} is not a JSON number")


def _parse_int(text: str) -> int | BadJsonValue:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return BadJsonValue(f"an integer of more than {MAX_INT_DIGITS} digits")
    return int(text)


class JsonError(ValueError):
    """The text is not acceptable JSON; ``malformed`` when it is not JSON at all."""

    def __init__(self, message: str, *, malformed: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.malformed = malformed


def raw_depth(data: bytes, limit: int) -> int:
    """How deep the arrays and objects of JSON text nest, up to ``limit + 1``
    (without parsing it; brackets inside strings do not count)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return min(limit, data.count(b"[") + data.count(b"{"))
    stripped = _STRING.sub(b"", data)
    codes = np.frombuffer(stripped, dtype=np.uint8)
    steps = np.isin(codes, (0x5B, 0x7B)).astype(np.int32) - np.isin(codes, (0x5D, 0x7D)).astype(
        np.int32
    )
    if not steps.size:
        return 0
    return int(min(limit + 1, int(np.cumsum(steps).max())))


def parse_json(data: bytes | str, max_depth: int) -> Any:
    """Strict JSON: UTF-8, nested at most ``max_depth`` levels; ``NaN``,
    ``Infinity`` and huge integers come back as :class:`BadJsonValue`
    (:func:`json_problem` finds them). Raises :class:`JsonError`."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonError("not valid UTF-8", malformed=True) from None
        raw = data
    else:
        text = data
        raw = data.encode("utf-8", "surrogatepass")
    if raw_depth(raw, max_depth) > max_depth:
        raise JsonError(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_constant=_parse_constant, parse_int=_parse_int)
    except RecursionError:  # pragma: no cover - raw_depth bounds the nesting first
        raise JsonError(f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise JsonError("not valid JSON", malformed=True) from exc


def valid_text(value: str) -> bool:
    """False for a string holding a lone surrogate (not Unicode text)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_problem(value: Any, max_depth: int) -> str | None:
    """Why ``value`` (a parsed JSON value) is not acceptable, or None: nested
    deeper than ``max_depth`` levels, a lone surrogate in a string or key,
    ``NaN``/``Infinity``, a huge integer, or anything JSON cannot hold.
    Iterative: any depth of input is safe."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not valid_text(item):
                return "a string holds invalid Unicode (a lone surrogate)"
        elif item is None or isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if item.bit_length() > MAX_INT_DIGITS * 3.33:
                return f"an integer of more than {MAX_INT_DIGITS} digits"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "NaN and Infinity are not JSON numbers"
        elif isinstance(item, dict | list):
            if depth + 1 > max_depth:
                return f"nested deeper than {max_depth} levels"
            children: Iterable[Any] = item
            if isinstance(item, dict):
                for key in item:
                    if not isinstance(key, str) or not valid_text(key):
                        return "an object key holds invalid Unicode (a lone surrogate)"
                children = item.values()
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, BadJsonValue):
            return item.reason
        else:
            return f"a {type(item).__name__} is not a JSON value"
    return None


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def error_payload(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


async def send_error(send: Send, status: int, code: str, message: str) -> None:
    payload = error_payload(code, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class EdgeGuardMiddleware:
    """The checks of the module doc, for headers, path, query string and JSON
    bodies. Sits inside :class:`~report_service.middleware.BodyLimitMiddleware`, so a
    body is at most ``max_body_bytes`` when it is read here."""

    def __init__(
        self, app: ASGIApp, *, max_header_bytes: int, max_header_count: int, max_json_depth: int
    ) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes
        self.max_header_count = max_header_count
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        if len(headers) > self.max_header_count:
            await send_error(
                send,
                431,
                "headers_too_large",
                f"a request has at most {self.max_header_count} headers",
            )
            return
        if sum(len(name) + len(value) for name, value in headers) > self.max_header_bytes:
            await send_error(
                send,
                431,
                "headers_too_large",
                f"the request headers are larger than {self.max_header_bytes} bytes",
            )
            return
        content_type = b""
        for name, value in headers:
            if not _utf8(value) or not _utf8(name):
                await send_error(
                    send, 400, "invalid_header", "a header value is not valid UTF-8 text"
                )
                return
            if name == b"content-type":
                content_type = value
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogatepass")
        if not _utf8(unquote_to_bytes(raw_path)):
            await send_error(send, 400, "invalid_path", "the path is not valid UTF-8 text")
            return
        query: bytes = scope.get("query_string", b"")
        if query and not _utf8(unquote_to_bytes(query.replace(b"+", b" "))):
            await send_error(
                send, 422, "invalid_request", "query: the query string is not valid UTF-8 text"
            )
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        await self._body(scope, receive, send, content_type)

    async def _body(self, scope: Scope, receive: Receive, send: Send, content_type: bytes) -> None:
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        batch = scope["path"].startswith(BATCH_ROUTES)
        if body:
            problem = self._check(scope, body, content_type, batch)
            if problem is not None:
                status, code, text = problem
                await send_error(send, status, code, text)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _check(
        self, scope: Scope, body: bytes, content_type: bytes, batch: bool
    ) -> tuple[int, str, str] | None:
        """None when the body may pass (its parsed value is then in
        ``scope["json_body"]``), else ``(status, code, message)``."""
        media = content_type.split(b";", 1)[0].strip().lower()
        if media and media != b"application/json" and not media.endswith(b"+json"):
            return 415, "unsupported_media_type", "the body must be application/json"
        malformed_code = "malformed_batch" if batch else "malformed_json"
        invalid = (400, "malformed_batch") if batch else (422, "invalid_request")
        try:
            value = parse_json(body, MAX_PARSE_DEPTH if batch else self.max_json_depth)
        except JsonError as exc:
            if exc.malformed:
                return 400, malformed_code, f"the request body is {exc.message}"
            return (*invalid, f"body: {exc.message}")
        scope["json_body"] = value
        if batch:
            # The envelope only: every row's own values are checked with the row.
            if isinstance(value, dict):
                rows = value.get("data")
                envelope = {key: item for key, item in value.items() if key != "data"}
                if isinstance(rows, list):
                    envelope["data"] = [row[:1] if isinstance(row, list) else row for row in rows]
                value = envelope
            problem = json_problem(value, MAX_PARSE_DEPTH)
        else:
            problem = json_problem(value, self.max_json_depth)
        if problem is not None:
            return (*invalid, f"body: {problem}")
        return None
