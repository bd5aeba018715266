"""The one error type the generator raises for bad arguments or warehouse state."""

from __future__ import annotations


class GeneratorError(Exception):
    """A bad argument or a warehouse in the wrong state.

    The message is one line a person can act on: it names the argument (or
    the missing state) and what is allowed.
    """
