"""One dbt process for a whole build: ``python -m orchestration.dbt_session SPEC``.

Every ``dbt`` command line pays for Python, dbt's imports and loading the
project before it does any work (8-11 s each here). A build runs several
commands (source freshness, build, docs generate), so this driver runs them
in *one* process with dbt's programmatic runner (``dbtRunner``): it parses
the project once (``dbt parse``, partial parsing as usual) and hands that
manifest to every command.

It stays a separate process on purpose: dbt keeps global state (flags,
adapters, the event manager), a crash or a hung adapter must not take the
``analytics`` process with it, and Ctrl-C reaches it like any child.

Protocol (read by :func:`orchestration.dbt_runner.run_dbt_session`): SPEC is
one JSON argument::

    {"common": [flags every command gets: --project-dir, --target, ...],
     "target_path": "<dbt target folder>",
     "commands": [{"name": "build", "args": ["build", ...], "required": true,
                   "save": {"run_results.json": "<file to copy it to>"}}, ...]}

stdout carries dbt's JSON events unchanged, with a line
``{"analytics_session": {"event": "start"|"end", "command": NAME, ...}}``
around each command (``parse`` first); an ``end`` line has the command's
``returncode``: 0 success, 1 nodes failed (or a source is late), 2 dbt
stopped with an error, 130 interrupted. A failed parse, a failed required
command or an interrupt ends the session with that step's code (0 when
every step ran). The spec holds options and paths only: credentials reach
dbt through the environment, as with the ``dbt`` command line.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: The key of the driver's own lines on stdout.
MARKER = "analytics_session"
#: The name of the parse step (not a command the caller asks for).
PARSE = "parse"
INTERRUPTED = 130


def emit(event: str, command: str, **extra: Any) -> None:
    line = json.dumps({MARKER: {"event": event, "command": command, **extra}})
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def returncode(result: Any) -> int:
    """The exit code the ``dbt`` command line would have given."""
    if result.success:
        return 0
    if isinstance(result.exception, KeyboardInterrupt):
        return INTERRUPTED
    return 2 if result.exception is not None else 1


def invoke(runner: Any, args: list[str]) -> Any:
    """``runner.invoke(args)``, with ``sys.argv`` as the ``dbt`` command line would
    have it: dbt records ``dbt <argv>`` as the invocation's command (the
    run-results hook keeps it in ``monitoring``), not this driver's spec."""
    saved = sys.argv
    sys.argv = ["dbt", *args]
    try:
        return runner.invoke(args)
    finally:
        sys.argv = saved


def run(spec: dict[str, Any]) -> int:
    common = [str(arg) for arg in spec["common"]]
    target_path = Path(spec["target_path"])
    # Imported here, once: this is the start-up cost the driver exists to pay once.
    from dbt.cli.main import dbtRunner

    emit("start", PARSE)
    parsed = invoke(dbtRunner(), [PARSE, *common])
    code = returncode(parsed)
    emit("end", PARSE, returncode=code)
    if code != 0:
        return code
    runner = dbtRunner(manifest=parsed.result)  # parse returns the Manifest
    for command in spec["commands"]:
        name = str(command["name"])
        emit("start", name)
        result = invoke(runner, [*(str(a) for a in command["args"]), *common])
        code = returncode(result)
        for artifact, destination in (command.get("save") or {}).items():
            source = target_path / artifact
            if source.is_file():
                shutil.copyfile(source, destination)
        emit("end", name, returncode=code)
        if code == INTERRUPTED:
            return code
        if code != 0 and command.get("required", True):
            return code
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write("usage: python -m orchestration.dbt_session SPEC_JSON\n")
        return 2
    try:
        spec = json.loads(args[0])
        return run(spec)
    except KeyboardInterrupt:
        return INTERRUPTED


if __name__ == "__main__":  # pragma: no cover - run as a child process
    sys.exit(main())
