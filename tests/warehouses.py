"""Warehouses built once per test run and copied into the tests that use them.

A build with the real ``analytics`` command and dbt costs tens of seconds,
mostly dbt starting and parsing the project; most tests only need *a* built
warehouse of a known kind. A :class:`Recipe` says how to make one kind (from
nothing, or from a copy of another kind); :class:`WarehouseTemplates` makes
each kind once per test run, for every xdist worker together, and hands out
copies of it.

- The templates live in a folder all workers of one run share (the parent of
  the workers' base temporary folders; the base temporary folder itself when
  tests run in one process), one sub-folder per kind. A kind is made under an
  exclusive file lock (``fcntl``), so a worker that wants a kind another one
  is making waits for it instead of building it again.
- A template is never written to after it is made: a test gets its own copy
  of the whole ``ANALYTICS_HOME`` (:meth:`WarehouseTemplates.copy`). Nothing in
  a home records where it is: the published docs are a *relative* symlink,
  the dbt profile reads everything from the environment, and the build copy's
  path is set by each build. dbt's target folder (with its partial-parse
  file) comes along, and dbt keeps that parse in the copy: it opens the build
  copy at a path relative to the home. A new home that a test builds from
  nothing can start from a template's parse too (:func:`start_from_parse_of`).
- The CLI runs that made a template (exit code, stdout, stderr) are kept with
  it, so a test can still check what the build said (:attr:`Template.runs`).

Set ``ANALYTICS_TEST_CLI_LOG`` to a file to get one JSON line per ``analytics``
command the tests run (see :func:`tests.conftest.run_cli`): that is how the
number of builds in a run is counted.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from analytics_core.settings import Settings

#: The generator arguments of the base warehouse: scale 0.01, seed 7, ending
#: 2026-06-30. Tests whose assertions do not depend on the scale or seed use it.
SMALL_WAREHOUSE_ARGS = ("--scale", "0.01", "--seed", "7", "--end-date", "2026-06-30")

#: The failed template: the staging test that fails, and on how many orders.
FAILING_TEST = "not_null_stg_shop__orders"
BROKEN_ORDERS = 3

#: ``run(*args, home=..., check=...)``: an ``analytics`` command in a home.
CliRunner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class Recipe:
    """How to make one kind of home. ``make(home, run)`` runs in ``home``: an
    empty folder, or a copy of the ``parent`` kind's template when there is
    one. ``run`` is the CLI runner; what it runs is recorded. An empty
    folder starts from the dbt parse of the ``parse_of`` kind's template
    when there is one (:func:`start_from_parse_of`)."""

    name: str
    make: Callable[[Path, CliRunner], None]
    parent: Recipe | None = None
    parse_of: Recipe | None = None


@dataclass(frozen=True)
class Template:
    """A made kind: its home (read it, never write to it) and the CLI runs
    that made it on top of its parent's."""

    name: str
    home: Path
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return Settings(home=self.home)


def _generate_and_build(home: Path, run: CliRunner) -> None:
    run("generate", *SMALL_WAREHOUSE_ARGS, home=home, check=True)
    run("build", "--docs", home=home, check=True)


#: The small warehouse: generated with SMALL_WAREHOUSE_ARGS and built once.
BASE = Recipe("base", _generate_and_build)


def _fail_a_build(home: Path, run: CliRunner) -> None:
    """Raw orders lose their currency (kept in ``main.saved_currency`` of the
    state, to put back), so a staging ``not_null`` test fails the build."""
    with duckdb.connect(str(Settings(home=home).state_warehouse_path)) as con:
        broken = [
            row[0]
            for row in con.execute(
                "select order_id from raw_data.shop_orders "
                "qualify row_number() over (partition by order_id order by _cdc_lsn desc) = 1 "
                "and _cdc_op <> 'D' order by order_id limit ?",
                [BROKEN_ORDERS],
            ).fetchall()
        ]
        # The CDC log is append-only (an incremental build reads only what is
        # new): the damage is a new change for each order, after every other.
        con.execute(
            "create table main.saved_currency as select order_id, currency "
            "from raw_data.shop_orders where list_contains(?, order_id) "
            "qualify row_number() over (partition by order_id order by _cdc_lsn desc) = 1",
            [broken],
        )
        append_order_changes(con, broken, null_currency=True)
    run("build", home=home)


#: The base warehouse after a build that failed a test (the failed run is in
#: :attr:`Template.runs`; the tests check its exit code and message).
FAILED = Recipe("failed-build", _fail_a_build, parent=BASE)


def append_order_changes(
    con: duckdb.DuckDBPyConnection, order_ids: list[object], *, null_currency: bool
) -> None:
    """Append an update to ``raw_data.shop_orders`` for each order: a copy of its
    latest change, later than every change in the log, whose currency is null
    (``null_currency``) or the one kept in ``main.saved_currency``."""
    currency = "null" if null_currency else "s.currency"
    con.execute(
        f"""
        insert into raw_data.shop_orders by name
        with latest as (
            select * from raw_data.shop_orders where list_contains(?, order_id)
            qualify row_number() over (partition by order_id order by _cdc_lsn desc) = 1
        ), top as (
            select max(_cdc_lsn) as lsn, max(_cdc_ts) as ts, max(_loaded_at) as loaded
            from raw_data.shop_orders
        )
        select latest.* replace (
            'U' as _cdc_op,
            top.lsn + row_number() over (order by latest.order_id) * 2048 as _cdc_lsn,
            top.ts + interval 1 second as _cdc_ts,
            greatest(top.loaded, top.ts) + interval 1 minute as _loaded_at,
            {currency} as currency
        )
        from latest cross join top
        left join main.saved_currency as s on s.order_id = latest.order_id
        """,
        [order_ids],
    )


def restore_currency(settings: Settings) -> None:
    """Undo :data:`FAILED`'s damage in the state (the next build succeeds)."""
    with duckdb.connect(str(settings.state_warehouse_path)) as con:
        ids = [r[0] for r in con.execute("select order_id from main.saved_currency").fetchall()]
        append_order_changes(con, ids, null_currency=False)
        con.execute("drop table main.saved_currency")


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _record(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    args = proc.args if isinstance(proc.args, list) else [str(proc.args)]
    return {
        "args": [str(a) for a in args],
        "returncode": proc.returncode,
        "stdout": proc.stdout,
        "stderr": proc.stderr,
    }


def _replay(record: dict[str, object]) -> subprocess.CompletedProcess[str]:
    args = record["args"]
    assert isinstance(args, list)
    return subprocess.CompletedProcess(
        args, int(str(record["returncode"])), str(record["stdout"]), str(record["stderr"])
    )


def start_from_parse_of(template: Template, home: Path) -> None:
    """Give a new ``home`` (generated, never built) ``template``'s parse of the
    dbt project, so that its first build does not parse the whole project
    (about 10 s of each build from nothing). dbt keeps a parse while the
    project's files and the connection settings are the same, and every
    home's builds connect alike (dbt runs in the home and opens the build
    copy at the same relative path: ``orchestration.build.local_invocation``);
    what differs is read again. For tests whose subject is not the first
    parse (the first builds of the templates and the build-session tests
    parse from nothing)."""
    target = Settings(home=home).dbt_target_path
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(template.settings.dbt_target_path / PARSE_FILE, target / PARSE_FILE)


#: dbt's saved parse of the project, in its target folder.
PARSE_FILE = "partial_parse.msgpack"


def copy_home(source: Path, destination: Path) -> Path:
    """A copy of a whole home (symlinks kept: the published docs are one)."""
    shutil.copytree(source, destination, symlinks=True, dirs_exist_ok=True)
    return destination


class WarehouseTemplates:
    """The templates of one test run, in ``root`` (shared by its workers)."""

    def __init__(self, root: Path, run: CliRunner) -> None:
        self.root = root
        self._run = run
        self._made: dict[str, Template] = {}

    def get(self, recipe: Recipe) -> Template:
        """The template of ``recipe``, made first if no worker has made it."""
        if recipe.name in self._made:
            return self._made[recipe.name]
        folder = self.root / recipe.name
        done = folder / "runs.json"
        with _exclusive(self.root / f"{recipe.name}.lock"):
            if not done.is_file():
                self._make(recipe, folder, done)
            records = json.loads(done.read_text())
        template = Template(recipe.name, folder / "home", [_replay(r) for r in records])
        self._made[recipe.name] = template
        return template

    def _make(self, recipe: Recipe, folder: Path, done: Path) -> None:
        # A folder without runs.json is what an interrupted attempt left.
        shutil.rmtree(folder, ignore_errors=True)
        home = folder / "home"
        if recipe.parent is not None:
            copy_home(self.get(recipe.parent).home, home)
        else:
            home.mkdir(parents=True)
            if recipe.parse_of is not None:
                start_from_parse_of(self.get(recipe.parse_of), home)
        runs: list[subprocess.CompletedProcess[str]] = []

        def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
            proc = self._run(*args, **kwargs)
            runs.append(proc)
            return proc

        started = time.monotonic()
        recipe.make(home, run)
        tmp = done.with_suffix(".tmp")
        tmp.write_text(json.dumps([_record(p) for p in runs]))
        os.replace(tmp, done)
        (folder / "made.txt").write_text(
            f"{recipe.name} made by {os.environ.get('PYTEST_XDIST_WORKER', 'main')} "
            f"in {time.monotonic() - started:.1f} s\n"
        )

    def copy(self, recipe: Recipe, destination: Path) -> Settings:
        """A private copy of ``recipe``'s home at ``destination`` (created)."""
        return Settings(home=copy_home(self.get(recipe).home, destination))


def templates_root(factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this run shares: xdist gives each worker the
    base temporary folder ``<run's>/gwN``; a run in one process uses its own."""
    base = factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return shared / "warehouse-templates"


def replay_args(proc: subprocess.CompletedProcess[str]) -> Sequence[str]:
    """The ``analytics`` arguments of a recorded run (without the program)."""
    return [str(a) for a in proc.args][1:]
