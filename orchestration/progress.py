"""Progress for long commands, drawn on stderr.

At a terminal: one live line (a spinner, the phase, a bar, done/total, the
time so far) that disappears when the work ends. Without one (the ``up`` log,
CI, a container's output): plain lines with the time, one when a phase
starts and then one at most every :data:`LINE_SECONDS` while it runs, so a log
shows that a long build is moving and where it is.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

#: Seconds between two progress lines of one phase, without a terminal.
LINE_SECONDS = 10.0


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


class ProgressLines:
    """Progress as timestamped lines, for output that is not a terminal."""

    def __init__(
        self,
        console: Console,
        every: float = LINE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.every = every
        self.clock = clock
        self.started = clock()
        self._phase: str | None = None
        self._last = -float("inf")

    def line(self, text: str) -> None:
        now = dt.datetime.now(dt.UTC)
        elapsed = self.clock() - self.started
        self.console.print(
            f"{now:%H:%M:%S} [{elapsed:6.1f} s] {text}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )

    def update(self, phase: str, done: int, total: int, detail: str = "") -> None:
        """A phase's progress: its first call and its last always print, the
        ones between at most every ``every`` seconds."""
        now = self.clock()
        new_phase = phase != self._phase
        finished = total > 0 and done >= total
        if not (new_phase or finished or now - self._last >= self.every):
            return
        self._phase, self._last = phase, now
        count = f" {done}/{total}" if total else (f" {done}" if done else "")
        self.line(f"{phase}{count}{f': {detail}' if detail else ''}")


class GeneratorBar:
    """A ``progress(step, done, total)`` callback for the generator: one bar
    for the whole run, its description the step under way."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.progress = _progress(console)
        self.lines = ProgressLines(console)
        self._task: TaskID | None = None
        self._reported = False

    def __enter__(self) -> GeneratorBar:
        if self.live:
            self.progress.start()
            self._task = self.progress.add_task("generating", total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.live:
            self.progress.stop()
        elif exc_type is None and self._reported:
            self.lines.line("raw data written")

    def __call__(self, step: str, done: int, total: int) -> None:
        if self._task is not None:
            self.progress.update(self._task, description=step, completed=done, total=total or None)
        else:
            # The first line comes with the first work done: a command that
            # fails before it (a lock, a setting) prints its error alone.
            self._reported = True
            self.lines.update("generating", done, total, step)

    def waiting(self, message: str) -> None:
        self.console.print(message, style="yellow", markup=False, soft_wrap=True)


class BuildBar:
    """A :class:`orchestration.build.BuildReporter` drawing one live line (or,
    without a terminal, printing lines with times)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.progress = _progress(console)
        self.lines = ProgressLines(console)
        self._task = self.progress.add_task("starting", total=None)
        self._phase = "starting"

    def waiting(self, message: str) -> None:
        self.console.print(message, style="yellow", markup=False, soft_wrap=True)

    def phase(self, description: str) -> None:
        self._phase = description
        if self.live:
            self.progress.reset(self._task, total=None, completed=0, description=description)
        else:
            self.lines.update(description, 0, 0)

    def dbt_progress(self, done: int, total: int, description: str) -> None:
        if not self.live:
            self.lines.update(self._phase, done, total, description)
            return
        label = f"{self._phase}: {description}" if description else self._phase
        if len(label) > 80:
            label = label[:79] + "…"
        self.progress.update(self._task, description=label, completed=done, total=total or None)


@contextmanager
def build_bar(console: Console) -> Iterator[BuildBar]:
    bar = BuildBar(console)
    if not bar.live:
        yield bar
        return
    with bar.progress:
        yield bar
