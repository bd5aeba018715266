"""``analytics report TYPE``: render one report now, without the service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics_core.settings import Settings
from tests.cli.test_cli import assert_one_error_line
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def test_renders_a_report_to_a_file(small_warehouse: Settings, tmp_path: Path) -> None:
    out = tmp_path / "sales.json"
    proc = run_cli(
        "report",
        "daily_sales",
        "--param",
        "date=2026-06-29",
        "--format",
        "json",
        "--out",
        str(out),
        home=small_warehouse.home_dir,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stdout
    document = json.loads(out.read_text())
    assert "2026-06-29" in json.dumps(document)


def test_writes_into_a_folder(small_warehouse: Settings, tmp_path: Path) -> None:
    proc = run_cli(
        "report",
        "monthly_data_quality",
        "-f",
        "csv",
        "-o",
        str(tmp_path),
        home=small_warehouse.home_dir,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "monthly_data_quality.csv").stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["no_such_report"], "no_such_report"),
        (["daily_sales", "--param", "date"], "KEY=VALUE"),
        (["daily_sales", "--param", "date=2026-02-30"], "date"),
        (["daily_sales", "--param", "date=2026-06-01'; drop table x"], "date"),
        (["daily_sales", "--param", "colour=blue"], "colour"),
        (["daily_sales", "--format", "exe"], "exe"),
        (["daily_sales", "--out", "/no/such/folder/x.html"], "does not exist"),
    ],
)
def test_bad_input_is_one_clear_error(
    small_warehouse: Settings, tmp_path: Path, args: list[str], fragment: str
) -> None:
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path)]
    proc = run_cli("report", *args, home=small_warehouse.home_dir)
    assert_one_error_line(proc, fragment)
    assert not list(tmp_path.iterdir())


def test_without_a_warehouse(tmp_path: Path) -> None:
    proc = run_cli("report", "daily_sales", "-o", str(tmp_path), home=tmp_path / "empty")
    assert_one_error_line(proc, "analytics build")
