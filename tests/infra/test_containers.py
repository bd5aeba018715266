"""The container images, their build context and the local compose stack,
held to the code they package.

Nothing here needs a Docker engine: the Dockerfiles, ``.dockerignore`` and
``compose.yaml`` are parsed as they are; hadolint and checkov lint the real
files; and each image's entry point and health check run on this machine
with the image's own environment (paths inside the image mapped onto the
repository, the virtual environment and temporary folders), so a wrong port,
host, route, command or signal handling fails here, not in a deployment.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
import yaml

from analytics_core.settings import (
    PROJECT_ROOT,
    ReportServiceSettings,
    Settings,
    UISettings,
)
from orchestration.ci_plan import IMAGES
from tests.infra.containers_support import (
    SECRET_NAME,
    DockerfileError,
    DockerIgnore,
    DockerIgnoreError,
    Instruction,
    Stage,
    arg_values,
    copy_sources,
    healthcheck,
    key_values,
    parse_dockerfile,
    parse_dockerfile_text,
    settings_env_names,
)
from tests.infra.tools import uv_command

DOCKER_DIR = PROJECT_ROOT / "infra" / "docker"
COMPOSE_FILE = PROJECT_ROOT / "infra" / "compose" / "compose.yaml"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
VENV = Path(sys.prefix)
VENV_BIN = Path(sys.executable).parent
HADOLINT = VENV_BIN / "hadolint"

#: The images CI builds (orchestration.ci_plan.IMAGES: the dbt runner among them).
IMAGE_NAMES = sorted({image for images in IMAGES.values() for image in images})
#: Images that serve HTTP, with the settings class that says where.
SERVERS: dict[str, type[ReportServiceSettings] | type[UISettings]] = {
    "report-service": ReportServiceSettings,
    "ui": UISettings,
}
#: How each server ends on SIGTERM: exit codes, and what it says once it has
#: shut down cleanly. uvicorn re-raises the signal after its graceful shutdown
#: (exit by SIGTERM, 143 in Docker); Streamlit exits 0.
SHUTDOWN: dict[str, tuple[set[int], str]] = {
    "report-service": ({0, -signal.SIGTERM}, "report service stopped"),
    "ui": ({0}, "Stopping..."),
}
#: Where the project lives inside every image (the builder's WORKDIR).
APP = "/app"


def dockerfile_path(image: str) -> Path:
    return DOCKER_DIR / f"{image}.Dockerfile"


def load(image: str) -> Any:
    return parse_dockerfile(dockerfile_path(image))


def default_port(cls: type[ReportServiceSettings] | type[UISettings]) -> int:
    default = cls.model_fields["port"].default
    assert isinstance(default, int)
    return default


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------- the files


def test_a_dockerfile_for_every_image_and_no_private_ignore_file():
    found = sorted(p.name.removesuffix(".Dockerfile") for p in DOCKER_DIR.glob("*.Dockerfile"))
    assert found == IMAGE_NAMES
    # BuildKit prefers <name>.Dockerfile.dockerignore over the root one: there is none,
    # so the root .dockerignore (tested below) is the one that applies.
    assert not list(DOCKER_DIR.glob("*.dockerignore"))
    assert DOCKERIGNORE.is_file()


@pytest.mark.parametrize("image", IMAGE_NAMES)
def test_multi_stage_build_with_pinned_uv_and_slim_python(image):
    dockerfile = load(image)
    assert dockerfile.directives.get("syntax", "").startswith("docker/dockerfile:")
    assert len(dockerfile.stages) >= 2
    for stage in dockerfile.stages:
        base = stage.base
        if dockerfile.stage(base.lower()):
            continue  # an earlier stage
        name, _, tag = base.partition("@")[0].rpartition(":")
        assert name and tag, f"{image}: FROM {base} has no tag"
        assert tag != "latest"
        # A full version (x.y.z), not a moving major/minor tag.
        assert re.match(r"v?\d+\.\d+\.\d+", tag), f"{image}: FROM {base} is not pinned"
    uv_stages = [s for s in dockerfile.stages if s.base.startswith("ghcr.io/astral-sh/uv:")]
    assert len(uv_stages) == 1, "uv comes from the official image, pinned once"
    final = dockerfile.final
    assert re.fullmatch(r"python:3\.1[12]\.\d+-slim(-\w+)?", final.base), final.base
    # The runtime stage gets the project and its environment from the builder, and
    # never uv or a compiler.
    copies_from = {i.flags.get("from") for i in final.all("COPY") if "from" in i.flags}
    assert copies_from == {"builder"}
    builder = dockerfile.stage("builder")
    assert builder is not None and builder.base == final.base, "same interpreter in both"
    assert any(i.flags.get("from") == uv_stages[0].name for i in builder.all("COPY"))
    syncs = [i.args for i in builder.all("RUN") if "uv sync" in i.args]
    assert syncs, "the builder installs with uv sync"
    for command in syncs:
        assert "--frozen" in command and "--no-dev" in command
    assert builder.env().get("UV_PROJECT_ENVIRONMENT") == f"{APP}/.venv"
    assert builder.workdir_at(builder.instructions[-1]) == APP
    # Installed editable from /app (PROJECT_ROOT must be where the project files are).
    assert "--no-editable" not in " ".join(syncs)
    [carried] = [i for i in final.all("COPY") if i.flags.get("from") == "builder"]
    assert copy_sources(carried) == ([APP], APP)


@pytest.mark.parametrize("image", IMAGE_NAMES)
def test_runs_as_a_fixed_non_root_user(image):
    final = load(image).final
    user = final.last("USER")
    assert user is not None, f"{image}: the final stage sets no USER"
    assert re.fullmatch(r"\d+(:\d+)?", user.args), f"{image}: USER {user.args} is not numeric"
    uid, _, gid = user.args.partition(":")
    assert int(uid) >= 10000 and (not gid or int(gid) >= 10000)
    # The user is created with exactly that uid and gid, and nothing after it runs as root.
    created = " ".join(i.args for i in final.all("RUN"))
    assert f"--uid {uid}" in created and f"--gid {gid or uid}" in created
    after = final.instructions[final.instructions.index(user) + 1 :]
    assert not [i for i in after if i.keyword in ("RUN", "USER")]


@pytest.mark.parametrize("image", IMAGE_NAMES)
def test_entrypoint_and_cmd_are_exec_form_and_real_commands(image):
    final = load(image).final
    entrypoint = final.last("ENTRYPOINT")
    assert entrypoint is not None and entrypoint.exec_form, f"{image}: ENTRYPOINT not exec form"
    cmd = final.last("CMD")
    assert cmd is None or cmd.exec_form is not None, f"{image}: CMD not in exec form"
    argv = entrypoint.exec_form + (cmd.exec_form if cmd else [])
    # The project's own command, straight from the virtual environment (no shell, no
    # wrapper), so SIGTERM reaches it; the arguments are a command it has.
    assert argv[0] == f"{APP}/.venv/bin/analytics"
    done = subprocess.run(
        [str(VENV_BIN / "analytics"), *argv[1:], "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("image", IMAGE_NAMES)
def test_exposes_the_ports_the_apps_listen_on_everywhere(image):
    final = load(image).final
    exposed = [word for i in final.all("EXPOSE") for word in i.args.split()]
    env = final.env()
    if image not in SERVERS:
        assert exposed == []
        return
    settings = SERVERS[image]
    prefix = str(settings.model_config["env_prefix"])
    assert exposed in ([str(default_port(settings))], [f"{default_port(settings)}/tcp"])
    # The default host is loopback, unreachable from outside a container.
    assert settings.model_fields["host"].default == "127.0.0.1"
    assert env.get(f"{prefix}HOST") == "0.0.0.0"
    assert f"{prefix}PORT" not in env, "the port stays the settings default EXPOSE names"


def test_healthcheck_routes_are_routes_of_the_apps(tmp_path):
    spec = importlib.util.spec_from_file_location("healthcheck", DOCKER_DIR / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    from report_service.app import ReportService, create_app

    settings = Settings(home=tmp_path)
    service = ReportService(
        ReportServiceSettings(api_keys="k", workers=0), settings, start_workers=False
    )
    # As the OpenAPI document lists them: included routers are not flattened
    # into ``app.routes``.
    routes = set(create_app(service).openapi()["paths"])
    _, path = script.CHECKS["report-service"]
    assert path in routes
    assert set(script.CHECKS) == set(SERVERS)
    # The UI's route is checked on a running Streamlit in test_image_runs_and_stops.


@pytest.mark.parametrize("image", IMAGE_NAMES)
def test_healthcheck_needs_no_curl(image):
    dockerfile = load(image)
    final = dockerfile.final
    instruction = final.last("HEALTHCHECK")
    assert instruction is not None, f"{image}: no HEALTHCHECK"
    options, command = healthcheck(instruction)
    if image not in SERVERS:
        assert command is None, "a run-to-completion task has nothing to probe"
        return
    assert command == [f"{APP}/.venv/bin/python", f"{APP}/healthcheck.py", image]
    assert set(options) <= {"interval", "timeout", "start-period", "retries", "start-interval"}
    # The script in the image is infra/docker/healthcheck.py.
    assert context_files(dockerfile)[f"{APP}/healthcheck.py"] == "infra/docker/healthcheck.py"


# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("image", IMAGE_NAMES)
def test_no_secret_is_baked_in(image):
    dockerfile = load(image)
    for _, instruction in dockerfile.instructions():
        if instruction.keyword == "ENV":
            values: dict[str, str | None] = dict(key_values(instruction))
        elif instruction.keyword == "ARG":
            values = arg_values(instruction)
        else:
            continue
        for name, value in values.items():
            if SECRET_NAME.search(name):
                assert not value, f"{image}:{instruction.line}: {name} has a value"
    text = dockerfile_path(image).read_text()
    assert not re.search(r"AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY", text)
    # ADD can fetch URLs and unpack archives; COPY says what it does.
    assert not [i for _, i in dockerfile.instructions() if i.keyword == "ADD"]


def project_text() -> str:
    """The project's code and dbt files (not the tests)."""
    files = [
        p
        for p in tracked_files()
        if p.endswith((".py", ".sql", ".yml", ".example")) and not p.startswith("tests/")
    ]
    return "\n".join((PROJECT_ROOT / p).read_text(encoding="utf-8") for p in files)


@pytest.mark.parametrize("image", IMAGE_NAMES)
def test_every_platform_variable_set_in_an_image_is_read_by_the_code(image):
    env = load(image).final.env()
    names = settings_env_names()
    code = project_text()
    prefixes = ("ANALYTICS_", "REPORT_SERVICE_", "UI_", "SCHEDULER_", "QUESTIONS_", "SNOWFLAKE_")
    for name in env:
        if name.startswith(prefixes) and name not in names:
            # Read directly (os.environ, dbt's env_var), not through a settings class.
            assert f'"{name}"' in code or f"'{name}'" in code, f"{image}: nothing reads {name}"


# --------------------------------------------------------------------------- build context


def context_files(dockerfile: Any) -> dict[str, str]:
    """Container path -> context path of every file or folder COPY takes from the
    build context (destinations resolved against WORKDIR)."""
    mapping: dict[str, str] = {}
    for stage in dockerfile.stages:
        for instruction in stage.all("COPY"):
            if "from" in instruction.flags:
                continue
            sources, dest = copy_sources(instruction)
            base = dest if dest.startswith("/") else f"{stage.workdir_at(instruction)}/{dest}"
            for source in sources:
                if dest.endswith("/") or len(sources) > 1:
                    target = f"{base.rstrip('/')}/{Path(source).name}"
                else:
                    target = base
                mapping[os.path.normpath(target)] = source.rstrip("/")
    return mapping


def tracked_files() -> list[str]:
    done = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True, timeout=60
    )
    return [p for p in done.stdout.decode().split("\0") if p]


@pytest.mark.parametrize("image", IMAGE_NAMES)
def test_copy_sources_exist_and_reach_the_build_context(image):
    ignore = DockerIgnore.read(DOCKERIGNORE)
    sources = sorted(set(context_files(load(image)).values()))
    assert sources
    tracked = tracked_files()
    for source in sources:
        assert not any(ch in source for ch in "*?["), f"{image}: COPY {source} is a glob"
        assert (PROJECT_ROOT / source).exists(), f"{image}: COPY {source}: no such file"
        assert not ignore.excluded(source), f"{image}: .dockerignore leaves out {source}"
        # Every tracked file under a copied folder goes in too (a file the image
        # needs is never dropped silently by a pattern below).
        under = [p for p in tracked if p == source or p.startswith(source + "/")]
        left_out = [p for p in under if ignore.excluded(p)]
        assert not left_out, f"{image}: .dockerignore leaves out {left_out[:5]}"


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        ".analytics/warehouse.duckdb",
        ".analytics/report_service/api_key",
        "test-artifacts/screenshots/ask.png",
        "analytics_core/__pycache__/settings.cpython-311.pyc",
        "report_service/reports/__pycache__/base.cpython-311.pyc",
        "target/manifest.json",
        "dbt_project/target/manifest.json",
        "logs/dbt.log",
        "dbt_project/logs/dbt.log",
        "dbt_packages/dbt_utils/dbt_project.yml",
        "profiles.yml",
        ".env",
        "ui/.env",
        "orchestration/.env.production",
        "server.pem",
        "report_service/certs/tls.pem",
        "analytics_core/rsa_key.p8",
        "infra/compose/moto.credentials",
        "infra/terraform/terraform.tfstate",
        ".pytest_cache/v/cache/nodeids",
        "questions/.mypy_cache/3.11/x.json",
        "warehouse.duckdb",
        "tests/conftest.py",
        "benchmarks/bench_build.py",
        ".coverage",
        "htmlcov/index.html",
    ],
)
def test_dockerignore_keeps_local_generated_and_secret_files_out(path):
    assert DockerIgnore.read(DOCKERIGNORE).excluded(path)


def test_dockerignore_rules_follow_docker():
    rules = DockerIgnore(
        "# comment\n\n*\n!src/\n!keep.txt\n**/*.pem\nsrc/gen\n!src/gen/ok.txt\n"
        "/abs\ndocs/?.md\n**/cache/**\nlit\\*eral\n[ab]x\n"
    )
    assert rules.excluded("anything")
    assert not rules.excluded("src/a.py")
    assert not rules.excluded("keep.txt")
    assert rules.excluded("src/deep/er/k.pem")  # ** reaches any depth
    assert rules.excluded("k.pem")  # ** matches zero folders too
    assert rules.excluded("src/gen/x.py")  # a folder excludes what is under it
    assert not rules.excluded("src/gen/ok.txt")  # the last match wins
    assert rules.excluded("abs")
    rules = DockerIgnore("docs/?.md\n*.log\nlit\\*eral\n[ab]x\n**/cache/**\n")
    assert rules.excluded("docs/a.md") and not rules.excluded("docs/ab.md")
    assert rules.excluded("x.log") and not rules.excluded("sub/x.log")  # * stops at /
    assert rules.excluded("lit*eral") and not rules.excluded("litteral")
    assert rules.excluded("ax") and not rules.excluded("cx")
    assert rules.excluded("a/cache/b/c") and not rules.excluded("a/cachet/b")
    assert not DockerIgnore("").excluded("anything")


@pytest.mark.parametrize(
    ("text", "message"),
    [("[abc\n", "unclosed '['"), ("trailing\\\n", "lone '\\'"), ("!\n", "matches nothing")],
)
def test_dockerignore_refuses_malformed_patterns(text, message):
    with pytest.raises(DockerIgnoreError, match=re.escape(message)):
        DockerIgnore(text)


# --------------------------------------------------------------------------- the parser


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", None, "no FROM instruction"),
        ("# only a comment\n\n", None, "no FROM instruction"),
        ("FROM a:1\x00\n", None, "NUL bytes"),
        ("FROM a:1\nFORM b\n", 2, "unknown instruction 'FORM'"),
        ("RUN echo hi\nFROM a:1\n", 1, "RUN before the first FROM"),
        ("FROM a:1\nRUN echo \\\n", 2, "ends inside a line continuation"),
        ("FROM\n", 1, "FROM needs arguments"),
        ("FROM a:1 AS\n", 1, "FROM expects IMAGE [AS NAME]"),
        ("FROM a:1 AS x\nFROM b:1 AS X\n", 2, "stage name 'x' is used twice"),
        ("FROM a:1 AS 9bad\n", 1, "invalid stage name"),
        ("FROM a:1\nRUN\n", 2, "RUN needs arguments"),
        ("FROM a:1\nRUN <<EOF\necho\nEOF\n", 2, "heredoc is not supported"),
        ("FROM a:1\nENV lonely\n", 2, "expected NAME=VALUE"),
        ("FROM a:1\nENV A=1 =2\n", 2, "is not NAME=VALUE"),
        ("FROM a:1\nENV A='unterminated\n", 2, "No closing quotation"),
        ("FROM a:1\nARG 1X=2\n", 2, "not a valid name"),
        ("# escape=x\nFROM a:1\n", None, "escape directive"),
    ],
)
def test_parser_refuses_malformed_dockerfiles_with_line_and_reason(text, line, reason):
    with pytest.raises(DockerfileError) as caught:
        parse_dockerfile_text(text, "bad.Dockerfile")
    assert caught.value.line == line
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"bad.Dockerfile:{line}:" if line else "bad.Dockerfile:")


def test_parser_refuses_binary_and_non_utf8_files(tmp_path):
    binary = tmp_path / "binary.Dockerfile"
    binary.write_bytes(b"\xff\xfe\x00F\x00R")
    with pytest.raises(DockerfileError, match="not UTF-8 text"):
        parse_dockerfile(binary)


def test_parser_reads_continuations_directives_forms_and_flags():
    text = (
        "# syntax=docker/dockerfile:1\n"
        "# escape=`\n"
        "ARG BASE=python:3.11.14-slim\n"
        "from ${BASE} as Build\n"
        "run --mount=type=cache,target=/c echo one `\n"
        "    # a comment inside the continuation\n"
        "\n"
        "    two\n"
        'ENV A=1 B="two words"\n'
        "CMD [not json\n"
        "FROM scratch\n"
        "ENV OLD style value\n"
        'ENTRYPOINT ["/bin/app", "--flag"]\n'
        "COPY --from=build --chown=1:1 /a /b\n"
    )
    parsed = parse_dockerfile_text(text)
    assert parsed.directives == {"syntax": "docker/dockerfile:1", "escape": "`"}
    assert [a.args for a in parsed.global_args] == ["BASE=python:3.11.14-slim"]
    first, second = parsed.stages
    assert (first.name, first.base, second.name) == ("build", "${BASE}", None)
    run = first.last("RUN")
    assert run is not None and run.line == 5
    assert run.flags == {"mount": "type=cache,target=/c"}
    assert run.args == "echo one two"
    assert first.env() == {"A": "1", "B": "two words"}
    cmd = first.last("CMD")
    assert cmd is not None and cmd.exec_form is None  # Docker: shell form
    assert second.env() == {"OLD": "style value"}
    entry = second.last("ENTRYPOINT")
    assert entry is not None and entry.exec_form == ["/bin/app", "--flag"]
    copy = second.last("COPY")
    assert copy is not None and copy.flags == {"from": "build", "chown": "1:1"}
    assert copy_sources(copy) == (["/a"], "/b")
    assert (6, "# a comment inside the continuation") in parsed.comments


def test_healthcheck_forms():
    def instruction(args: str) -> Instruction:
        stage = parse_dockerfile_text(f"FROM a:1\nHEALTHCHECK {args}\n").final
        found = stage.last("HEALTHCHECK")
        assert found is not None
        return found

    assert healthcheck(instruction("NONE")) == ({}, None)
    assert healthcheck(instruction('--interval=5s CMD ["x", "y"]')) == (
        {"interval": "5s"},
        ["x", "y"],
    )
    assert healthcheck(instruction("CMD check it"))[1] == ["/bin/sh", "-c", "check it"]
    with pytest.raises(DockerfileError, match="NONE or CMD"):
        healthcheck(instruction("CURL x"))


# --------------------------------------------------------------------------- linters


def hadolint(path: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(HADOLINT), "--no-color", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=path.parent,
    )
    assert done.stdout.strip(), done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    return findings


@pytest.mark.parametrize("image", IMAGE_NAMES)
@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_hadolint_finds_nothing(image):
    assert hadolint(dockerfile_path(image)) == []


@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_hadolint_does_check(tmp_path):
    """The control: the same run finds the usual mistakes in a bad Dockerfile."""
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && apt-get install curl\nUSER root\n")
    codes = {finding["code"] for finding in hadolint(bad)}
    assert {"DL3007", "DL3003", "DL3002"} <= codes


@pytest.mark.parametrize("image", IMAGE_NAMES)
def test_every_lint_exception_is_justified(image):
    dockerfile = load(image)
    lines = dockerfile_path(image).read_text().splitlines()
    comments = dict(dockerfile.comments)
    for number, text in dockerfile.comments:
        assert "hadolint global" not in text, "no file-wide exceptions"
        ignore = re.match(r"#\s*hadolint ignore=([\w,]+)", text)
        if ignore:
            # The comment block right above says why.
            above = number - 1
            reason = ""
            while above in comments:
                reason += comments[above]
                above -= 1
            for code in ignore.group(1).split(","):
                assert code in reason, f"{image}:{number}: {code} ignored without a reason above"
            following = lines[number] if number < len(lines) else ""
            assert following.strip() and not following.strip().startswith("#")
        skip = re.search(r"checkov:skip=([A-Z_0-9]+)(.*)", text)
        if skip:
            assert re.match(r"\s*:\s*\S.{10,}", skip.group(2)), f"{image}:{number}: no reason"


def checkov(directory: Path) -> dict[str, dict[str, Any]]:
    done = subprocess.run(
        [
            *uv_command(),
            "tool",
            "run",
            "--from",
            "checkov>=3.2,<4",
            "checkov",
            "--framework",
            "dockerfile",
            "secrets",
            "-d",
            str(directory),
            "--compact",
            "--skip-download",  # no calls home; the checks are in the package
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.stdout.strip()[:1] in ("{", "["), done.stdout[-2000:] + done.stderr[-2000:]
    parsed = json.loads(done.stdout)
    # One report per framework (a list), or a single one.
    reports = parsed if isinstance(parsed, list) else [parsed]
    return {report["check_type"]: report for report in reports}


@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_checkov_passes_the_dockerfiles_and_fails_a_bad_one(tmp_path):
    """checkov's Dockerfile checks and its secrets scan (also over the compose
    files), with a bad Dockerfile as the control."""
    scanned = tmp_path / "scanned"
    scanned.mkdir()
    for path in [*DOCKER_DIR.iterdir(), *COMPOSE_FILE.parent.rglob("*")]:
        if path.is_file():
            shutil.copy(path, scanned / path.name)
    (scanned / "control.Dockerfile").write_text("FROM python:latest\nADD app.tar /app\n")
    # AWS's documented example key, built here so no scanner finds it in this file.
    example = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    (scanned / "control.yaml").write_text(f"environment:\n  AWS_ACCESS_KEY_ID: {example}\n")
    reports = checkov(scanned)
    report = reports["dockerfile"]
    failed: dict[str, set[str]] = {}
    for one in reports.values():
        for check in one["results"]["failed_checks"]:
            failed.setdefault(Path(check["file_path"]).name, set()).add(check["check_id"])
    assert failed.pop("control.Dockerfile", set()) >= {"CKV_DOCKER_2", "CKV_DOCKER_3"}
    assert any(c.startswith("CKV_SECRET_") for c in failed.pop("control.yaml", set()))
    assert failed == {}, f"checkov: {failed}"
    passed = {Path(c["file_path"]).name for c in report["results"]["passed_checks"]}
    assert {f"{image}.Dockerfile" for image in IMAGE_NAMES} <= passed
    assert report["results"]["parsing_errors"] == []


# --------------------------------------------------------------------------- running them


class ImageOnThisMachine:
    """An image's final-stage environment and commands with its paths mapped here:
    /app -> the repository (the venv -> this venv), the volume and HOME -> tmp,
    files the Dockerfile renames -> copies in an overlay."""

    def __init__(self, image: str, tmp: Path) -> None:
        self.image = image
        self.dockerfile = load(image)
        self.final: Stage = self.dockerfile.final
        self.tmp = tmp
        self.overlay = tmp / "overlay"
        volumes = [v for i in self.final.all("VOLUME") for v in json.loads(i.args)]
        assert volumes == ["/data"]
        self.home = tmp / "home"
        self.home.mkdir()
        self.data = tmp / "data"
        self.data.mkdir()
        self.renamed: set[str] = set()
        for target, source in context_files(self.dockerfile).items():
            # Project files sit at the same place under /app as in the repository.
            if target != f"{APP}/{source}":
                self.renamed.add(target)
                copy = self.overlay / target.lstrip("/")
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(PROJECT_ROOT / source, copy)

    def path(self, inside: str) -> str:
        if not inside.startswith("/"):
            return inside
        mapped = self._mapped(inside)
        overlay = self.overlay / inside.lstrip("/")
        if overlay.exists() and (inside in self.renamed or not Path(mapped).exists()):
            return str(overlay)
        return mapped

    def _mapped(self, inside: str) -> str:
        for prefix, here in (
            (f"{APP}/.venv", VENV),
            (APP, PROJECT_ROOT),
            ("/data", self.data),
            ("/home/app", self.home),
        ):
            if inside == prefix or inside.startswith(prefix + "/"):
                return str(here) + inside[len(prefix) :]
        return inside

    def environment(self, **extra: str) -> dict[str, str]:
        args = {k: v or "" for k, v in self.final.args().items()}
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(
                ("ANALYTICS_", "REPORT_SERVICE_", "UI_", "DBT_", "SNOWFLAKE_", "AWS_", "S3_")
            )
        }
        for name, value in self.final.env().items():

            def expand(match: re.Match[str]) -> str:
                key = match.group(1)
                return args[key] if key in args else env.get(key, "")

            value = re.sub(r"\$\{(\w+)\}", expand, value)
            env[name] = ":".join(self.path(part) for part in value.split(":"))
        env.update(extra)
        return env

    def argv(self) -> list[str]:
        entrypoint = self.final.last("ENTRYPOINT")
        cmd = self.final.last("CMD")
        assert entrypoint is not None and entrypoint.exec_form
        argv = entrypoint.exec_form + ((cmd.exec_form or []) if cmd else [])
        return [self.path(argv[0]), *argv[1:]]

    def healthcheck(self, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        instruction = self.final.last("HEALTHCHECK")
        assert instruction is not None
        _, command = healthcheck(instruction)
        assert command
        return subprocess.run(
            [self.path(part) for part in command],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )


@pytest.mark.parametrize("image", sorted(SERVERS))
@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_image_runs_answers_its_healthcheck_and_stops_on_sigterm(image, tmp_path):
    """The image's own entry point, environment and health check, here: it listens
    on every interface, the check passes, SIGTERM stops it cleanly, the check then
    fails."""
    box = ImageOnThisMachine(image, tmp_path)
    prefix = str(SERVERS[image].model_config["env_prefix"])
    port = free_port()
    env = box.environment(**{f"{prefix}PORT": str(port)})
    assert env["ANALYTICS_HOME"] == str(box.data)
    log = (tmp_path / "out.log").open("w")
    process = subprocess.Popen(
        box.argv(), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=box.path(APP)
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            check = box.healthcheck(env)
            if check.returncode == 0:
                break
            assert process.poll() is None, (tmp_path / "out.log").read_text()[-3000:]
            assert time.monotonic() < deadline, check.stderr
            time.sleep(1)
        # Bound to every interface, not only loopback: reachable on this host's address.
        address = socket.gethostbyname(socket.gethostname())
        with socket.create_connection((address, port), 5):
            pass
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    output = (tmp_path / "out.log").read_text()
    codes, stopped = SHUTDOWN[image]
    assert code in codes, output[-3000:]
    assert stopped in output, output[-3000:]
    after = box.healthcheck(env)
    assert after.returncode == 1 and "cannot be reached" in after.stderr


@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_dbt_runner_environment_runs_plain_dbt(tmp_path):
    """DBT_PROJECT_DIR, DBT_PROFILES_DIR, DBT_TARGET_PATH and DBT_LOG_PATH of the
    image are what dbt reads: `dbt parse` with no path options, from another folder,
    finds the project and the profile and writes only under ANALYTICS_HOME."""
    box = ImageOnThisMachine("dbt-runner", tmp_path)
    env = box.environment(DBT_TARGET="local")
    profiles = Path(env["DBT_PROFILES_DIR"]) / "profiles.yml"
    assert profiles.read_text() == (PROJECT_ROOT / "profiles.yml.example").read_text()
    assert env["DBT_PROJECT_DIR"] == str(PROJECT_ROOT)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    before = {name: (PROJECT_ROOT / name).exists() for name in ("target", "logs")}
    done = subprocess.run(
        [box.path(f"{APP}/.venv/bin/dbt"), "parse", "--no-partial-parse"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert (box.data / "dbt" / "target" / "manifest.json").is_file()
    assert (box.data / "dbt" / "logs" / "dbt.log").is_file()
    assert {name: (PROJECT_ROOT / name).exists() for name in before} == before
    assert not list(workdir.iterdir())


class _Answer(http.server.BaseHTTPRequestHandler):
    status = 503

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def answering_503() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def run_healthcheck(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DOCKER_DIR / "healthcheck.py"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {}, "usage: healthcheck.py report-service|ui"),
        (("nope",), {}, "usage:"),
        (("ui", "extra"), {}, "usage:"),
        (("ui",), {"UI_PORT": "not-a-port"}, "unhealthy:"),
        (("report-service",), {"REPORT_SERVICE_PORT": "70000"}, "unhealthy:"),
    ],
)
def test_healthcheck_refuses_bad_input_as_unhealthy(args, env, message):
    done = run_healthcheck(*args, env=env)
    assert done.returncode == 1  # never 2: Docker reserves it
    assert message in done.stderr


def test_healthcheck_fails_on_an_error_status_and_on_silence(answering_503):
    done = run_healthcheck("report-service", env={"REPORT_SERVICE_PORT": str(answering_503)})
    assert done.returncode == 1
    assert f"http://127.0.0.1:{answering_503}/health answered 503" in done.stderr
    done = run_healthcheck(
        "ui", env={"UI_PORT": str(free_port()), "UI_HOST": "::"}
    )  # the IPv6 wildcard: asks ::1
    assert done.returncode == 1 and "http://[::1]:" in done.stderr


# --------------------------------------------------------------------------- compose


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data


def services() -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose()["services"]
    return result


def environment_of(service: dict[str, Any]) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return {k: v for k, _, v in (item.partition("=") for item in env)}
    return {str(k): None if v is None else str(v) for k, v in env.items()}


def image_of(service: dict[str, Any]) -> str | None:
    """The Dockerfile image name a service builds or reuses, if one of ours."""
    build = service.get("build")
    if build:
        dockerfile = str(build["dockerfile"])
        assert (COMPOSE_FILE.parent / build["context"]).resolve() == PROJECT_ROOT
        match = re.fullmatch(r"infra/docker/([\w-]+)\.Dockerfile", dockerfile)
        assert match, dockerfile
        return match.group(1)
    return None


def test_compose_has_the_whole_stack():
    assert {"proxy", "report-service", "ui", "scheduler", "s3", "s3-init"} <= set(services())
    built = {name: image_of(service) for name, service in services().items()}
    assert built["report-service"] == "report-service"
    assert built["ui"] == "ui"
    assert built["scheduler"] == "dbt-runner"
    assert services()["scheduler"]["command"] == ["serve", "scheduler"]
    for name, service in services().items():
        image = service.get("image", "")
        if built.get(name):
            assert (DOCKER_DIR / f"{built[name]}.Dockerfile").is_file()
            assert image.endswith(f"/{built[name]}:local"), f"{name}: image {image}"
        else:
            repo, _, tag = image.rpartition(":")
            assert repo and re.match(r"v?\d+\.\d+\.\d+", tag), f"{name}: {image} is not pinned"
        for dependency in service.get("depends_on") or {}:
            assert dependency in services()


def test_compose_commands_are_real_commands():
    for name, service in services().items():
        if image_of(service) != "dbt-runner" or "command" not in service:
            continue
        done = subprocess.run(
            [str(VENV_BIN / "analytics"), *service["command"], "--help"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{name}: {done.stderr}"


def test_every_compose_variable_is_a_settings_field():
    names = settings_env_names()
    seen = set()
    for name, service in services().items():
        for variable in environment_of(service):
            assert variable in names, f"{name}: {variable} is not read by any settings class"
            seen.add(variable)
    assert {"S3_REPORTS_BUCKET", "AWS_ENDPOINT_URL", "REPORT_SERVICE_URL"} <= seen


def test_compose_holds_no_secret():
    for name, service in services().items():
        for variable, value in environment_of(service).items():
            if SECRET_NAME.search(variable):
                assert value in (None, ""), f"{name}: {variable} has a value in the file"
    text = COMPOSE_FILE.read_text()
    assert not re.search(r"AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY", text)
    for name, secret in compose().get("secrets", {}).items():
        assert set(secret) == {"file"}, f"secret {name} comes from a file"
        default = re.fullmatch(r"\$\{\w+:-(.+)\}", secret["file"])
        path = COMPOSE_FILE.parent / (default.group(1) if default else secret["file"])
        assert path.is_file()
        relative = path.resolve().relative_to(PROJECT_ROOT).as_posix()
        assert DockerIgnore.read(DOCKERIGNORE).excluded(relative)
        # The default is a placeholder for the stand-in, not a key.
        assert not re.search(r"AKIA|ASIA|[A-Za-z0-9/+]{40}", path.read_text())


def test_only_the_proxy_publishes_ports_on_loopback():
    for name, service in services().items():
        if name == "proxy":
            ports = service["ports"]
            assert ports and all(str(p).startswith("127.0.0.1:") for p in ports)
        else:
            assert "ports" not in service, f"{name} publishes ports"


def test_containers_are_non_root_and_read_only():
    for name, service in services().items():
        assert service.get("read_only") is True, name
        assert "ALL" in service.get("cap_drop", []), name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        user = str(service.get("user", ""))
        assert re.fullmatch(r"\d+:\d+", user) and not user.startswith("0:"), name
        built = image_of(service)
        if built:
            final = load(built).final
            image_user = final.last("USER")
            assert image_user is not None and image_user.args == user, name


def test_shared_home_volume_and_mount_targets_match_the_images():
    for name, service in services().items():
        built = image_of(service)
        if not built:
            continue
        final = load(built).final
        env = final.env()
        mounts = [str(v).split(":") for v in service.get("volumes", [])]
        if name in ("report-service", "ui", "scheduler", "dbt-runner"):
            assert [m[1] for m in mounts] == [env["ANALYTICS_HOME"]], name
        assert all(m[1] == env["ANALYTICS_HOME"] for m in mounts), name
        assert all(m[0] in compose()["volumes"] for m in mounts)
        for secret in service.get("secrets", []):
            assert secret["source"] in compose()["secrets"]
            # boto3 reads ~/.aws/credentials: HOME of the image.
            assert secret["target"] == f"{env['HOME']}/.aws/credentials"


def proxy_flags() -> dict[str, str]:
    """The proxy's command line as ``{option: value}`` (Traefik's option names
    are case-insensitive: lower-cased)."""
    command = services()["proxy"]["command"]
    return dict(str(arg).lstrip("-").lower().partition("=")[::2] for arg in command)


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """``(source, target)`` of every mount, short (``a:b[:ro]``) or long syntax."""
    mounts = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            mounts.append((str(volume.get("source", "")), str(volume.get("target", ""))))
        else:
            source, _, rest = str(volume).partition(":")
            mounts.append((source, rest.split(":")[0]))
    return mounts


def proxy_routes() -> tuple[Path, dict[str, Any]]:
    """The file provider's dynamic configuration, found through the proxy's
    own flag and mount (so the file tested is the file the proxy reads)."""
    flags = proxy_flags()
    inside = PurePosixPath(flags["providers.file.filename"])
    for source, target in bind_mounts(services()["proxy"]):
        if inside.is_relative_to(target):
            path = COMPOSE_FILE.parent / source / inside.relative_to(target)
            assert path.is_file(), f"{inside} is mounted from {path}, which is missing"
            data: dict[str, Any] = yaml.safe_load(path.read_text())
            return path, data
    raise AssertionError(f"the proxy reads {inside}, which no mount provides")


def test_no_service_reaches_the_docker_api():
    """A Docker socket, even mounted ``:ro``, is the whole Docker API (root on
    the host): no service mounts it, and the proxy finds its routes in a file."""
    for name, service in services().items():
        for source, target in bind_mounts(service):
            assert "docker.sock" not in source + target, f"{name} mounts {source}"
            assert not source.startswith("/var/run") and not source.startswith("/run"), name
        assert not service.get("privileged"), name
        assert not any("traefik." in str(k) for k in service.get("labels") or {}), (
            f"{name}: traefik labels, but the proxy reads no labels"
        )
    flags = proxy_flags()
    assert not any(k.startswith("providers.") and "docker" in k for k in flags), flags
    assert not any(k.startswith("providers.") and "swarm" in k for k in flags), flags
    assert "providers.file.filename" in flags
    # The route file is mounted read-only.
    proxy = services()["proxy"]
    assert all(str(v).endswith(":ro") for v in proxy["volumes"]), proxy["volumes"]


def test_proxy_routes_reach_the_ports_the_apps_listen_on():
    proxy = services()["proxy"]
    flags = proxy_flags()
    entrypoints = {k.split(".")[1] for k in flags if re.fullmatch(r"entrypoints\.\w+\.address", k)}
    [network] = proxy["networks"]
    _, routes = proxy_routes()
    assert set(routes) == {"http"}, "HTTP routes only"
    routers, backends = routes["http"]["routers"], routes["http"]["services"]
    assert {r["service"] for r in routers.values()} == set(backends), "every service is routed"
    for name, router in routers.items():
        assert set(router["entryPoints"]) <= entrypoints and router["entryPoints"], name
        assert re.fullmatch(r"Host\(`[\w.-]+`\)( \|\| Host\(`[\w.-]+`\))*", router["rule"]), name
    routed = {}
    hosts_of: dict[str, list[str]] = {}
    for name, backend in backends.items():
        [server] = backend["loadBalancer"]["servers"]
        url = httpx.URL(server["url"])
        assert url.scheme == "http" and url.path in ("", "/"), name
        # A compose service on the proxy's network, and the port its app listens on.
        assert url.host in services(), f"{name}: {url.host} is not a compose service"
        target = services()[url.host]
        assert network in target["networks"], name
        routed[image_of(target)] = url.port
        for router in routers.values():
            if router["service"] == name:
                hosts_of.setdefault(url.host, []).extend(re.findall(r"`([\w.-]+)`", router["rule"]))
    assert routed == {image: default_port(cls) for image, cls in SERVERS.items()}
    hosts = [host for names in hosts_of.values() for host in names]
    assert len(hosts) == len(set(hosts)), "a host routed twice"
    # The report service's public address is the host routed to it.
    public = environment_of(services()["report-service"])["REPORT_SERVICE_PUBLIC_BASE_URL"]
    assert public is not None and httpx.URL(public).host in hosts_of["report-service"]
    # The proxy's own check asks the entry point that serves /ping.
    check = [str(a).lower() for a in proxy["healthcheck"]["test"]]
    assert f"--ping.entrypoint={flags['ping.entrypoint']}" in check
    entry = flags["ping.entrypoint"]
    assert f"--entrypoints.{entry}.address={flags[f'entrypoints.{entry}.address']}" in check
    published = {str(p).rsplit(":", 1)[-1] for p in proxy["ports"]}
    assert {flags[f"entrypoints.{e}.address"].lstrip(":") for e in entrypoints} == published
    # The report service's links name its public address through the proxy.
    public = environment_of(services()["report-service"])["REPORT_SERVICE_PUBLIC_BASE_URL"]
    assert public is not None and public.endswith(":" + proxy["ports"][0].rsplit(":", 1)[-1])
    # Services reach each other on the apps' own ports.
    for variable in ("REPORT_SERVICE_URL",):
        for service in services().values():
            value = environment_of(service).get(variable)
            if value:
                assert value == f"http://report-service:{default_port(ReportServiceSettings)}"


def test_healthy_dependencies_have_healthchecks():
    for name, service in services().items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            if condition.get("condition") != "service_healthy":
                continue
            other = services()[dependency]
            built = image_of(other)
            if "healthcheck" in other:
                assert not other["healthcheck"].get("disable"), f"{name} -> {dependency}"
            else:
                assert built, f"{name} waits for {dependency}, which has no health check"
                instruction = load(built).final.last("HEALTHCHECK")
                assert instruction is not None and healthcheck(instruction)[1], dependency


@pytest.fixture
def moto_server(tmp_path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto did not start"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow  # processes, emulators or dbt: over 15 s in the fast lane
def test_s3_init_creates_the_bucket_the_report_service_uses(tmp_path, moto_server):
    """The s3-init command as compose runs it (its environment, the credentials
    secret at ~/.aws/credentials), against a real moto; twice, as every `up` does."""
    service = services()["s3-init"]
    box = ImageOnThisMachine(image_of(service) or "", tmp_path)
    secret_file = COMPOSE_FILE.parent / "moto.credentials"
    [secret] = service["secrets"]
    target = Path(box.path(secret["target"]))
    target.parent.mkdir(parents=True)
    shutil.copy(secret_file, target)
    env = box.environment(**{k: v or "" for k, v in environment_of(service).items()})
    env["AWS_ENDPOINT_URL"] = moto_server  # the s3 service, on this machine
    argv = [box.path(part) for part in service["entrypoint"]]
    for _ in range(2):
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]
    bucket = environment_of(services()["report-service"])["S3_REPORTS_BUCKET"]
    assert f"bucket {bucket} ready" in done.stdout
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    assert bucket in [b["Name"] for b in client.list_buckets()["Buckets"]]
