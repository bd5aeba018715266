"""Reading dbt's JSON event stream (shapes recorded from dbt-core 1.11)."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.dbt_runner import DbtCommand, DbtEventReader, DbtResult, _SessionReader, one_line


def event(event_name: str, text: str = "", level: str = "info", /, **data: object) -> str:
    return json.dumps({"info": {"name": event_name, "msg": text, "level": level}, "data": data})


def read(*lines: str) -> tuple[DbtResult, list[tuple[int, int, str]]]:
    calls: list[tuple[int, int, str]] = []
    result = DbtResult(command="build", returncode=1, log_file=Path("/logs/dbt.log"))
    reader = DbtEventReader(result, lambda d, t, desc: calls.append((d, t, desc)))
    for line in lines:
        reader.feed(line)
    return reader.finish(), calls


def test_progress_and_counts_from_node_events() -> None:
    result, calls = read(
        event("MainReportVersion", "Running with dbt=1.11.16"),
        event("LogStartLine", index=1, total=4, description="sql view model main.m1"),
        event("LogModelResult", status="OK", index=1, total=4, description="sql view model m1"),
        event("LogStartLine", index=2, total=4, description="sql view model main.m3"),
        event("LogModelResult", "ERROR", "error", status="error", index=2, total=4),
        event("LogTestResult", "FAIL 1", "error", status="fail", index=3, num_models=4, name="t"),
        event("SkippingDetails", "4 of 4 SKIP relation main.m4 ..... [SKIP]", index=4, total=4),
        event("RunResultFailure", node_name="m3", resource_type="model", path="models/m3.sql"),
        event("RunResultError", msg="Runtime Error in model m3 (models/m3.sql)\n  Binder Error: x"),
        "some stray line that is not JSON",
    )
    assert (result.errors, result.test_failures, result.skipped, result.nodes) == (1, 1, 1, 4)
    assert calls[0] == (0, 0, "starting dbt")
    assert calls[1] == (0, 4, "sql view model main.m1")
    assert calls[-1] == (4, 4, "4 of 4 SKIP relation main.m4")
    assert result.first_failure == "model m3"
    assert result.first_error_message == "Runtime Error: Binder Error: x"
    assert result.other_output == ["some stray line that is not JSON"]
    assert result.failure_message() == (
        "dbt build failed (1 error, 1 test failure; first: model m3: Runtime Error: "
        "Binder Error: x) — see /logs/dbt.log"
    )


def test_fatal_error_is_one_line() -> None:
    exc = (
        "Compilation Error in operation p-on-run-start-0 (./dbt_project.yml)\n"
        "  raw_data.shop_orders is missing contract column customer_id\n  \n"
        "  > in macro assert_raw_contract (macros/c.sql)\n"
        "  > called by operation p-on-run-start-0 (./dbt_project.yml)"
    )
    result, _ = read(event("MainEncounteredError", "Encountered an error:\n" + exc, exc=exc))
    assert result.failure_message() == (
        "dbt build failed: Compilation Error in operation p-on-run-start-0 (./dbt_project.yml): "
        "raw_data.shop_orders is missing contract column customer_id — see /logs/dbt.log"
    )


def test_failure_without_events_falls_back_to_output() -> None:
    result, _ = read("Traceback (most recent call last):", "ModuleNotFoundError: no dbt")
    assert result.failure_message().startswith("dbt build failed: ModuleNotFoundError: no dbt")
    empty, _ = read()
    assert empty.failure_message() == "dbt build failed (exit code 1) — see /logs/dbt.log"


def test_hook_error_counts() -> None:
    result, _ = read(event("LogHookEndLine", status="error", statement="p.on-run-start.0"))
    assert result.errors == 1
    assert result.first_failure == "hook p.on-run-start.0"


def test_one_line_drops_call_stack() -> None:
    assert one_line("Encountered an error:\nA\n  > in macro x\n\n  B  ") == "A: B"


def marker(kind: str, command: str, **extra: object) -> str:
    return json.dumps({"analytics_session": {"event": kind, "command": command, **extra}})


def session(*lines: str, exit_code: int) -> tuple[list[DbtResult], list[str]]:
    started: list[str] = []
    reader = _SessionReader(Path("/logs/dbt.log"), None, started.append)
    for line in lines:
        reader.feed(line)
    commands = [DbtCommand(("source", "freshness"), required=False), DbtCommand(("build",))]
    return reader.results(commands, exit_code), started


def test_a_session_gives_one_result_per_command() -> None:
    (fresh, build), started = session(
        marker("start", "parse"),
        event("MainReportVersion", "Running with dbt=1.11.16"),
        marker("end", "parse", returncode=0),
        marker("start", "source freshness"),
        event("LogFreshnessResult", status="warn", index=1, total=1),
        marker("end", "source freshness", returncode=1),
        marker("start", "build"),
        event("LogModelResult", status="success", index=1, total=1),
        marker("end", "build", returncode=0),
        exit_code=0,
    )
    assert started == ["parse", "source freshness", "build"]
    assert (fresh.command, fresh.returncode, fresh.warnings, fresh.nodes) == (
        "source freshness",
        1,
        1,
        1,
    )
    assert (build.command, build.ok, build.nodes, build.ran) == ("build", True, 1, True)


def test_a_driver_that_dies_mid_build_fails_that_build_with_its_last_words() -> None:
    (fresh, build), _ = session(
        marker("start", "parse"),
        marker("end", "parse", returncode=0),
        marker("start", "source freshness"),
        marker("end", "source freshness", returncode=0),
        marker("start", "build"),
        event("LogModelResult", status="success", index=1, total=3),
        "Fatal Python error: Segmentation fault",
        exit_code=-11,
    )
    assert fresh.ok
    assert build.returncode == -11 and build.ran
    assert build.failure_message() == (
        "dbt build failed: Fatal Python error: Segmentation fault — see /logs/dbt.log"
    )


def test_a_driver_that_cannot_start_dbt_says_why_for_every_command() -> None:
    (fresh, build), started = session(
        "Traceback (most recent call last):",
        "ModuleNotFoundError: No module named 'dbt'",
        exit_code=1,
    )
    assert started == []
    assert not fresh.ran and not build.ran
    assert build.failure_message() == (
        "dbt build failed: ModuleNotFoundError: No module named 'dbt' — see /logs/dbt.log"
    )
