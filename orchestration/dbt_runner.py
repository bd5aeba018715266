"""Run dbt as a subprocess and follow its progress.

A build runs its dbt commands in one child process,
:mod:`orchestration.dbt_session` (:func:`run_dbt_session`): it parses the
project once and runs every command with that manifest. Other callers run
one ``dbt`` command line (:func:`run_dbt`).

dbt writes structured JSON events to stdout (``--log-format json``); we turn
the ``N of M`` node events into progress callbacks and count errors and test
failures. dbt's full, human-readable log goes to ``<log path>/dbt.log``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics_core.errors import AnalyticsError, ConfigurationError
from analytics_core.settings import PROJECT_ROOT, Settings

#: (done, total, description of the node that just finished); ``total`` is 0
#: while dbt has not started on the nodes yet (starting, parsing, hooks).
DbtProgress = Callable[[int, int, str], None]

#: Events before the nodes run, and what to show for them.
_STATUS_EVENTS = {
    "MainReportVersion": "starting dbt",
    "UnableToPartialParse": "parsing the project",
    "PartialParsingEnabled": "parsing the project (partial)",
    "FoundStats": "",  # dbt's own message: "Found 20 models, 107 data tests, ..."
    "LogHookStartLine": "running on-run-start hooks",
    "CatalogWritten": "writing the catalog",
}

PROFILE_EXAMPLE = "profiles.yml.example"

#: Events that report a node that has finished (successfully or not).
_RESULT_EVENTS = frozenset(
    {
        "LogModelResult",
        "LogTestResult",
        "LogSeedResult",
        "LogSnapshotResult",
        "LogFunctionResult",
        "LogNodeNoOpResult",
        "LogFreshnessResult",
        "SkippingDetails",
    }
)


class DbtError(AnalyticsError):
    """dbt could not be started, or a dbt command failed."""


def dbt_executable() -> Path:
    """The ``dbt`` of this virtual environment (never one from ``PATH``)."""
    exe = Path(sys.executable).parent / "dbt"
    if not exe.exists():
        raise DbtError(f"dbt is not installed next to {sys.executable}; run `uv sync`")
    return exe


def profiles_dir(settings: Settings, environ: Mapping[str, str] | None = None) -> Path:
    """The dbt profiles directory to use.

    ``DBT_PROFILES_DIR`` if it is set; otherwise the repository's
    ``profiles.yml.example`` (every value in it comes from environment
    variables) copied to ``<dbt dir>/profiles/profiles.yml``.
    """
    environ = os.environ if environ is None else environ
    if environ.get("DBT_PROFILES_DIR"):
        path = Path(environ["DBT_PROFILES_DIR"]).expanduser()
        if not (path / "profiles.yml").is_file():
            raise ConfigurationError(f"DBT_PROFILES_DIR is set but {path}/profiles.yml is missing")
        return path
    example = PROJECT_ROOT / PROFILE_EXAMPLE
    if not example.is_file():
        raise ConfigurationError(f"{example} is missing; set DBT_PROFILES_DIR instead")
    target_dir = settings.dbt_profiles_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    content = example.read_bytes()
    profile = target_dir / "profiles.yml"
    if not profile.is_file() or profile.read_bytes() != content:
        tmp = profile.with_suffix(".yml.tmp")
        tmp.write_bytes(content)
        os.replace(tmp, profile)
    return target_dir


def check_project() -> None:
    if not (PROJECT_ROOT / "dbt_project.yml").is_file():
        raise DbtError(f"no dbt project at {PROJECT_ROOT} (dbt_project.yml is missing)")


@dataclass(frozen=True)
class DbtInvocation:
    """Where and how to run dbt; the same for every command of one build."""

    target: str
    profiles_dir: Path
    target_path: Path
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    project_dir: Path = PROJECT_ROOT
    #: The working directory of the dbt process (default: the project).
    cwd: Path | None = None

    @property
    def log_file(self) -> Path:
        return self.log_path / "dbt.log"

    def command_line(self, command: Sequence[str]) -> list[str]:
        return [str(dbt_executable()), *command, *self.flags()]

    def flags(self) -> list[str]:
        """The options every command of the invocation gets (after the command)."""
        return [
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.profiles_dir),
            "--target",
            self.target,
            "--target-path",
            str(self.target_path),
            "--log-path",
            str(self.log_path),
            "--log-format",
            "json",
            "--log-format-file",
            "text",
            "--no-use-colors",
            "--no-use-colors-file",
            "--no-send-anonymous-usage-stats",
            "--no-version-check",
        ]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
        env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        env["PYTHONUNBUFFERED"] = "1"
        return env


@dataclass
class DbtResult:
    """What one dbt command did."""

    command: str
    returncode: int
    log_file: Path
    errors: int = 0
    test_failures: int = 0
    warnings: int = 0
    skipped: int = 0
    #: Nodes (models, tests, seeds, snapshots) that ran or were skipped.
    nodes: int = 0
    #: e.g. ``model stg_shop__orders``: the first node that failed.
    first_failure: str | None = None
    #: dbt's top-level error (compilation, hook, connection ...), one line.
    fatal_error: str | None = None
    #: The first error message dbt printed for a failed node, one line.
    first_error_message: str | None = None
    #: Lines on stdout/stderr that were not dbt events (tracebacks, warnings).
    other_output: list[str] = field(default_factory=list)
    #: False when the command never started (the session stopped before it:
    #: the project did not parse, an earlier command failed, dbt crashed); the
    #: other fields then describe what stopped it.
    ran: bool = True

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure_message(self) -> str:
        """One line that says what went wrong and where the full log is."""
        what = f"dbt {self.command} failed"
        counts = [
            _plural(self.errors, "error"),
            _plural(self.test_failures, "test failure"),
        ]
        counted = ", ".join(c for c in counts if c)
        if counted:
            first = self.first_failure
            if first and self.first_error_message:
                first = f"{first}: {_shorten(self.first_error_message)}"
            detail = f" ({counted}; first: {first})" if first else f" ({counted})"
        elif self.fatal_error:
            detail = f": {self.fatal_error}"
        elif self.first_error_message:
            detail = f": {self.first_error_message}"
        elif self.other_output:
            detail = f": {self.other_output[-1]}"
        else:
            detail = f" (exit code {self.returncode})"
        return f"{what}{detail} — see {self.log_file}"


def _shorten(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plural(n: int, noun: str) -> str:
    if n == 0:
        return ""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def one_line(text: str) -> str:
    """Collapse a multi-line dbt message into one line.

    Drops the ``> in macro ...`` call-stack lines and joins the rest.
    """
    lines = [line.strip() for line in text.splitlines()]
    kept = [
        line
        for line in lines
        if line and not line.startswith(">") and line != "Encountered an error:"
    ]
    return ": ".join(kept)


class DbtEventReader:
    """Folds dbt's JSON events into a :class:`DbtResult` and progress calls."""

    def __init__(self, result: DbtResult, on_progress: DbtProgress | None = None) -> None:
        self.result = result
        self.on_progress = on_progress
        self.done = 0
        self._other: deque[str] = deque(maxlen=20)

    def feed(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            event = json.loads(line)
            info = event["info"]
            name = str(info["name"])
        except (ValueError, KeyError, TypeError):
            self._other.append(line)
            return
        data = event.get("data") or {}
        self._handle(name, info, data)

    def finish(self) -> DbtResult:
        self.result.other_output = list(self._other)
        self.result.nodes = self.done
        return self.result

    def _handle(self, name: str, info: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        result = self.result
        if name in _RESULT_EVENTS:
            status = str(data.get("status", "")).lower()
            if name == "SkippingDetails":
                result.skipped += 1
            elif status == "fail":
                result.test_failures += 1
            elif status == "error":
                result.errors += 1
            elif status == "warn":
                result.warnings += 1
            total = data.get("total") or data.get("num_models")
            if isinstance(total, int):
                self.done += 1
                if self.on_progress is not None:
                    self.on_progress(min(self.done, total), total, _node_description(info, data))
        elif name in _STATUS_EVENTS and self.on_progress is not None and not self.done:
            status = _STATUS_EVENTS[name] or str(info.get("msg", ""))
            self.on_progress(self.done, 0, status)
        elif name == "LogStartLine":
            total = data.get("total")
            if isinstance(total, int) and self.on_progress is not None:
                self.on_progress(self.done, total, str(data.get("description", "")))
        elif name == "RunResultFailure" and result.first_failure is None:
            result.first_failure = f"{data.get('resource_type', 'node')} {data.get('node_name')}"
        elif name == "RunResultError" and result.first_error_message is None:
            result.first_error_message = _node_error(str(data.get("msg", "")))
        elif name == "MainEncounteredError" and result.fatal_error is None:
            result.fatal_error = one_line(str(data.get("exc") or info.get("msg", "")))
        elif name == "LogHookEndLine" and str(data.get("status", "")).lower() == "error":
            result.errors += 1
            if result.first_failure is None:
                result.first_failure = f"hook {data.get('statement', '')}".strip()


_NODE_ERROR_HEADER = re.compile(r"^(?P<kind>[\w ]*Error) in [\w ]+ \S+ \(.*\)$")


def _node_error(message: str) -> str:
    """``Runtime Error in model m3 (path)`` + detail → ``Runtime Error: detail``.

    The header repeats the node that failed, which the summary names already.
    """
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if len(lines) > 1 and (header := _NODE_ERROR_HEADER.match(lines[0])):
        return f"{header['kind']}: {one_line(chr(10).join(lines[1:]))}"
    return one_line(message)


def _node_description(info: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    description = data.get("description") or data.get("name")
    if description:
        return str(description)
    msg = str(info.get("msg", ""))
    return msg.split("....", 1)[0].strip()


def run_dbt(
    invocation: DbtInvocation,
    command: Sequence[str],
    on_progress: DbtProgress | None = None,
) -> DbtResult:
    """Run ``dbt <command>`` to completion; never raises for a failed build."""
    invocation.log_path.mkdir(parents=True, exist_ok=True)
    invocation.target_path.mkdir(parents=True, exist_ok=True)
    args = invocation.command_line(command)
    result = DbtResult(command=command[0], returncode=-1, log_file=invocation.log_file)
    reader = DbtEventReader(result, on_progress)
    result.returncode = _follow(args, invocation, reader.feed)
    return reader.finish()


def _follow(args: Sequence[str], invocation: DbtInvocation, feed: Callable[[str], None]) -> int:
    """Run ``args`` (dbt, or the dbt session driver) in the project; hand each
    output line to ``feed``; return the exit code. On Ctrl-C (or any error)
    the child, which got the signal too (same process group), gets a moment
    to stop before it is terminated."""
    try:
        process = subprocess.Popen(  # noqa: S603 - our own venv's programs, arguments we built
            list(args),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=invocation.environment(),
            cwd=invocation.cwd or invocation.project_dir,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
    except OSError as exc:
        raise DbtError(f"cannot start dbt: {exc}") from exc
    try:
        if process.stdout is None:  # pragma: no cover - Popen with PIPE always has it
            raise DbtError("dbt's output is not readable")
        for line in process.stdout:
            feed(line)
        return process.wait()
    except BaseException:
        _stop(process)
        raise


def _stop(process: subprocess.Popen[str]) -> None:
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --------------------------------------------------------------------------- one process per build

#: The key of the session driver's own lines (see :mod:`orchestration.dbt_session`).
SESSION_MARKER = "analytics_session"
#: The driver's parse step, before the commands.
SESSION_PARSE = "parse"


@dataclass(frozen=True)
class DbtCommand:
    """One command of a session: ``args`` as after ``dbt`` on a command line."""

    args: tuple[str, ...]
    #: A failure ends the session (the commands after it do not run).
    required: bool = True
    #: Artifacts of the target folder to copy right after this command, before
    #: the next one overwrites them: ``{"run_results.json": Path(...)}``.
    save: Mapping[str, Path] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``build``, ``source freshness``, ``docs generate``: the words before the options."""
        words: list[str] = []
        for arg in self.args:
            if arg.startswith("-"):
                break
            words.append(arg)
        return " ".join(words)


def _session_marker(line: str) -> dict[str, Any] | None:
    if SESSION_MARKER not in line:
        return None
    try:
        marker = json.loads(line)[SESSION_MARKER]
    except (ValueError, KeyError, TypeError):
        return None
    return marker if isinstance(marker, dict) else None


class _SessionReader:
    """Splits the driver's output into one :class:`DbtResult` per command."""

    def __init__(
        self,
        log_file: Path,
        on_progress: DbtProgress | None,
        on_start: Callable[[str], None] | None,
    ) -> None:
        self.log_file = log_file
        self.on_progress = on_progress
        self.on_start = on_start
        self.finished: dict[str, DbtResult] = {}
        # Output before the first marker (interpreter warnings, an import
        # error) belongs to the parse step.
        self._name = SESSION_PARSE
        self._reader: DbtEventReader | None = self._new(SESSION_PARSE)

    def _new(self, name: str) -> DbtEventReader:
        result = DbtResult(command=name, returncode=-1, log_file=self.log_file)
        return DbtEventReader(result, self.on_progress)

    def feed(self, line: str) -> None:
        marker = _session_marker(line)
        if marker is None:
            if self._reader is None:
                self._reader = self._new(self._name)
            self._reader.feed(line)
            return
        name = str(marker.get("command", ""))
        if marker.get("event") == "start":
            self._close(None)
            self._name = name
            self._reader = self._new(name)
            if self.on_start is not None:
                self.on_start(name)
        elif marker.get("event") == "end" and self._reader is not None:
            code = marker.get("returncode")
            self._close(code if isinstance(code, int) else -1)

    def _close(self, returncode: int | None) -> None:
        """Finish the current section (``None``: it ended without its end line)."""
        if self._reader is None:
            return
        result = self._reader.finish()
        if returncode is not None:
            result.returncode = returncode
        if returncode is not None or self._name not in self.finished:
            self.finished[self._name] = result
        self._reader = None

    def results(self, commands: Sequence[DbtCommand], exit_code: int) -> list[DbtResult]:
        """One result per command; a command that never ran gets the reason."""
        if self._reader is not None:
            # The driver died inside a section: that section failed with its exit code.
            result = self._reader.finish()
            result.returncode = exit_code if exit_code != 0 else -1
            self.finished[self._name] = result
            self._reader = None
        cause = self.finished.get(SESSION_PARSE)
        out: list[DbtResult] = []
        for command in commands:
            ran = self.finished.get(command.name)
            if ran is None:
                out.append(_not_run(command.name, cause, exit_code, self.log_file))
            else:
                cause = ran
                out.append(ran)
        return out


def _not_run(name: str, cause: DbtResult | None, exit_code: int, log_file: Path) -> DbtResult:
    """The result of a command the session never started: it carries why."""
    if cause is None or cause.ok:
        return DbtResult(
            command=name,
            returncode=exit_code if exit_code != 0 else -1,
            log_file=log_file,
            ran=False,
        )
    return DbtResult(
        command=name,
        returncode=cause.returncode,
        log_file=log_file,
        fatal_error=cause.fatal_error
        or (cause.failure_message().split(" — see ")[0] if cause.nodes else None),
        first_error_message=cause.first_error_message,
        other_output=list(cause.other_output),
        ran=False,
    )


def session_command_line(invocation: DbtInvocation, commands: Sequence[DbtCommand]) -> list[str]:
    """The driver's command line: this interpreter, ``-m orchestration.dbt_session``, its spec."""
    spec = {
        "common": invocation.flags(),
        "target_path": str(invocation.target_path),
        "commands": [
            {
                "name": command.name,
                "args": list(command.args),
                "required": command.required,
                "save": {name: str(path) for name, path in command.save.items()},
            }
            for command in commands
        ],
    }
    return [sys.executable, "-m", "orchestration.dbt_session", json.dumps(spec)]


def run_dbt_session(
    invocation: DbtInvocation,
    commands: Sequence[DbtCommand],
    on_progress: DbtProgress | None = None,
    on_start: Callable[[str], None] | None = None,
) -> list[DbtResult]:
    """Run ``commands`` in one dbt process (one parse); one result per command.

    ``on_start(name)`` is called when the driver starts a step (``parse``,
    then each command's :attr:`DbtCommand.name`). Never raises for a failed
    command; Ctrl-C stops the driver and re-raises.
    """
    if not commands:
        return []
    dbt_executable()  # dbt must be installed here; say so before starting anything
    invocation.log_path.mkdir(parents=True, exist_ok=True)
    invocation.target_path.mkdir(parents=True, exist_ok=True)
    reader = _SessionReader(invocation.log_file, on_progress, on_start)
    exit_code = _follow(session_command_line(invocation, commands), invocation, reader.feed)
    return reader.results(commands, exit_code)
