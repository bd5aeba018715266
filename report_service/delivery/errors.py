"""How a send fails: worth another attempt, or not."""

from __future__ import annotations

from analytics_core.errors import AnalyticsError


class SendError(AnalyticsError):
    """A message was not sent; the message says why (never a secret's value)."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: Seconds the receiver asked us to wait (HTTP Retry-After), if it did.
        self.retry_after = retry_after


class RetryableSendError(SendError):
    """The receiver was busy, down or unreachable: another attempt may succeed."""

    retryable = True


class PermanentSendError(SendError):
    """Another attempt would fail the same way (a refused address, a missing
    secret, a webhook URL that is gone)."""
