"""No Python file outside tests/ is over 600 lines (issue 17): a module that
long does several things, and is split where they part.

Every ``.py`` file under the repository counts (the components, benchmarks,
infra, scripts), tracked or not, except tests and what tools write (virtual
environments, dbt's packages and target, coverage HTML).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600
#: Folders that are not the project's own code, or are tests.
SKIPPED_DIRS = {"tests", "dbt_packages", "target", "htmlcov", "logs", "test-artifacts"}


def python_files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in parts[:-1]):
            continue
        found.append(path)
    return sorted(found)


def line_count(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    ast.parse(text, filename=str(path))  # a file that does not parse is not counted away
    return len(text.splitlines())


def test_no_python_file_outside_tests_is_over_600_lines() -> None:
    files = python_files(ROOT)
    # The walk finds the components (a wrong root or filter would find nothing).
    names = {f.relative_to(ROOT).as_posix() for f in files}
    assert {"orchestration/cli.py", "report_service/app.py", "ui/app.py"} <= names
    assert not any(name.startswith(("tests/", ".venv/")) for name in names)
    too_long = {
        name: lines
        for name, lines in ((f.relative_to(ROOT).as_posix(), line_count(f)) for f in files)
        if lines > MAX_LINES
    }
    assert too_long == {}, f"over {MAX_LINES} lines, split them: {too_long}"


def test_the_count_would_catch_a_long_file(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    long_file = tmp_path / "pkg" / "long.py"
    long_file.write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "site.py").write_text("x = 1\n" * (MAX_LINES + 1))
    assert python_files(tmp_path) == [long_file]
    assert line_count(long_file) == MAX_LINES + 1
