"""The order the suite hands its files to the xdist workers (tests/conftest.py):
longest files first, whole files, each file's tests in their own order."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Two files marked minutes(n), one with some slow tests, one with none.
FILES = (
    "tests/generator/test_cdc.py",
    "tests/cli/test_cli.py",
    "tests/warehouse/test_correctness.py",
    "tests/warehouse/test_emulator.py",
    "tests/warehouse/test_incremental.py",
)


def collected(*paths: str) -> list[str]:
    args = ("--collect-only", "-q", "-n", "0", "--no-cov", "-p", "no:cacheprovider")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args, *paths],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [line for line in proc.stdout.splitlines() if "::" in line]


def minutes_mark(path: str) -> float:
    """The n of the file's ``pytest.mark.minutes(n)``, read from its source."""
    for node in ast.walk(ast.parse((REPO_ROOT / path).read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "minutes"
        ):
            value = node.args[0]
            assert isinstance(value, ast.Constant)
            return float(value.value)
    return 0.0


def test_longest_files_first_whole_and_in_their_own_order() -> None:
    ids = collected(*FILES)
    files = [node_id.split("::", 1)[0] for node_id in ids]
    order = list(dict.fromkeys(files))
    assert sorted(order) == sorted(FILES)
    # whole files: each file's tests are together
    assert len(order) == len([f for i, f in enumerate(files) if i == 0 or files[i - 1] != f])

    marked = [f for f in order if minutes_mark(f) > 0]
    assert len(marked) == 3, "the three warehouse files are marked minutes(n)"
    assert order[:3] == sorted(marked, key=minutes_mark, reverse=True)
    # then a file with slow tests, then one without
    assert order[3:] == ["tests/cli/test_cli.py", "tests/generator/test_cdc.py"]

    # within a file, the tests keep the order of their definitions
    for path in order:
        names = [i.split("::", 1)[1].split("[", 1)[0] for i in ids if i.startswith(path + "::")]
        ran = list(dict.fromkeys(names))
        assert len(ran) == len([n for i, n in enumerate(names) if i == 0 or names[i - 1] != n])
        assert ran == [name for name in defined_tests(path) if name in ran], path


def defined_tests(path: str) -> list[str]:
    tree = ast.parse((REPO_ROOT / path).read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]
