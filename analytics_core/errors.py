"""Error types whose message is fit to show a person as it is.

Commands print ``error: <message>`` for these and exit non-zero; anything
else is a bug and gets a traceback only when ``ANALYTICS_DEBUG`` is set.
"""

from __future__ import annotations


class AnalyticsError(Exception):
    """A failure the user can act on; ``str(error)`` is one clear line."""


class ConfigurationError(AnalyticsError):
    """A setting is missing or invalid."""


def first_line(exc: BaseException, *, skip: tuple[str, ...] = (), limit: int | None = None) -> str:
    """The first informative line of ``exc``'s message, for one-line errors.

    The Snowflake connector keeps the driver's own message in ``raw_msg``
    (``str()`` adds error numbers and query ids), so that is read first.
    Blank lines and lines starting with one of ``skip`` (the headings some
    libraries put above the message) are passed over; ``limit`` cuts the
    line to that many characters. With nothing left: the exception's type name.
    """
    message = getattr(exc, "raw_msg", None) or str(exc)
    for raw in str(message).splitlines():
        line = raw.strip()
        if line and not line.startswith(skip):
            return line if limit is None else line[:limit]
    return type(exc).__name__
