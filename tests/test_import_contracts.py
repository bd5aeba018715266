"""Components depend on ``analytics_core`` and never the other way; the UI
reaches the report service over HTTP; only the CLI wires components together.

The contracts are import-linter's (``[tool.importlinter]`` in
pyproject.toml); this runs the real ``lint-imports`` on the repository, and on
a copy with a forbidden import added, to show the check would catch it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("analytics_core", "orchestration", "report_service", "questions", "ui")
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_repository_keeps_its_import_contracts() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 5 kept, 0 broken." in done.stdout


def test_a_forbidden_import_breaks_the_check(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.html", "*.json"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert lint_imports(tmp_path).returncode == 0  # the copy alone is fine
    with (tmp_path / "ui" / "health.py").open("a") as module:
        module.write("\nfrom report_service.warehouse import check_ready  # noqa: E402\n")
    with (tmp_path / "orchestration" / "scheduler.py").open("a") as module:
        module.write("\nimport questions.local  # noqa: E402\n")
    with (tmp_path / "analytics_core" / "events.py").open("a") as module:
        module.write("\nimport report_service.models  # noqa: E402\n")
    with (tmp_path / "report_service" / "stores" / "dynamodb" / "__init__.py").open("a") as module:
        module.write("\nfrom report_service.stores.sqlite import SQLiteJobStore  # noqa: E402\n")
    with (tmp_path / "report_service" / "stores" / "base.py").open("a") as module:
        module.write("\nfrom report_service.stores import factory  # noqa: E402\n")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Contracts: 0 kept, 5 broken." in done.stdout
    assert "ui.health -> report_service.warehouse" in done.stdout
    assert "orchestration.scheduler -> questions.local" in done.stdout
    assert "analytics_core.events -> report_service.models" in done.stdout
    assert "report_service.stores.dynamodb -> report_service.stores.sqlite" in done.stdout
    assert "report_service.stores.base -> report_service.stores.factory" in done.stdout
