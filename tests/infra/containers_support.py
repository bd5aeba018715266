"""What the container tests read: Dockerfiles, ``.dockerignore`` and the settings.

- :func:`parse_dockerfile`: a small Dockerfile parser (directives, comments,
  line continuations, stages, JSON and shell forms, flags) that fails with the
  file, line and reason on anything it does not understand, instead of
  guessing.
- :class:`DockerIgnore`: Docker's ``.dockerignore`` rules (patterns relative
  to the context root, ``*``/``?``/``**``, ``!`` exceptions, the last match
  wins, a pattern that matches a directory excludes what is under it).
- :func:`settings_env_names`: every environment variable the settings
  classes read, validation aliases included.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pydantic import AliasChoices, AliasPath
from pydantic_settings import BaseSettings

from analytics_core import settings as settings_module

KEYWORDS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)

#: Names that say "this holds a secret"; such an ENV or ARG must never have a value.
SECRET_NAME = re.compile(
    r"(KEY|SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|CREDENTIAL|PRIVATE|AUTH)", re.IGNORECASE
)

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(\S*)\s*$")
_FLAG = re.compile(r"^--([a-z][a-z0-9-]*)(?:=(\S*))?(?:\s+|$)")
_HEREDOC = re.compile(r"<<-?\s*[\"']?[A-Za-z_][A-Za-z0-9_]*[\"']?")


class DockerfileError(ValueError):
    """The file is not a Dockerfile this parser understands; says where and why."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Instruction:
    keyword: str
    #: Everything after the keyword, continuation lines joined with a space.
    value: str
    #: The line the instruction starts on (1-based).
    line: int
    #: Leading ``--name=value`` options (``--from``, ``--chown``, ``--mount``, ...).
    flags: dict[str, str] = field(default_factory=dict)
    #: ``value`` without the flags.
    args: str = ""

    @property
    def exec_form(self) -> list[str] | None:
        """The arguments as a JSON array of strings (exec form), else None.

        Like Docker: text that starts with ``[`` but is not such an array is
        shell form."""
        return _json_array(self.args)


@dataclass
class Stage:
    index: int
    base: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """ENV values of this stage, in order (later ones win)."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            values.update(key_values(instruction))
        return values

    def args(self) -> dict[str, str | None]:
        values: dict[str, str | None] = {}
        for instruction in self.all("ARG"):
            values.update(arg_values(instruction))
        return values

    def workdir_at(self, instruction: Instruction) -> str:
        """The working directory in force at ``instruction`` ("/" by default)."""
        current = "/"
        for other in self.instructions:
            if other is instruction:
                break
            if other.keyword == "WORKDIR":
                current = str(PurePosixPath(current) / other.args.strip())
        return current


@dataclass
class Dockerfile:
    path: str
    directives: dict[str, str]
    #: ARGs before the first FROM.
    global_args: list[Instruction]
    stages: list[Stage]
    #: ``(line, text)`` of every comment (directives excluded).
    comments: list[tuple[int, str]]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, name: str) -> Stage | None:
        for stage in self.stages:
            if stage.name == name:
                return stage
        return None

    def instructions(self) -> Iterable[tuple[Stage | None, Instruction]]:
        for instruction in self.global_args:
            yield None, instruction
        for stage in self.stages:
            for instruction in stage.instructions:
                yield stage, instruction


def _json_array(text: str) -> list[str] | None:
    text = text.strip()
    if not text.startswith("["):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
        return parsed
    return None


def split_flags(text: str) -> tuple[dict[str, str], str]:
    """Leading ``--name[=value]`` options and the rest of ``text``."""
    flags: dict[str, str] = {}
    rest = text.strip()
    while match := _FLAG.match(rest):
        flags[match.group(1)] = match.group(2) if match.group(2) is not None else ""
        rest = rest[match.end() :]
    return flags, rest


def _words(instruction: Instruction, path: str) -> list[str]:
    try:
        return shlex.split(instruction.args, posix=True)
    except ValueError as exc:
        raise DockerfileError(path, instruction.line, f"{instruction.keyword}: {exc}") from None


def key_values(instruction: Instruction, path: str = "Dockerfile") -> dict[str, str]:
    """``ENV``/``LABEL`` pairs: ``k=v k2="v 2"``, or the old ``ENV k some value``."""
    words = _words(instruction, path)
    if not words:
        raise DockerfileError(path, instruction.line, f"{instruction.keyword} has no values")
    if "=" not in words[0]:
        if instruction.keyword != "ENV" or len(words) < 2:
            raise DockerfileError(
                path, instruction.line, f"{instruction.keyword}: expected NAME=VALUE"
            )
        return {words[0]: " ".join(words[1:])}
    pairs: dict[str, str] = {}
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or not name:
            raise DockerfileError(
                path, instruction.line, f"{instruction.keyword}: {word!r} is not NAME=VALUE"
            )
        pairs[name] = value
    return pairs


def arg_values(instruction: Instruction, path: str = "Dockerfile") -> dict[str, str | None]:
    """``ARG NAME`` (no default: None) or ``ARG NAME=default``."""
    values: dict[str, str | None] = {}
    for word in _words(instruction, path):
        name, sep, value = word.partition("=")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise DockerfileError(path, instruction.line, f"ARG: {word!r} is not a valid name")
        values[name] = value if sep else None
    return values


def _logical_lines(
    text: str, path: str, escape: str
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """``(line, text)`` of each instruction (continuations joined) and of each comment."""
    logical: list[tuple[int, str]] = []
    comments: list[tuple[int, str]] = []
    start: int | None = None
    parts: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            comments.append((number, stripped))
            continue
        if not stripped:
            continue  # also inside a continuation, as Docker allows
        if start is None:
            start = number
        body = raw.rstrip()
        if body.endswith(escape):
            parts.append(body[: -len(escape)].strip())
            continue
        parts.append(body.strip())
        logical.append((start, " ".join(p for p in parts if p)))
        start, parts = None, []
    if start is not None:
        raise DockerfileError(path, start, "the file ends inside a line continuation")
    return logical, comments


def parse_dockerfile_text(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse a Dockerfile; :class:`DockerfileError` on anything malformed."""
    if "\x00" in text:
        raise DockerfileError(path, None, "not a text file (it contains NUL bytes)")
    lines = text.splitlines()
    directives: dict[str, str] = {}
    for raw in lines:
        match = _DIRECTIVE.match(raw.strip())
        if not match:
            break
        directives[match.group(1).lower()] = match.group(2)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DockerfileError(path, None, f"escape directive must be \\ or `, not {escape!r}")
    logical, comments = _logical_lines(text, path, escape)
    comments = [(n, c) for n, c in comments if not (n <= len(directives) and _DIRECTIVE.match(c))]
    global_args: list[Instruction] = []
    stages: list[Stage] = []
    names: set[str] = set()
    for number, content in logical:
        keyword, _, value = content.partition(" ")
        upper = keyword.upper()
        if upper not in KEYWORDS:
            raise DockerfileError(path, number, f"unknown instruction {keyword[:40]!r}")
        value = value.strip()
        if not value:
            raise DockerfileError(path, number, f"{upper} needs arguments")
        flags, args = split_flags(value)
        if upper in ("RUN", "COPY", "ADD") and _HEREDOC.search(args) and not _json_array(args):
            raise DockerfileError(path, number, f"{upper} with a heredoc is not supported")
        instruction = Instruction(upper, value, number, flags, args)
        if upper == "FROM":
            words = args.split()
            if len(words) == 1:
                base, name = words[0], None
            elif len(words) == 3 and words[1].upper() == "AS":
                base, name = words[0], words[2].lower()
                if not re.fullmatch(r"[a-z][a-z0-9_.-]*", name):
                    raise DockerfileError(path, number, f"invalid stage name {words[2]!r}")
                if name in names:
                    raise DockerfileError(path, number, f"stage name {name!r} is used twice")
                names.add(name)
            else:
                raise DockerfileError(path, number, "FROM expects IMAGE [AS NAME]")
            stages.append(Stage(len(stages), base, name, number, [instruction]))
            continue
        if not stages:
            if upper != "ARG":
                raise DockerfileError(path, number, f"{upper} before the first FROM")
            global_args.append(instruction)
            continue
        stages[-1].instructions.append(instruction)
    if not stages:
        raise DockerfileError(path, None, "no FROM instruction: not a Dockerfile")
    # Check the structured instructions now, so errors carry their line.
    for instruction in (i for s in stages for i in s.instructions):
        if instruction.keyword in ("ENV", "LABEL"):
            key_values(instruction, path)
        elif instruction.keyword == "ARG":
            arg_values(instruction, path)
    for instruction in global_args:
        arg_values(instruction, path)
    return Dockerfile(path, directives, global_args, stages, comments)


def parse_dockerfile(path: Path) -> Dockerfile:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise DockerfileError(str(path), None, "not UTF-8 text") from None
    return parse_dockerfile_text(text, str(path))


def healthcheck(instruction: Instruction) -> tuple[dict[str, str], list[str] | None]:
    """A HEALTHCHECK's options and command (None for ``HEALTHCHECK NONE``)."""
    kind, _, command = instruction.args.partition(" ")
    if kind.upper() == "NONE" and not command.strip():
        return instruction.flags, None
    if kind.upper() != "CMD" or not command.strip():
        raise DockerfileError("Dockerfile", instruction.line, "HEALTHCHECK expects NONE or CMD ...")
    exec_form = _json_array(command)
    return instruction.flags, exec_form if exec_form is not None else ["/bin/sh", "-c", command]


def copy_sources(instruction: Instruction) -> tuple[list[str], str]:
    """A COPY/ADD's sources and destination."""
    words = _json_array(instruction.args) or shlex.split(instruction.args)
    if len(words) < 2:
        raise DockerfileError(
            "Dockerfile", instruction.line, f"{instruction.keyword} needs SOURCE... DEST"
        )
    return words[:-1], words[-1]


# --------------------------------------------------------------------------- .dockerignore


class DockerIgnoreError(ValueError):
    """A ``.dockerignore`` pattern Docker would refuse."""


@dataclass(frozen=True)
class _Pattern:
    text: str
    exclusion: bool
    regex: re.Pattern[str]


def _compile(pattern: str, line: int) -> re.Pattern[str]:
    out = ["^"]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1 : i + 2] == "*":
                i += 2
                if pattern[i : i + 1] == "/":
                    i += 1
                out.append(".*" if i >= len(pattern) else "(?:.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                raise DockerIgnoreError(f"line {line}: {pattern!r} has an unclosed '['")
            body = pattern[i + 1 : end]
            if body.startswith("^"):
                body = "!" + body[1:]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end
        elif ch == "\\":
            if i + 1 >= len(pattern):
                raise DockerIgnoreError(f"line {line}: {pattern!r} ends with a lone '\\'")
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return re.compile("".join(out))


class DockerIgnore:
    """The rules of one ``.dockerignore`` file."""

    def __init__(self, text: str) -> None:
        self.patterns: list[_Pattern] = []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            cleaned = str(PurePosixPath("/" + line)).lstrip("/") if line else ""
            if not cleaned or cleaned == ".":
                raise DockerIgnoreError(f"line {number}: {raw.strip()!r} matches nothing")
            self.patterns.append(_Pattern(cleaned, exclusion, _compile(cleaned, number)))

    @classmethod
    def read(cls, path: Path) -> DockerIgnore:
        return cls(path.read_text(encoding="utf-8") if path.is_file() else "")

    def excluded(self, path: str) -> bool:
        """Whether ``path`` (relative to the context, ``/``-separated) is left out."""
        clean = str(PurePosixPath("/" + path)).lstrip("/")
        parts = clean.split("/")
        candidates = [clean] + ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]
        matched = False
        for pattern in self.patterns:
            if any(pattern.regex.match(candidate) for candidate in candidates):
                matched = not pattern.exclusion
        return matched


# --------------------------------------------------------------------------- settings


def settings_classes() -> list[type[BaseSettings]]:
    """Every settings class of ``analytics_core.settings``."""
    return [
        value
        for value in vars(settings_module).values()
        if isinstance(value, type)
        and issubclass(value, BaseSettings)
        and value is not BaseSettings
        and value.__module__ == settings_module.__name__
    ]


def settings_env_names() -> dict[str, str]:
    """Environment variable -> ``Class.field`` for every field the settings read."""
    names: dict[str, str] = {}
    for cls in settings_classes():
        prefix = str(cls.model_config.get("env_prefix", ""))
        for name, info in cls.model_fields.items():
            alias = info.validation_alias
            if isinstance(alias, str):
                envs = [alias]
            elif isinstance(alias, AliasChoices):
                envs = [c for c in alias.choices if isinstance(c, str)]
            elif isinstance(alias, AliasPath):
                envs = [str(alias.path[0])]
            else:
                envs = [prefix + name]
            for env in envs:
                names[env.upper()] = f"{cls.__name__}.{name}"
    return names
