"""The warehouse lock: one build or generator run at a time per ``ANALYTICS_HOME``.

An exclusive ``fcntl.flock`` on ``Settings().lock_path``. The kernel drops it
when the holder exits, however it exits, so there are no stale locks. The
holder writes its pid and purpose into the file so a waiter can say who it
waits for.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from analytics_core.errors import AnalyticsError

POLL_SECONDS = 0.2


class LockTimeoutError(AnalyticsError):
    """Another build or generator run held the lock for too long."""


@contextmanager
def warehouse_lock(
    path: Path,
    *,
    purpose: str,
    timeout: float,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the lock at ``path`` for the duration of the ``with`` block.

    If another process holds it, call ``on_wait`` once with a description of
    the holder, then wait up to ``timeout`` seconds before raising
    :class:`LockTimeoutError`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, timeout, on_wait)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {purpose}\n".encode(), 0)
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, timeout: float, on_wait: Callable[[str], None] | None) -> None:
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = _holder(path)
        if time.monotonic() >= deadline:
            raise LockTimeoutError(
                f"{holder} still holds the warehouse lock ({path}) after {timeout:g} s; "
                "wait for it to finish and try again (ANALYTICS_LOCK_TIMEOUT sets the wait)"
            )
        if not told and on_wait is not None:
            on_wait(f"waiting for {holder} to finish (lock {path})")
            told = True
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def _holder(path: Path) -> str:
    try:
        pid, _, purpose = path.read_text().strip().partition(" ")
    except OSError:
        return "another process"
    if pid.isdigit():
        return f"another {purpose or 'process'} (pid {pid})"
    return "another build or generate"
