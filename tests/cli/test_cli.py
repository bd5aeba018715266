"""The ``analytics`` command line, run through the installed entry point."""

from __future__ import annotations

import re

import pytest

from analytics_core.settings import Settings
from orchestration.locking import warehouse_lock

COMMAND_OPTIONS = {
    (): ["generate", "build", "docs", "up", "serve", "report"],
    ("generate",): [
        "--scale",
        "--seed",
        "--end-date",
        "--defect-rate",
        "--increment",
        "--days",
        "--target",
    ],
    ("build",): [
        "--full-refresh",
        "--select",
        "--exclude",
        "--target",
        "--docs",
        "--unit-tests",
        "--force",
    ],
    ("docs",): [],
    ("up",): ["--scale", "--host", "--port", "--report-port", "--ui-port"],
    ("serve",): ["--host", "--port", "report-service"],
    ("report",): ["--param", "--format", "--out"],
}


PROGRESS_LINE = re.compile(r"^\d\d:\d\d:\d\d \[\s*\d+\.\d s\] ")


def assert_one_error_line(proc, *fragments: str, after: int = 0) -> None:
    """The command failed with exactly one ``error:`` line (after ``after`` other lines)."""
    assert proc.returncode != 0, proc.stdout
    # Progress lines (a time, then what is under way) come before it when the
    # command got that far; they are not errors.
    lines = [
        line for line in proc.stderr.splitlines() if line.strip() and not PROGRESS_LINE.match(line)
    ]
    assert len(lines) == after + 1, proc.stderr
    assert lines[-1].startswith("error: "), proc.stderr
    assert all(not line.startswith("error") for line in lines[:-1]), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for fragment in fragments:
        assert fragment in lines[-1]


@pytest.mark.parametrize("command", list(COMMAND_OPTIONS), ids=lambda c: " ".join(c) or "root")
def test_help_lists_options(run_analytics, command) -> None:
    proc = run_analytics(*command, "--help")
    assert proc.returncode == 0, proc.stderr
    for option in COMMAND_OPTIONS[command]:
        assert option in proc.stdout
    assert proc.stderr == ""


def test_no_command_prints_help(run_analytics) -> None:
    proc = run_analytics()
    assert proc.returncode == 0
    assert "generate" in proc.stdout and "build" in proc.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["generate", "--scale", "0"], "--scale"),
        (["generate", "--scale", "-1"], "--scale"),
        (["generate", "--scale", "abc"], "--scale"),
        (["generate", "--end-date", "2026-13-45"], "--end-date"),
        (["generate", "--defect-rate", "2"], "--defect-rate"),
        (["generate", "--increment", "--days", "0"], "--days"),
        (["generate", "--days", "3"], "--increment"),
        (["generate", "--increment", "--scale", "2"], "--increment"),
        (["generate", "--target", "oracle"], "--target"),
        (["build", "--target", "oracle"], "--target"),
        (["build", "--scale", "1"], "--scale"),
        (["up", "--port", "70000"], "--port"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_invalid_arguments_fail_with_one_line(run_analytics, args, fragment) -> None:
    proc = run_analytics(*args)
    assert_one_error_line(proc, fragment)
    assert proc.returncode == 2


def test_build_without_raw_data_says_generate_first(run_analytics, analytics_home) -> None:
    proc = run_analytics("build")
    assert_one_error_line(proc, "no raw data", "analytics generate")
    assert proc.returncode == 1
    assert not (analytics_home / "warehouse.duckdb").exists()


def test_bad_environment_setting_is_one_line(run_analytics) -> None:
    proc = run_analytics("build", env={"ANALYTICS_TARGET": "mainframe"})
    assert_one_error_line(proc, "ANALYTICS_TARGET")


def test_build_waits_for_the_lock_then_gives_up(run_analytics, analytics_home) -> None:
    settings = Settings(home=analytics_home)
    with warehouse_lock(settings.lock_path, purpose="generate", timeout=1):
        proc = run_analytics("build", env={"ANALYTICS_LOCK_TIMEOUT": "1.5"})
    assert_one_error_line(proc, "another generate (pid", "still holds the warehouse lock", after=1)
    assert proc.stderr.startswith("waiting for another generate (pid")


def test_unit_tests_are_refused_on_the_emulator(run_analytics) -> None:
    proc = run_analytics("build", "--target", "emulator", "--unit-tests")
    assert_one_error_line(proc, "unit tests cannot run on the emulator", "--unit-tests")


def test_docs_before_any_build_says_build_first(run_analytics, analytics_home) -> None:
    proc = run_analytics("docs")
    assert_one_error_line(proc, "no published warehouse", "analytics build")
    assert not (analytics_home / "dbt" / "docs").exists()


def test_generate_to_snowflake_names_the_missing_variable(run_analytics) -> None:
    proc = run_analytics("generate", "--target", "snowflake", "--scale", "0.001")
    assert_one_error_line(proc, "SNOWFLAKE_ACCOUNT")


def test_increment_without_data_says_generate_first(run_analytics) -> None:
    proc = run_analytics("generate", "--increment", "--days", "2")
    assert_one_error_line(proc, "no raw data", "analytics generate")


@pytest.mark.slow  # processes, emulators or dbt: over 15 s in the fast lane
def test_generate_into_the_snowflake_emulator(run_analytics, fakesnow_env) -> None:
    proc = run_analytics(
        "generate",
        "--target",
        "snowflake",
        "--scale",
        "0.002",
        "--end-date",
        "2026-06-30",
        env=fakesnow_env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Snowflake raw_data" in proc.stdout
    for table in ("shop_orders", "shop_order_items", "shop_customers", "shop_products", "fx_rates"):
        assert table in proc.stdout
    assert fakesnow_env["SNOWFLAKE_PASSWORD"] not in proc.stdout + proc.stderr


def test_build_on_snowflake_names_the_missing_variable(run_analytics) -> None:
    proc = run_analytics("build", "--target", "snowflake")
    assert_one_error_line(proc, "SNOWFLAKE_ACCOUNT is not set")


EVERY_HELP = [
    (),
    ("generate",),
    ("build",),
    ("docs",),
    ("serve",),
    ("schedules",),
    ("snowflake-ddl",),
    ("report",),
    ("ask",),
    ("semantic-model",),
    ("up",),
    ("ci",),
    ("ci", "plan"),
    ("ci", "execute"),
    ("ci", "publish"),
    ("ci", "fetch-state"),
]


@pytest.mark.parametrize("command", EVERY_HELP, ids=lambda c: " ".join(c) or "root")
def test_help_reads_as_plain_text(run_analytics, command) -> None:
    """Click's plain help: no type placeholders (<bool>, <str>), no markup
    characters (backticks), no truncated command lists, no box drawing."""
    proc = run_analytics(*command, "--help", env={"COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "<bool>" not in text and "<str>" not in text and "range>" not in text, text
    assert "`" not in text, text
    assert "..." not in text.split("Commands:", 1)[-1] if "Commands:" in text else True
    assert "╭" not in text and "│" not in text
    assert all(len(line) <= 80 for line in text.splitlines()), text
    # No word cut at a line's end ("no-" / "dry-run", "schedule r" / "eport").
    assert not [line for line in text.splitlines() if re.search(r"[A-Za-z]-$", line)], text


def test_report_help_lists_the_report_types(run_analytics) -> None:
    from report_service.reports import CATALOG

    text = run_analytics("report", "--help").stdout
    listed = text.split("Report types:", 1)[1]
    for name, definition in CATALOG.items():
        assert name in listed and definition.title in listed


def test_version(run_analytics) -> None:
    from importlib.metadata import version

    proc = run_analytics("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"analytics {version('analytics-platform')}"


def test_generate_and_up_share_one_default_scale(run_analytics) -> None:
    from orchestration.commands.data import DEFAULT_SCALE

    for command in ("generate", "up"):
        text = " ".join(run_analytics(command, "--help", env={"COLUMNS": "200"}).stdout.split())
        assert f"[default: {DEFAULT_SCALE}]" in text or f"[default: ({DEFAULT_SCALE})]" in text, (
            command,
            text,
        )


@pytest.mark.parametrize("command", [("build",), ("generate", "--increment")])
def test_a_damaged_state_warehouse_says_what_to_do_and_keeps_the_file(
    run_analytics, analytics_home, command
) -> None:
    state = analytics_home / "state" / "warehouse.duckdb"
    state.parent.mkdir(parents=True)
    state.write_bytes(b"half a copy, cut short\n" * 100)
    proc = run_analytics(*command)
    assert proc.returncode == 1
    assert_one_error_line(
        proc, "state warehouse", "is damaged", f"mv {state}", "analytics generate"
    )
    assert "unexpected" not in proc.stderr
    assert state.read_bytes() == b"half a copy, cut short\n" * 100, "nothing is lost"


def test_a_damaged_published_warehouse_names_the_build_that_replaces_it(
    run_analytics, analytics_home
) -> None:
    (analytics_home / "warehouse.duckdb").write_bytes(b"not a database")
    proc = run_analytics("report", "daily_sales", "--out", str(analytics_home))
    assert_one_error_line(proc, "published copy is damaged", "analytics build --force")
