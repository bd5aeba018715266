"""The REST client of Snowflake Cortex Analyst (see :mod:`questions.cortex_analyst`
for the protocol): one request, its retries, its deadline, and its failures
as :class:`~questions.cortex_analyst.responses.CortexAnalystError`."""

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
from typing import Any, Final, Literal

from questions.cortex_analyst.responses import (
    AnalystResponse,
    CortexAnalystError,
    SseParser,
    StreamAssembler,
    one_line,
    parse_response,
    safe_id,
)

log = logging.getLogger(__name__)

#: The endpoint, relative to the account's base URL.
API_PATH: Final = "/api/v2/cortex/analyst/message"
TokenType = Literal["PROGRAMMATIC_ACCESS_TOKEN", "OAUTH", "KEYPAIR_JWT"]
_TOKEN_TYPES: Final = frozenset({"PROGRAMMATIC_ACCESS_TOKEN", "OAUTH", "KEYPAIR_JWT"})
#: Error bodies are read up to this many bytes (the rest is ignored).
_ERROR_BODY_BYTES: Final = 64 * 1024
_CHUNK: Final = 64 * 1024


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
        return parse_response(raw, status)

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
        parser = SseParser()
        assembler = StreamAssembler(status)
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
            f"cannot reach Cortex Analyst at {self.url}{shown}: {one_line(what)}", status=status
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
            f"Cortex Analyst refused the request ({', '.join(details)}): {one_line(reason)}{hint}",
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
        safe_id(request_id),
    )
