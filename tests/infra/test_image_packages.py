"""Each image installs its own component's extra and nothing of the others.

The Dockerfiles' ``uv sync`` lines are read as they are; the packages they
would install are resolved from the lock with ``uv export`` (the same
``--frozen --no-dev --extra ...`` selection, no network), so an extra that
grows a dependency on dbt or Streamlit fails here, not in an image build.
The report service's image is also assembled here without Docker: the files
its builder copies, installed with its ``uv sync`` line, then imported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analytics_core.settings import PROJECT_ROOT
from tests.infra.containers_support import copy_sources, parse_dockerfile
from tests.infra.tools import uv_command

DOCKER_DIR = PROJECT_ROOT / "infra" / "docker"

#: image -> (its component's extra, packages it must carry, packages it must not).
IMAGES: dict[str, tuple[str, set[str], set[str]]] = {
    "report-service": (
        "report-service",
        {"fastapi", "uvicorn", "weasyprint", "snowflake-connector-python", "boto3"},
        {"dbt-core", "dbt-duckdb", "dbt-snowflake", "dbt-metricflow", "metricflow", "streamlit"},
    ),
    "ui": (
        "ui",
        {"streamlit", "httpx", "dbt-metricflow", "dbt-duckdb", "snowflake-connector-python"},
        {"fastapi", "weasyprint", "vl-convert-python", "openpyxl", "prometheus-client"},
    ),
    "dbt-runner": (
        "dbt",
        # MetricFlow: the metric alerts evaluated after a build (--alerts-after).
        {"dbt-core", "dbt-duckdb", "dbt-snowflake", "pyarrow", "boto3", "dbt-metricflow"},
        {"streamlit", "fastapi", "weasyprint", "vl-convert-python", "openpyxl"},
    ),
}
#: image -> the project packages it copies (the component and what starts it).
PACKAGES: dict[str, set[str]] = {
    "report-service": {"analytics_core", "orchestration", "report_service"},
    "ui": {"analytics_core", "orchestration", "questions", "ui"},
    # The report catalog, for the scheduler's check of the schedule; the
    # question engine, for metric alerts.
    "dbt-runner": {"analytics_core", "orchestration", "report_service", "questions"},
}
ALL_PACKAGES = {"analytics_core", "orchestration", "report_service", "questions", "ui"}


def sync_extras(image: str) -> list[str]:
    """The extras of the builder's ``uv sync`` lines (all of them the same)."""
    builder = parse_dockerfile(DOCKER_DIR / f"{image}.Dockerfile").stage("builder")
    assert builder is not None
    syncs = [i.args for i in builder.all("RUN") if "uv sync" in i.args]
    assert len(syncs) == 2, f"{image}: dependencies, then the project"
    found = [re.findall(r"--extra[ =]([\w-]+)", command) for command in syncs]
    assert found[0] == found[1], f"{image}: both uv sync lines install the same extras"
    assert "--all-extras" not in " ".join(syncs)
    return found[0]


def resolved(extras: list[str]) -> set[str]:
    """The package names ``uv sync --frozen --no-dev`` with ``extras`` installs."""
    done = subprocess.run(
        [*uv_command(), "export", "--frozen", "--offline", "--no-dev", "--no-hashes"]
        + ["--no-emit-project", "--no-header", "--no-annotate"]
        + [arg for extra in extras for arg in ("--extra", extra)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = set()
    for line in done.stdout.splitlines():
        if line and not line.startswith((" ", "#", "-")):
            names.add(re.split(r"[=<>;\[ ]", line, maxsplit=1)[0].lower())
    assert names, done.stdout
    return names


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_an_image_installs_its_components_extra_only(image):
    extra, needed, excluded = IMAGES[image]
    extras = sync_extras(image)
    assert extra in extras
    assert "all" not in extras
    packages = resolved(extras)
    assert needed <= packages, f"{image}: missing {sorted(needed - packages)}"
    assert not excluded & packages, f"{image}: carries {sorted(excluded & packages)}"


def test_the_report_service_image_has_no_dbt_or_streamlit_at_all():
    """Not only the named packages: nothing of dbt's family or Streamlit's."""
    packages = resolved(sync_extras("report-service"))
    assert not {p for p in packages if p.startswith(("dbt-", "metricflow", "streamlit"))}
    # The full install has them, so the check above can fail.
    everything = resolved(["all"])
    assert {"dbt-core", "streamlit", "dbt-metricflow"} <= everything
    assert len(packages) < len(everything)


@pytest.mark.parametrize("image", sorted(PACKAGES))
def test_an_image_copies_only_its_components_packages(image):
    dockerfile = parse_dockerfile(DOCKER_DIR / f"{image}.Dockerfile")
    copied = set()
    for instruction in dockerfile.stage("builder").all("COPY"):
        if "from" in instruction.flags:
            continue
        sources, _ = copy_sources(instruction)
        copied |= {source.rstrip("/") for source in sources}
    assert copied & ALL_PACKAGES == PACKAGES[image]


def assemble(image: str, tmp_path: Path) -> Path:
    """The builder stage of ``image`` without Docker: the files it copies from
    the context, then its ``uv sync`` (the image's extras) into ``.venv`` next
    to them. Returns the environment's interpreter."""
    dockerfile = parse_dockerfile(DOCKER_DIR / f"{image}.Dockerfile")
    builder = dockerfile.stage("builder")
    assert builder is not None
    app = tmp_path / "app"
    app.mkdir()
    for instruction in builder.all("COPY"):
        if "from" in instruction.flags:
            continue
        sources, dest = copy_sources(instruction)
        for source in sources:
            origin = PROJECT_ROOT / source
            target = app / dest / origin.name if dest.endswith("/") else app / dest
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(origin, target)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH"} and not k.startswith("UV_")
    }
    env["UV_PROJECT_ENVIRONMENT"] = str(app / ".venv")
    extras = [arg for extra in sync_extras(image) for arg in ("--extra", extra)]
    done = subprocess.run(
        [*uv_command(), "sync", "--frozen", "--no-dev", *extras],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return app / ".venv" / "bin" / "python"


def probe(python: Path, imports: str, names: list[str], cwd: Path) -> dict[str, bool]:
    """Run ``imports`` in ``python`` (a bare environment), then say which of
    ``names`` it could import."""
    code = (
        "import importlib.util, json\n"
        f"{imports}\n"
        f"print(json.dumps({{n: importlib.util.find_spec(n) is not None for n in {names!r}}}))\n"
    )
    seen = subprocess.run(
        [str(python), "-c", code],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert seen.returncode == 0, seen.stderr
    found: dict[str, bool] = json.loads(seen.stdout)
    return found


def test_the_report_service_image_contents_import_without_the_others(tmp_path: Path) -> None:
    """The report service imports; dbt, Streamlit and the packages the image
    does not copy do not."""
    python = assemble("report-service", tmp_path)
    names = ["dbt", "streamlit", "metricflow", "questions", "ui", "boto3", "snowflake"]
    imports = "import report_service.app, report_service.server, orchestration.cli"
    assert probe(python, imports, names, tmp_path) == {
        "dbt": False,
        "streamlit": False,
        "metricflow": False,
        "questions": False,  # not copied into the image
        "ui": False,
        "boto3": True,  # the AWS backends it runs against
        "snowflake": True,
    }


def test_the_dbt_runner_image_contents_build_schedule_and_alert(tmp_path: Path) -> None:
    """dbt, the scheduler (with the report catalog it checks the schedule
    against) and the alerts (the question engine over MetricFlow, the
    data-quality checks) import; the report service's rendering and the UI's
    packages do not."""
    python = assemble("dbt-runner", tmp_path)
    names = ["dbt", "fastapi", "weasyprint", "streamlit", "metricflow", "questions", "ui"]
    imports = (
        "import orchestration.cli, orchestration.build, orchestration.scheduler\n"
        "import orchestration.commands.alerts, questions.alerts, questions.local.engine\n"
        "import analytics_core.data_quality_findings\n"
        "from report_service.reports import CATALOG\n"
        "assert CATALOG"
    )
    assert probe(python, imports, names, tmp_path) == {
        "dbt": True,
        "fastapi": False,
        "weasyprint": False,
        "streamlit": False,
        "metricflow": True,
        "questions": True,
        "ui": False,
    }
