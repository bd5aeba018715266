"""Rich progress displays for long commands (drawn on stderr)."""

from __future__ import annotations

from collections.abc import Iterator
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


class GeneratorBar:
    """A ``progress(step, done, total)`` callback for the generator: one bar per step."""

    def __init__(self, console: Console) -> None:
        self.progress = _progress(console)
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> GeneratorBar:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def __call__(self, step: str, done: int, total: int) -> None:
        task = self._tasks.get(step)
        if task is None:
            task = self.progress.add_task(step, total=total or None)
            self._tasks[step] = task
        self.progress.update(task, completed=done, total=total or None)

    def waiting(self, message: str) -> None:
        self.progress.console.print(message, style="yellow", markup=False, soft_wrap=True)


class BuildBar:
    """A :class:`orchestration.build.BuildReporter` drawing one live line."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = _progress(console)
        self._task = self.progress.add_task("starting", total=None)
        self._phase = "starting"

    def waiting(self, message: str) -> None:
        self.console.print(message, style="yellow", markup=False, soft_wrap=True)

    def phase(self, description: str) -> None:
        self._phase = description
        self.progress.reset(self._task, total=None, completed=0, description=description)

    def dbt_progress(self, done: int, total: int, description: str) -> None:
        label = f"{self._phase}: {description}" if description else self._phase
        if len(label) > 80:
            label = label[:79] + "…"
        self.progress.update(self._task, description=label, completed=done, total=total or None)


@contextmanager
def build_bar(console: Console) -> Iterator[BuildBar]:
    bar = BuildBar(console)
    with bar.progress:
        yield bar
