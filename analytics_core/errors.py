"""Error types whose message is fit to show a person as it is.

Commands print ``error: <message>`` for these and exit non-zero; anything
else is a bug and gets a traceback only when ``ANALYTICS_DEBUG`` is set.
"""

from __future__ import annotations


class AnalyticsError(Exception):
    """A failure the user can act on; ``str(error)`` is one clear line."""


class ConfigurationError(AnalyticsError):
    """A setting is missing or invalid."""
