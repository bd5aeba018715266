"""Reading the Terraform of ``infra/terraform`` in tests.

- :func:`load_tf`: every ``.tf`` file of a folder parsed with python-hcl2 and
  merged by top-level key (``resource``, ``module``, ``variable``, ...), with
  :func:`named` and :func:`resources` to reach blocks by label and
  :func:`text` to read a literal string without HCL's quotes.
- :class:`Console`: ``terraform console`` on a copy of the provider-free files
  of a root module (variables, locals), which evaluates HCL expressions with
  Terraform's own functions and checks variable validations. References to
  resources, data sources and modules cannot be evaluated without providers:
  :func:`hcl_expression` turns them into the string ``"<module.x.y>"``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import hcl2

from analytics_core.settings import PROJECT_ROOT

TERRAFORM = shutil.which("terraform") or "/usr/local/bin/terraform"

#: References a console without providers cannot evaluate.
_UNKNOWN_REF = re.compile(
    r"\b(?:module|data|terraform_data|aws_[a-z0-9_]+)\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?"
    r"(?:\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?)*"
)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def load_tf(folder: Path) -> dict[str, list[Any]]:
    """Every ``.tf`` file directly in ``folder``, merged by top-level key."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(folder.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            parsed = hcl2.load(handle)
        for key, value in parsed.items():
            merged.setdefault(key, []).extend(value if isinstance(value, list) else [value])
    return merged


def text(value: Any) -> Any:
    """A literal HCL string without its quotes; anything else unchanged."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def named(doc: Mapping[str, list[Any]], kind: str) -> dict[str, Any]:
    """``module``/``variable``/``output`` blocks by label."""
    found: dict[str, Any] = {}
    for block in doc.get(kind, []):
        for label, body in block.items():
            if not label.startswith("__"):
                found[text(label)] = body
    return found


def resources(doc: Mapping[str, list[Any]], kind: str = "resource") -> dict[str, dict[str, Any]]:
    """``resource`` (or ``data``) blocks: type -> name -> body."""
    found: dict[str, dict[str, Any]] = {}
    for block in doc.get(kind, []):
        for rtype, by_name in block.items():
            if rtype.startswith("__"):
                continue
            for name, body in by_name.items():
                if not name.startswith("__"):
                    found.setdefault(text(rtype), {})[text(name)] = body
    return found


def locals_of(doc: Mapping[str, list[Any]]) -> dict[str, Any]:
    """Every local of the folder: name -> raw hcl2 value."""
    merged: dict[str, Any] = {}
    for block in doc.get("locals", []):
        merged.update({k: v for k, v in block.items() if not k.startswith("__")})
    return merged


def hcl_expression(value: Any) -> str:
    """An hcl2 value written back as an HCL expression, unknown references as strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl_expression(item) for item in value) + "]"
    if isinstance(value, dict):
        items = [
            f"{json.dumps(text(k))} = {hcl_expression(v)}"
            for k, v in value.items()
            if not str(k).startswith("__")
        ]
        return "{" + ", ".join(items) + "}"
    if value is None:
        return "null"
    source = str(value)
    if source.startswith("${") and source.endswith("}") and _single_interpolation(source):
        source = source[2:-1]
    return _UNKNOWN_REF.sub(lambda m: json.dumps(f"<{m.group(0)}>"), source)


def _single_interpolation(source: str) -> bool:
    """True when ``source`` is one ``${...}`` from start to end (braces balanced)."""
    depth = 0
    for index, char in enumerate(source):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0 and index != len(source) - 1:
                return False
    return True


class ConsoleError(RuntimeError):
    """``terraform console`` refused the configuration or an expression."""


class Console:
    """``terraform console`` over copies of ``files`` of a root module.

    The copy keeps the module's place in the repository (``root/<module dir>``)
    and copies ``data_files`` beside it, so ``file("${path.module}/../...")``
    still resolves.
    """

    def __init__(
        self,
        workdir: Path,
        module_dir: Path,
        files: Iterable[str],
        data_files: Mapping[str, str] | None = None,
    ) -> None:
        relative = module_dir.resolve().relative_to(PROJECT_ROOT)
        self.dir = workdir / relative
        self.dir.mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copy(module_dir / name, self.dir / name)
        for target, content in (data_files or {}).items():
            path = workdir / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        self.workdir = workdir
        (workdir / "terraformrc").write_text("", encoding="utf-8")

    def evaluate(
        self,
        expressions: Sequence[str],
        var_file: Path | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> list[Any]:
        """The JSON value of each expression (piped, the console prints only the
        last line's value: all of them go in one list on one line)."""
        args = [TERRAFORM, "console"]
        if var_file is not None:
            args.append(f"-var-file={var_file}")
        for name, value in (variables or {}).items():
            args.append(f"-var={name}={value}")
        script = "jsonencode([" + ", ".join(e.replace("\n", " ") for e in expressions) + "])\n"
        env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(self.workdir / "terraformrc"),
            "TF_IN_AUTOMATION": "1",
            "NO_COLOR": "1",
            "CHECKPOINT_DISABLE": "1",
        }
        proc = subprocess.run(
            args, input=script, cwd=self.dir, env=env, capture_output=True, text=True, timeout=120
        )
        # The console reports refused variables on stderr yet exits 0.
        if proc.returncode != 0 or "Error:" in _ANSI.sub("", proc.stderr):
            raise ConsoleError(_ANSI.sub("", proc.stderr + proc.stdout))
        values = json.loads(json.loads(proc.stdout.strip().splitlines()[-1]))
        if not isinstance(values, list) or len(values) != len(expressions):
            raise ConsoleError(f"expected {len(expressions)} results, got: {proc.stdout}")
        return values


def terraform(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run terraform (no CLI configuration file, no colour)."""
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": os.devnull,
        "NO_COLOR": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    return subprocess.run(
        [TERRAFORM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
