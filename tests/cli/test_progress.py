"""Progress on stderr: one live bar at a terminal, timestamped lines in a log."""

from __future__ import annotations

import io
import re

from rich.console import Console

from orchestration.progress import BuildBar, GeneratorBar, ProgressLines, build_bar

STAMP = re.compile(r"^\d\d:\d\d:\d\d \[\s*\d+\.\d s\] ")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def log_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=200), buffer


def test_lines_print_a_phase_at_once_then_at_most_every_interval() -> None:
    console, buffer = log_console()
    clock = Clock()
    lines = ProgressLines(console, every=10.0, clock=clock)
    lines.update("dbt build", 1, 200, "model a")
    for done in range(2, 50):
        clock.now += 0.5  # 24 s in all: two more lines
        lines.update("dbt build", done, 200, f"model {done}")
    lines.update("dbt build", 200, 200, "last")  # the end always prints
    lines.update("publishing", 0, 0)  # a new phase always prints
    printed = buffer.getvalue().splitlines()
    assert all(STAMP.match(line) for line in printed), printed
    texts = [STAMP.sub("", line) for line in printed]
    assert texts[0] == "dbt build 1/200: model a"
    assert texts[1:3] == ["dbt build 21/200: model 21", "dbt build 41/200: model 41"]
    assert texts[3:] == ["dbt build 200/200: last", "publishing"]
    assert printed[-2].split("[", 1)[1].startswith("  24.0 s]")


def test_the_generator_without_a_terminal_prints_lines_with_times() -> None:
    console, buffer = log_console()
    with GeneratorBar(console) as bar:
        for done in range(27):
            bar(f"orders placed chunk {done}", done, 27)
        bar("done", 27, 27)
    texts = [STAMP.sub("", line) for line in buffer.getvalue().splitlines()]
    assert texts[0] == "generating 0/27: orders placed chunk 0"
    assert texts[-2:] == ["generating 27/27: done", "raw data written"]
    assert len(texts) <= 5, "throttled, not a line per chunk"


def test_a_generator_that_did_nothing_prints_nothing() -> None:
    console, buffer = log_console()
    with GeneratorBar(console):
        pass
    assert buffer.getvalue() == ""


def test_the_generator_at_a_terminal_draws_one_bar_for_all_chunks() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    with GeneratorBar(console) as bar:
        for done in range(27):
            bar(f"orders placed chunk {done}", done, 27)
        assert len(bar.progress.tasks) == 1
        (task,) = bar.progress.tasks
        assert (task.completed, task.total) == (26, 27)
        assert task.description == "orders placed chunk 26"


def test_a_build_without_a_terminal_prints_its_phases() -> None:
    console, buffer = log_console()
    with build_bar(console) as bar:
        assert isinstance(bar, BuildBar) and not bar.live
        bar.phase("copying the state warehouse")
        bar.phase("dbt build")
        bar.dbt_progress(1, 3, "model a")
        bar.dbt_progress(3, 3, "model c")
        bar.phase("publishing")
    texts = [STAMP.sub("", line) for line in buffer.getvalue().splitlines()]
    assert texts == [
        "copying the state warehouse",
        "dbt build",
        "dbt build 3/3: model c",
        "publishing",
    ]
