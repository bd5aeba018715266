"""The Quickstart's bootstrap (bootstrap.py) on the interpreters newcomers have.

A stock Debian or Ubuntu ``python3`` is externally managed (PEP 668: ``pip
install`` refuses to write to it) and often has no pip at all. The tests make
such an interpreter from the one running them: a copy of its executable in a
folder of its own, with the standard library linked in, an
``EXTERNALLY-MANAGED`` marker and an empty site-packages (pip, or not, linked
in), so it is a "system" Python, not a virtualenv (pip ignores the marker in
a virtualenv). Each test runs the bootstrap in a small project of its own,
with a PATH that has no uv, and checks what ran where; uv comes from the
package index, as it would for a newcomer, or from a package index served by
the test (a real HTTP server) for the hostile cases.
"""

from __future__ import annotations

import hashlib
import http.server
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from analytics_core.settings import PROJECT_ROOT

BOOTSTRAP = PROJECT_ROOT / "bootstrap.py"
EXIT_NO_UV = 3
#: A PATH with the machine's tools but no uv (and no pyenv shims).
BARE_PATH = os.pathsep.join(
    folder
    for folder in ("/usr/local/sbin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
    if Path(folder).is_dir() and not (Path(folder) / "uv").exists()
)


def system_python(folder: Path, *, with_pip: bool) -> Path:
    """An externally managed interpreter that is not a virtualenv, in ``folder``."""
    executable = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    base_paths = sysconfig.get_paths(
        vars={"base": sys.base_prefix, "installed_base": sys.base_prefix}
    )
    stdlib = Path(base_paths["stdlib"])
    site_name = Path(base_paths["purelib"]).name
    bin_dir = folder / "bin"
    lib = folder / "lib" / stdlib.name
    bin_dir.mkdir(parents=True)
    lib.mkdir(parents=True)
    shutil.copy2(executable, bin_dir / "python3")
    for entry in stdlib.iterdir():
        if entry.name not in (site_name, "site-packages", "dist-packages", "EXTERNALLY-MANAGED"):
            (lib / entry.name).symlink_to(entry)
    (lib / "EXTERNALLY-MANAGED").write_text(
        "[externally-managed]\nError=This Python is managed by the system (test marker).\n"
    )
    site = lib / "site-packages"
    site.mkdir()
    if with_pip:
        (site / "pip").symlink_to(base_pip(Path(base_paths["purelib"])))
    python = bin_dir / "python3"
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, sysconfig; "
            "print(sys.prefix == sys.base_prefix, sysconfig.get_path('stdlib'))",
        ],
        capture_output=True,
        text=True,
        env=bare_env(folder),
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split()[0] == "True", "the copy must not be a virtualenv"
    assert (Path(probe.stdout.split()[1]) / "EXTERNALLY-MANAGED").is_file()
    return python


def base_pip(purelib: Path) -> Path:
    """pip's package from the interpreter under the tests' virtualenv (uv's
    virtualenvs have none), or the system's."""
    for folder in (purelib, Path("/usr/lib/python3/dist-packages")):
        if (folder / "pip" / "__init__.py").is_file():
            return folder / "pip"
    raise AssertionError(f"no pip to link into the test interpreter (looked in {purelib})")


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    """A newcomer's environment: no uv on PATH, no virtualenv, no pip settings of ours."""
    env = {"HOME": str(home), "PATH": BARE_PATH, "LANG": "C.UTF-8"}
    for name in ("PIP_FIND_LINKS", "PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(extra)
    return env


def small_project(folder: Path) -> Path:
    """A project beside a copy of bootstrap.py, with no dependencies (uv's sync is instant)."""
    folder.mkdir(parents=True)
    shutil.copy2(BOOTSTRAP, folder / "bootstrap.py")
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "probe"\nversion = "0.1.0"\n'
        'requires-python = ">=3.11"\ndependencies = []\n'
    )
    return folder


def bootstrap(
    python: Path, project: Path, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), str(project / "bootstrap.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        timeout=600,
        check=False,
    )


PRINT_PREFIX = ["python", "-c", "import sys; print('prefix=' + sys.prefix)"]


@pytest.fixture(scope="module")
def bootstrapped(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path | subprocess.CompletedProcess[str]]:
    """The bootstrap run once on an externally managed Python that has pip."""
    root = tmp_path_factory.mktemp("pep668")
    python = system_python(root / "python", with_pip=True)
    project = small_project(root / "project")
    env = bare_env(root / "home")
    refused = subprocess.run(
        [str(python), "-m", "pip", "install", "uv"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    first = bootstrap(python, project, *PRINT_PREFIX, env=env)
    return {"root": root, "python": python, "project": project, "refused": refused, "first": first}


def test_plain_pip_install_is_refused_on_the_interpreter_the_tests_make(bootstrapped):
    refused = bootstrapped["refused"]
    assert refused.returncode != 0
    assert "externally-managed-environment" in refused.stdout + refused.stderr


def test_the_bootstrap_gets_uv_beside_the_project_and_runs_the_command_in_its_venv(bootstrapped):
    first, project, python = bootstrapped["first"], bootstrapped["project"], bootstrapped["python"]
    assert first.returncode == 0, first.stderr
    assert f"prefix={project / '.venv'}" in first.stdout
    assert "with pip" in first.stderr and "is ready" in first.stderr
    assert (project / ".tools" / "uv" / "bin" / "uv").is_file()
    # Nothing went into the system's Python.
    site = next((python.parent.parent / "lib").iterdir()) / "site-packages"
    assert sorted(entry.name for entry in site.iterdir()) == ["pip"]


def test_a_second_run_uses_the_uv_it_installed(bootstrapped):
    again = bootstrap(
        bootstrapped["python"],
        bootstrapped["project"],
        *PRINT_PREFIX,
        env=bare_env(bootstrapped["root"] / "home"),
    )
    assert again.returncode == 0, again.stderr
    assert "installing" not in again.stderr and "downloading" not in again.stderr
    assert "prefix=" in again.stdout


def test_which_uv_prints_a_command_that_runs_uv(bootstrapped):
    shown = bootstrap(
        bootstrapped["python"],
        bootstrapped["project"],
        "--which-uv",
        env=bare_env(bootstrapped["root"] / "home"),
    )
    assert shown.returncode == 0, shown.stderr
    version = subprocess.run(
        [*shown.stdout.split(), "--version"], capture_output=True, text=True, check=False
    )
    assert re.match(r"uv \d+\.\d+", version.stdout), version


def test_a_machine_with_uv_on_its_path_installs_nothing(bootstrapped, tmp_path):
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "uv").symlink_to(bootstrapped["project"] / ".tools" / "uv" / "bin" / "uv")
    project = small_project(tmp_path / "project")
    env = bare_env(tmp_path / "home", PATH=f"{tools}{os.pathsep}{BARE_PATH}")
    ran = bootstrap(bootstrapped["python"], project, *PRINT_PREFIX, env=env)
    assert ran.returncode == 0, ran.stderr
    assert f"prefix={project / '.venv'}" in ran.stdout
    assert not (project / ".tools").exists()


def test_inside_a_virtualenv_uv_goes_beside_the_project_not_into_the_virtualenv(
    bootstrapped, tmp_path
):
    venv = tmp_path / "venv"
    made = subprocess.run(
        [str(bootstrapped["python"]), "-m", "venv", "--without-pip", str(venv)],
        capture_output=True,
        text=True,
        env=bare_env(tmp_path),
        check=False,
    )
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python3"
    project = small_project(tmp_path / "project")
    env = bare_env(
        tmp_path / "home", VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{BARE_PATH}"
    )
    ran = bootstrap(python, project, *PRINT_PREFIX, env=env)
    assert ran.returncode == 0, ran.stderr
    assert f"prefix={project / '.venv'}" in ran.stdout
    assert (project / ".tools" / "uv" / "bin" / "uv").is_file()
    assert not list(venv.glob("lib/*/site-packages/uv"))


def test_without_pip_the_bootstrap_downloads_uv_from_the_index(tmp_path):
    python = system_python(tmp_path / "python", with_pip=False)
    assert (
        subprocess.run(
            [str(python), "-m", "pip", "--version"],
            capture_output=True,
            env=bare_env(tmp_path),
            check=False,
        ).returncode
        != 0
    )
    project = small_project(tmp_path / "project")
    ran = bootstrap(python, project, *PRINT_PREFIX, env=bare_env(tmp_path / "home"))
    assert ran.returncode == 0, ran.stderr
    assert "has no pip: downloading uv" in ran.stderr
    assert f"prefix={project / '.venv'}" in ran.stdout
    uv = project / ".tools" / "uv" / "bin" / "uv"
    assert os.access(uv, os.X_OK)


# -- hostile and broken package indexes (served here, over real HTTP) --------------


class _Index(http.server.BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, tuple[int, bytes]]] = {}

    def do_GET(self) -> None:
        status, body = self.pages.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def index() -> Iterator[tuple[str, dict[str, tuple[int, bytes]]]]:
    pages: dict[str, tuple[int, bytes]] = {}
    handler = type("Index", (_Index,), {"pages": pages})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple", pages
    finally:
        server.shutdown()
        server.server_close()


def wheel(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _load_bootstrap():
    spec = importlib.util.spec_from_file_location("bootstrap_under_test", BOOTSTRAP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BOOT = _load_bootstrap()
ARCH = BOOT.machine_arch()
#: A wheel name this machine's bootstrap takes (its platform tag from the bootstrap's own rules).
_TAG = BOOT.wheel_tags()[-1]
WHEEL_NAME = f"uv-9.9.9-py3-none-{_TAG}{'' if _TAG.endswith(ARCH) else ARCH}.whl"


def test_the_newest_final_release_for_this_machine_is_chosen():
    tag = WHEEL_NAME.rsplit("-", 1)[-1]
    links = [
        f"../../files/uv-0.9.2-py3-none-{tag}#sha256=aa",
        f"../../files/uv-0.10.1-py3-none-{tag}#sha256=bb",
        f"../../files/uv-0.11.0rc1-py3-none-{tag}#sha256=cc",
        "../../files/uv-0.12.0-py3-none-plan9_mips.whl#sha256=dd",
        "../../files/uv-0.12.0.tar.gz#sha256=ee",
    ]
    assert BOOT.choose_wheel(links, ARCH, BOOT.wheel_tags()) == links[1]


def serve_wheel(pages: dict[str, tuple[int, bytes]], data: bytes, digest: str | None) -> None:
    fragment = f"#sha256={digest}" if digest else ""
    page = f'<html><body><a href="/files/{WHEEL_NAME}{fragment}">{WHEEL_NAME}</a></body></html>'
    pages["/simple/uv/"] = (200, page.encode())
    pages[f"/files/{WHEEL_NAME}"] = (200, data)


@pytest.fixture(scope="module")
def pipless_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return system_python(tmp_path_factory.mktemp("pipless"), with_pip=False)


def test_a_wheel_that_does_not_match_its_checksum_is_refused(pipless_python, index, tmp_path):
    url, pages = index
    data = wheel({"uv-9.9.9.data/scripts/uv": b"#!/bin/sh\necho pwned\n"})
    serve_wheel(pages, data, hashlib.sha256(b"something else").hexdigest())
    project = small_project(tmp_path / "project")
    ran = bootstrap(
        pipless_python, project, *PRINT_PREFIX, env=bare_env(tmp_path, PIP_INDEX_URL=url)
    )
    assert ran.returncode == EXIT_NO_UV
    assert "does not match its SHA-256" in ran.stderr
    assert not (project / ".tools" / "uv" / "bin" / "uv").exists()
    assert "pwned" not in ran.stdout


def test_a_wheel_without_a_checksum_is_not_trusted(pipless_python, index, tmp_path):
    url, pages = index
    serve_wheel(pages, wheel({"uv-9.9.9.data/scripts/uv": b"#!/bin/sh\n"}), None)
    project = small_project(tmp_path / "project")
    ran = bootstrap(
        pipless_python, project, "python", "-V", env=bare_env(tmp_path, PIP_INDEX_URL=url)
    )
    assert ran.returncode == EXIT_NO_UV
    assert "no SHA-256" in ran.stderr


def test_a_wheel_without_the_program_says_so(pipless_python, index, tmp_path):
    url, pages = index
    data = wheel({"uv-9.9.9.dist-info/METADATA": b"Name: uv\n"})
    serve_wheel(pages, data, hashlib.sha256(data).hexdigest())
    project = small_project(tmp_path / "project")
    ran = bootstrap(
        pipless_python, project, "python", "-V", env=bare_env(tmp_path, PIP_INDEX_URL=url)
    )
    assert ran.returncode == EXIT_NO_UV
    assert "has no uv program in it" in ran.stderr


def test_an_index_without_uv_or_without_a_wheel_for_this_machine_says_so(
    pipless_python, index, tmp_path
):
    url, pages = index
    project = small_project(tmp_path / "project")
    missing = bootstrap(
        pipless_python, project, "python", "-V", env=bare_env(tmp_path, PIP_INDEX_URL=url)
    )
    assert missing.returncode == EXIT_NO_UV
    assert "could not read the package index" in missing.stderr
    assert "uv run python -V" in missing.stderr  # what to do instead
    page = (
        '<a href="/files/uv-1.0.0-py3-none-plan9_mips.whl#sha256=00">x</a>'
        '<a href="/files/uv-1.0.0.tar.gz">y</a>'
    )
    pages["/simple/uv/"] = (200, page.encode())
    foreign = bootstrap(
        pipless_python, project, "python", "-V", env=bare_env(tmp_path, PIP_INDEX_URL=url)
    )
    assert foreign.returncode == EXIT_NO_UV
    assert "no uv wheel for this machine" in foreign.stderr


def test_usage_without_a_command():
    ran = subprocess.run(
        [sys.executable, str(BOOTSTRAP)], capture_output=True, text=True, check=False
    )
    assert ran.returncode == 2
    assert "usage: python3 bootstrap.py COMMAND" in ran.stderr
    helped = subprocess.run(
        [sys.executable, str(BOOTSTRAP), "--help"], capture_output=True, text=True, check=False
    )
    assert helped.returncode == 0 and "analytics up" in helped.stdout


# -- the README's Quickstart is these two commands --------------------------------


def quickstart_commands() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines() if line.strip()]


def test_the_quickstart_is_two_bootstrap_commands():
    setup, tests = quickstart_commands()
    assert setup == "python3 bootstrap.py analytics up"
    assert tests.startswith("python3 bootstrap.py pytest")


def test_ci_runs_the_readmes_test_command():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert quickstart_commands()[1] in ci
