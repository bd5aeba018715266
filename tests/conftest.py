"""Shared fixtures.

- ``analytics_home``: a fresh ``ANALYTICS_HOME`` under ``tmp_path`` (set in
  the environment of the test and of every ``run_analytics`` call).
- ``run_analytics``: run the installed ``analytics`` entry point as a
  subprocess, the way a person would (``analytics_cli`` for any home).
- ``fakesnow_server``: a fakesnow Snowflake emulator for the session;
  yields ``(host, port)``.
- ``warehouse_templates``: the warehouses built once per test run, shared
  by the xdist workers (``tests/warehouses.py``); ``templates.copy(BASE,
  path)`` gives a test a home of its own to write to.
- ``small_warehouse``: a built and published warehouse with its docs site
  (scale 0.01, seed 7, ending 2026-06-30): this worker's copy of the ``BASE`` template. Read it,
  never write to it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from analytics_core.settings import Settings
from tests.browsers import CHROMIUM, MISSING_CHROMIUM
from tests.warehouses import BASE, WarehouseTemplates, templates_root
from tests.warehouses import SMALL_WAREHOUSE_ARGS as SMALL_WAREHOUSE_ARGS

VENV_BIN = Path(sys.executable).parent
ANALYTICS = VENV_BIN / "analytics"

#: A file to append one JSON line to per ``analytics`` command run_cli runs
#: (command, exit code, seconds, worker): counts the builds of a test run.
CLI_LOG = "ANALYTICS_TEST_CLI_LOG"

RunAnalytics = Callable[..., "subprocess.CompletedProcess[str]"]

#: Fixtures that build a warehouse or copy a built one: a test that uses one,
#: even indirectly, must be marked ``slow`` (``pytest -m "not slow"``, the
#: contributors' fast lane, never waits for a dbt build).
WAREHOUSE_FIXTURES = frozenset({"small_warehouse", "warehouse_templates", "hostile_warehouse"})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    refuse_unmarked_warehouse_users(items)
    refuse_browser_tests_without_chromium(items)
    items[:] = longest_files_first(items)


def refuse_unmarked_warehouse_users(items: list[pytest.Item]) -> None:
    unmarked = [
        item.nodeid
        for item in items
        if WAREHOUSE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests use a built warehouse but are not marked slow "
            f"(add pytestmark = pytest.mark.slow): {', '.join(unmarked)}"
        )


def refuse_browser_tests_without_chromium(items: list[pytest.Item]) -> None:
    """Say at once that the browser tests need Chromium, not after the builds
    that come before them (a whole run takes half an hour). Under xdist the
    workers collect and the controller decides (below): an error raised in a
    worker's collection reads as a crash."""
    if CHROMIUM is not None or not items or hasattr(items[0].config, "workerinput"):
        return
    browser = [item for item in items if item.get_closest_marker("browser") is not None]
    if browser:
        raise pytest.UsageError(MISSING_CHROMIUM.format(count=len(browser)))


_BROWSER_FILES: dict[str, bool] = {}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """The xdist controller's view of a worker's selected tests (node ids,
    after -m and -k): a test file that marks itself ``pytest.mark.browser``
    (the browser tests mark whole modules) needs Chromium."""
    if CHROMIUM is not None:
        return
    rootdir = Path(node.config.rootpath)
    count = 0
    for nodeid in ids:
        path = nodeid.split("::", 1)[0]
        if path not in _BROWSER_FILES:
            source = rootdir / path
            _BROWSER_FILES[path] = source.is_file() and "pytest.mark.browser" in source.read_text()
        count += _BROWSER_FILES[path]
    if count:
        pytest.exit(MISSING_CHROMIUM.format(count=count), returncode=4)


def longest_files_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The run's tests, whole files in the order the xdist workers should get them.

    ``--dist=loadfile`` hands a worker one file at a time, in the order of
    the collection (``--no-loadscope-reorder``: by default xdist sorts files
    by their number of tests, which put the one-test emulator build, minutes
    long, last, run by one worker while the other had finished). So the
    longest files go first: those marked ``minutes(n)`` (measured; with
    ``--durations`` the run lists its longest files), longest first; then the
    other files with ``slow`` tests;
    then the rest, short files that fill the gaps at the end. Within each
    group, files with more tests go first (xdist's own order); within a file,
    tests keep their order.
    """
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def minutes(item: pytest.Item) -> float:
        marker = item.get_closest_marker("minutes")
        if marker is None:
            return 0.0
        if len(marker.args) != 1 or not isinstance(marker.args[0], int | float):
            raise pytest.UsageError(f"{item.nodeid}: write pytest.mark.minutes(n), n a number")
        return float(marker.args[0])

    def cost(file_items: list[pytest.Item]) -> tuple[float, int, int]:
        longest = max(minutes(i) for i in file_items)
        has_slow = any(i.get_closest_marker("slow") is not None for i in file_items)
        return (-longest, 0 if has_slow else 1, -len(file_items))

    ordered = sorted(by_file.values(), key=cost)  # stable: ties keep collection order
    return [item for file_items in ordered for item in file_items]


#: Seconds per test file (setup, call and teardown of its tests, all workers).
_FILE_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::", 1)[0]
    _FILE_SECONDS[path] = _FILE_SECONDS.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """With ``--durations``: the longest files too, the figures for their
    ``minutes(n)`` marks (see :func:`longest_files_first`)."""
    if config.option.durations is None or len(_FILE_SECONDS) < 2:
        return
    terminalreporter.write_sep("=", "longest files (minutes, on their worker)")
    longest = sorted(_FILE_SECONDS.items(), key=lambda pair: -pair[1])[:20]
    for path, seconds in longest:
        terminalreporter.write_line(f"{seconds / 60:6.1f}  {path}")


def analytics_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI run: this one, with a private home and the local target."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANALYTICS_", "SNOWFLAKE_"))}
    env.pop("DBT_PROFILES_DIR", None)
    env["ANALYTICS_HOME"] = str(home)
    env["ANALYTICS_TARGET"] = "local"
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    home: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``analytics ARGS`` and return the finished process (text output)."""
    started = time.monotonic()
    proc = subprocess.run(
        [str(ANALYTICS), *args],
        env=analytics_env(home, env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    log = os.environ.get(CLI_LOG)
    if log:
        line = {
            "args": list(args),
            "returncode": proc.returncode,
            "seconds": round(time.monotonic() - started, 1),
            "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
            "test": os.environ.get("PYTEST_CURRENT_TEST", ""),
        }
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
    if check and proc.returncode != 0:
        pytest.fail(
            f"analytics {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


@pytest.fixture
def analytics_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ANALYTICS_HOME, set in this test's environment."""
    home = tmp_path / "analytics-home"
    home.mkdir()
    monkeypatch.setenv("ANALYTICS_HOME", str(home))
    monkeypatch.setenv("ANALYTICS_TARGET", "local")
    return home


@pytest.fixture
def run_analytics(analytics_home: Path) -> RunAnalytics:
    """``run_analytics("build", "--select", "x", env={...}, check=True)`` in ``analytics_home``."""

    def run(
        *args: str,
        home: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 600,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, home=home or analytics_home, env=env, timeout=timeout, check=check)

    return run


@pytest.fixture(scope="session")
def analytics_cli() -> RunAnalytics:
    """``analytics_cli("build", home=path, check=True)``: any scope, any home."""
    return run_cli


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


def stop_process(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """Terminate a server a test started; kill it if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def fakesnow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A fakesnow server (in-memory databases) for the whole session: ``(host, port)``."""
    host, port = "127.0.0.1", free_port()
    log = tmp_path_factory.mktemp("fakesnow") / "fakesnow.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(VENV_BIN / "fakesnow"), "-s", "-p", str(port), "--host", host],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(host, port, timeout=60, process=process)
            yield host, port
        finally:
            stop_process(process)


@pytest.fixture
def fakesnow_env(fakesnow_server: tuple[str, int]) -> dict[str, str]:
    """``SNOWFLAKE_*`` variables that point the connection factory at the emulator."""
    return emulator_env(fakesnow_server)


def emulator_env(server: tuple[str, int]) -> dict[str, str]:
    """``SNOWFLAKE_*`` variables for the fakesnow server ``(host, port)`` (the
    ``fakesnow_env`` fixture's; for fixtures of a wider scope)."""
    host, port = server
    return {
        "SNOWFLAKE_ACCOUNT": "fakesnow",
        "SNOWFLAKE_USER": "fake",
        "SNOWFLAKE_PASSWORD": "snow",
        "SNOWFLAKE_HOST": host,
        "SNOWFLAKE_PORT": str(port),
        "SNOWFLAKE_PROTOCOL": "http",
    }


def emulator_connection(env: Mapping[str, str], database: str) -> Any:
    """A Snowflake connector connection to the fakesnow server of ``env``
    (``fakesnow_env``), opened on ``database``."""
    import snowflake.connector

    return snowflake.connector.connect(
        account="fakesnow",
        user="fake",
        password="snow",
        host=env["SNOWFLAKE_HOST"],
        port=int(env["SNOWFLAKE_PORT"]),
        protocol="http",
        database=database,
    )


@pytest.fixture(scope="session")
def warehouse_templates(tmp_path_factory: pytest.TempPathFactory) -> WarehouseTemplates:
    """The warehouses built once per run (all workers together)."""
    return WarehouseTemplates(templates_root(tmp_path_factory), run_cli)


@pytest.fixture(scope="session")
def small_warehouse(
    warehouse_templates: WarehouseTemplates, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Settings of a home with a built, published warehouse (scale 0.01, seed 7,
    end date 2026-06-30): this worker's copy of the run's ``BASE`` template
    (a copy, so that a test that breaks the rule cannot harm another worker).
    Shared by the worker's session: open it read-only."""
    return warehouse_templates.copy(BASE, tmp_path_factory.mktemp("small-warehouse") / "home")
