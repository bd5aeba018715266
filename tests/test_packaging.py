"""The package by component: the wheel carries every component, and each
component installs alone through its extra (``[project.optional-dependencies]``
in pyproject.toml).

The install is real: ``uv sync --frozen --no-dev --extra report-service`` into
a fresh environment, as the report service's image does, from the lock and
uv's cache (the development install has put every locked wheel there). That
environment then serves the report service with the image's entry point and
refuses the UI, naming the extra it lacks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchestration.extras import EXTRAS_OF, missing_extra_message
from tests.conftest import free_port
from tests.infra.tools import uv_command

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
EXTRAS = PYPROJECT["project"]["optional-dependencies"]
COMPONENTS = ("analytics_core", "orchestration", "report_service", "questions", "ui")
#: What no report-service install may carry.
NOT_IN_REPORT_SERVICE = ("dbt", "streamlit", "metricflow", "sqlglot")


def uv_env() -> dict[str, str]:
    """This environment without the running virtual environment's markers (uv
    would otherwise warn about, or install into, the test run's own .venv)."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"} and not k.startswith("UV_")
    }


def test_the_wheel_carries_every_component(tmp_path: Path) -> None:
    done = subprocess.run(
        [*uv_command(), "build", "--wheel", "--out-dir", str(tmp_path), str(ROOT)],
        env=uv_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [wheel] = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in COMPONENTS:
        assert f"{package}/__init__.py" in names, package
    # The UI and its pages (Streamlit runs them by path, from the installed package).
    assert "ui/app.py" in names
    for page in ("ask", "metrics", "reports", "health"):
        assert f"ui/views/{page}.py" in names
    assert "analytics_core/schedules.yml" in names


def test_every_extra_is_named_once_and_all_installs_them_all() -> None:
    components = set(EXTRAS) - {"all"}
    assert components == {"dbt", "report-service", "questions", "ui", "snowflake", "aws"}
    # `all` names the component extras in pyproject.toml's order.
    in_order = ",".join(name for name in EXTRAS if name != "all")
    assert EXTRAS["all"] == [f"analytics-platform[{in_order}]"]
    # The development install (uv sync, the Quickstart, CI) has everything.
    assert "analytics-platform[all]" in PYPROJECT["dependency-groups"]["dev"]
    # The CLI's hints name real extras only.
    for module, extras in EXTRAS_OF.items():
        assert extras and set(extras) <= components, module
    core = " ".join(PYPROJECT["project"]["dependencies"])
    for heavy in ("dbt", "streamlit", "fastapi", "snowflake", "boto3", "metricflow"):
        assert heavy not in core, heavy


def test_a_missing_module_names_its_extra() -> None:
    message = missing_extra_message(ModuleNotFoundError("No module named 'dbt'", name="dbt.cli"))
    assert message is not None
    assert "'dbt' extra" in message and "analytics-platform[dbt]" in message
    shared = missing_extra_message(ModuleNotFoundError("x", name="numpy"))
    assert shared is not None and "'dbt' or 'report-service'" in shared
    # A module no extra installs is a bug, not a smaller install: no hint.
    assert missing_extra_message(ModuleNotFoundError("x", name="no_such_module")) is None


@pytest.fixture(scope="module")
def report_service_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh environment with the project and its report-service extra only."""
    venv = tmp_path_factory.mktemp("report-service-only") / "venv"
    env = {**uv_env(), "UV_PROJECT_ENVIRONMENT": str(venv)}
    done = subprocess.run(
        [*uv_command(), "sync", "--frozen", "--no-dev", "--extra", "report-service"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    yield venv


def clean_env(home: Path) -> dict[str, str]:
    """A minimal environment: nothing from this test run's interpreter or settings."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "ANALYTICS_HOME": str(home / "analytics"),
        "LANG": "C.UTF-8",
    }


def test_the_report_service_installs_without_dbt_or_streamlit(
    report_service_env: Path, tmp_path: Path
) -> None:
    python = report_service_env / "bin" / "python"
    probe = (
        "import importlib.util, json, sys\n"
        "import report_service.app\n"
        "from report_service.app import create_app\n"
        f"names = {list(NOT_IN_REPORT_SERVICE)!r}\n"
        "print(json.dumps({\n"
        "    'missing': [n for n in names if importlib.util.find_spec(n) is None],\n"
        "    'loaded': sorted(n for n in names if n in sys.modules),\n"
        "    'app': report_service.app.__file__,\n"
        "    'fastapi': importlib.util.find_spec('fastapi') is not None,\n"
        "}))\n"
    )
    done = subprocess.run(
        [str(python), "-c", probe],
        cwd=tmp_path,  # not the project root: the package is found because it is installed
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["missing"] == list(NOT_IN_REPORT_SERVICE)
    assert seen["loaded"] == []
    assert seen["fastapi"] is True
    assert Path(seen["app"]) == ROOT / "report_service" / "app.py"
    # Nothing of the development install leaked in (a different interpreter prefix).
    assert not str(python).startswith(sys.prefix)


def test_the_report_service_alone_serves_health(report_service_env: Path, tmp_path: Path) -> None:
    """The image's entry point (``analytics serve report-service``) from the
    report-service install answers /health."""
    port = free_port()
    analytics = report_service_env / "bin" / "analytics"
    log_path = tmp_path / "service.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(analytics), "serve", "report-service", "--port", str(port)],
            cwd=tmp_path,
            env=clean_env(tmp_path),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert "report service stopped" in log_path.read_text()


def test_the_report_service_install_refuses_the_ui_naming_its_extra(
    report_service_env: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [str(report_service_env / "bin" / "analytics"), "serve", "ui", "--port", "0"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "streamlit is not installed" in done.stderr
    assert "analytics-platform[ui]" in done.stderr
    assert "Traceback" not in done.stderr
