"""The tables of the contract documents, written from their one definition.

The raw tables' columns and types are defined by the generator's schema
(:mod:`orchestration.generator.schema`) and described in the dbt sources
(``dbt_project/models/staging/__sources.yml``); the metrics and dimensions by
the semantic layer (``dbt_project/models/semantic/``). The documents in
``docs/`` and the dbt docs site's overview show them as tables, between
marker comments this module rewrites; everything outside the markers is
prose written by hand.

    uv run python -m orchestration.contract_docs          # rewrite the tables
    uv run python -m orchestration.contract_docs --check  # exit 1 if any is stale

The test suite runs the check, so a metric added to the YAML without
refreshing the documents fails CI with the command that fixes it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML (a dbt dependency) has no stubs here

ROOT = Path(__file__).resolve().parent.parent
SOURCES_YML = Path("dbt_project/models/staging/__sources.yml")
SEMANTIC_DIR = Path("dbt_project/models/semantic")
REFRESH = "uv run python -m orchestration.contract_docs"

_BLOCK = re.compile(
    # An HTML comment (GitHub hides it), or a Markdown link definition
    # "[//]: # (generated: NAME)", which renders as nothing anywhere, for the
    # dbt docs site (it shows HTML comments as text).
    r"(?P<open>(?:<!-- generated: (?P<name>[a-z_]+)[^>]*-->"
    r"|\[//\]: # \(generated: (?P<name2>[a-z_]+)[^)]*\))\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- end generated -->|\[//\]: # \(end generated\))",
    re.DOTALL,
)


class ContractDocsError(Exception):
    """A document names a table this module does not know, or the YAML is not as expected."""


#: The files with generated tables, under the project root.
DOCUMENTS = (
    Path("docs/raw-data.md"),
    Path("docs/metrics.md"),
    Path("docs/interfaces.md"),
    Path("dbt_project/docs/overview.md"),
)


def _cell(text: Any) -> str:
    """One markdown table cell: a single line, pipes escaped."""
    return " ".join(str(text or "").split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _read_yaml(root: Path, path: Path) -> dict[str, Any]:
    data = yaml.safe_load((root / path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ContractDocsError(f"{path} is not a YAML mapping")
    return data


def _meta(element: Mapping[str, Any]) -> Mapping[str, Any]:
    config = element.get("config") or {}
    meta = config.get("meta") or element.get("meta") or {}
    return meta if isinstance(meta, Mapping) else {}


# -- raw data -----------------------------------------------------------------------------
def raw_tables(root: Path) -> str:
    """One table per raw table: column, type (the generator's schema) and meaning
    (the dbt sources)."""
    from orchestration.generator.schema import RAW_TABLES

    kind_words = _kind_words()

    sources = _read_yaml(root, SOURCES_YML)["sources"]
    described: dict[str, tuple[str, dict[str, str], str]] = {}
    for source in sources:
        freshness = (source.get("config") or {}).get("freshness") or {}
        for table in source.get("tables", []):
            columns = {c["name"]: c.get("description", "") for c in table.get("columns", [])}
            description = table.get("description", "")
            described[table["name"]] = (description, columns, _freshness(freshness))
    parts = []
    for spec in RAW_TABLES:
        if spec.name not in described:
            raise ContractDocsError(f"raw table {spec.name} has no entry in {SOURCES_YML}")
        description, columns, freshness = described[spec.name]
        missing = [c.name for c in spec.columns if c.name not in columns]
        if missing:
            raise ContractDocsError(
                f"{SOURCES_YML}: {spec.name} does not describe {', '.join(missing)}"
            )
        heading = f"### `raw_data.{spec.name}` ({kind_words[spec.kind]})\n\n"
        lead = f"{_cell(description)} Freshness: {freshness}.\n\n" if freshness else ""
        rows = [(f"`{c.name}`", c.sql_type, columns[c.name]) for c in spec.columns]
        parts.append(heading + lead + _table(("column", "type", "meaning"), rows))
    return "\n".join(parts)


def _kind_words() -> dict[Any, str]:
    from orchestration.generator.schema import TableKind

    return {
        TableKind.CDC: "change log",
        TableKind.EXTRACT: "full extract",
        TableKind.APPEND: "append-only",
    }


def _freshness(config: Mapping[str, Any]) -> str:
    def after(key: str) -> str:
        value = config.get(key) or {}
        return f"{value.get('count')} {value.get('period')}s" if value else ""

    warn, error = after("warn_after"), after("error_after")
    if not (warn or error):
        return ""
    return f"warns after {warn}, fails after {error} without new rows"


# -- metrics and dimensions -----------------------------------------------------------------
def _metrics(root: Path) -> list[Mapping[str, Any]]:
    metrics: list[Mapping[str, Any]] = []
    for path in sorted((root / SEMANTIC_DIR).glob("*.yml")):
        metrics += _read_yaml(root, path.relative_to(root)).get("metrics") or []
    return metrics


def metric_table(root: Path) -> str:
    """Every metric a question, a report or an API caller may name (internal
    helper metrics left out)."""
    rows = []
    for metric in _metrics(root):
        meta = _meta(metric)
        if meta.get("internal"):
            continue
        rows.append(
            (
                f"`{metric['name']}`",
                metric.get("label", ""),
                metric.get("description", ""),
                meta.get("unit", ""),
                ", ".join(meta.get("synonyms") or []),
            )
        )
    if not rows:
        raise ContractDocsError(f"no metrics in {SEMANTIC_DIR}")
    return _table(("metric", "label", "definition", "unit", "also understood as"), rows)


def dimension_table(root: Path) -> str:
    """Every dimension reachable by its group-by name (``<entity>__<dimension>``,
    the entity being the semantic model's primary entity), plus metric_time."""
    rows: list[tuple[str, ...]] = [
        (
            "`metric_time`",
            "Time",
            "The metric's own date (order_date for order facts) at day, week (ISO, "
            "Monday start), month, quarter or year.",
            "",
        )
    ]
    seen: set[str] = set()
    for path in sorted((root / SEMANTIC_DIR).glob("*.yml")):
        for model in _read_yaml(root, path.relative_to(root)).get("semantic_models") or []:
            primary = next(
                (e["name"] for e in model.get("entities", []) if e.get("type") == "primary"), None
            )
            if primary is None:
                continue
            for dimension in model.get("dimensions", []):
                name = f"{primary}__{dimension['name']}"
                if name in seen:
                    continue
                seen.add(name)
                rows.append(
                    (
                        f"`{name}`",
                        dimension.get("label", ""),
                        dimension.get("description", ""),
                        ", ".join(_meta(dimension).get("synonyms") or []),
                    )
                )
    return _table(("group by", "label", "meaning", "also understood as"), rows)


# -- interfaces -----------------------------------------------------------------------------
def command_table(root: Path) -> str:
    """Every ``analytics`` command and sub-command with the first paragraph of
    its help (what ``--help`` says)."""
    import typer.main

    from orchestration.cli import app

    # Typer ships its own copy of click: commands are recognised by what they
    # have (a help text, sub-commands), not by click's classes.
    def first_paragraph(command: Any) -> str:
        text = str(command.help or "").strip().split("\n\n", 1)[0]
        return text.replace("``", "`")

    rows: list[tuple[str, str]] = []

    def walk(group: Any, prefix: str) -> None:
        for name in sorted(group.commands):
            command = group.commands[name]
            if getattr(command, "hidden", False):
                continue
            rows.append((f"`{prefix} {name}`", first_paragraph(command)))
            if getattr(command, "commands", None):
                walk(command, f"{prefix} {name}")

    root_command = typer.main.get_command(app)
    if not getattr(root_command, "commands", None):
        raise ContractDocsError("the analytics CLI has no commands")
    walk(root_command, "analytics")
    return _table(("command", "what it does"), rows)


def exit_code_table(root: Path) -> str:
    """What ``analytics`` exits with, from ``ExitCode``."""
    from orchestration.commands.common import ExitCode

    rows = []
    for code in ExitCode:
        lines = _member_comment(code.name)
        rows.append((f"`{int(code)}`", lines))
    return _table(("exit code", "meaning"), rows)


def _member_comment(name: str) -> str:
    """The ``#:`` comment above ``ExitCode.<name>`` in its source."""
    import inspect

    from orchestration.commands.common import ExitCode

    lines = inspect.getsource(ExitCode).splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith(f"{name} ="):
            comment: list[str] = []
            for above in reversed(lines[:index]):
                if not above.strip().startswith("#:"):
                    break
                comment.insert(0, above.strip()[2:].strip())
            return " ".join(comment).replace("``", "`")
    raise ContractDocsError(f"ExitCode.{name} has no #: comment")


def schedule_table(root: Path) -> str:
    """The builds and reports of the schedule file, with their crons (UTC)."""
    from analytics_core.cron_words import describe_cron

    data = _read_yaml(root, Path("analytics_core/schedules.yml"))
    rows = []
    for build in data.get("builds") or []:
        what = "full build" if build.get("full_refresh") else "build"
        if build.get("docs"):
            what += " and docs"
        rows.append(
            (f"`{build['name']}`", what, describe_cron(build["cron"]), f"`{build['cron']}`", "")
        )
    for report in data.get("reports") or []:
        params = ", ".join(f"{k}={v}" for k, v in (report.get("params") or {}).items())
        formats = ", ".join(report.get("formats") or [])
        rows.append(
            (
                f"`{report['name']}`",
                f"report `{report['report_type']}` ({formats})",
                describe_cron(report["cron"]),
                f"`{report['cron']}`",
                params,
            )
        )
    return _table(("job", "runs", "when", "cron (UTC)", "parameters"), rows)


EXPOSURES = Path("dbt_project/models/reporting")


def _exposures(root: Path) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for path in sorted((root / EXPOSURES).glob("_*exposures.yml")):
        found.extend(_read_yaml(root, path.relative_to(root)).get("exposures") or [])
    if not found:
        raise ContractDocsError(f"no exposures in {EXPOSURES}")
    return found


def is_report(exposure: Mapping[str, Any]) -> bool:
    """Reports are the applications among the exposures, except the alerts
    (``meta.kind: alerts``: an application that reads views but renders no report)."""
    meta = exposure.get("meta") or (exposure.get("config") or {}).get("meta") or {}
    return exposure.get("type") == "application" and meta.get("kind") != "alerts"


def report_table(root: Path) -> str:
    """The reports (the report exposures), when the schedule file renders
    them, in which formats, from which views, and who owns them."""
    from analytics_core.cron_words import describe_cron

    schedule = _read_yaml(root, Path("analytics_core/schedules.yml"))
    jobs = {job["report_type"]: job for job in schedule.get("reports") or []}
    rows = []
    for exposure in _exposures(root):
        if not is_report(exposure):
            continue
        job = jobs.get(exposure["name"])
        when = describe_cron(job["cron"]) if job else "on request only"
        formats = ", ".join(job.get("formats") or []) if job else ""
        reads = ", ".join(f"`{ref.split(chr(39))[1]}`" for ref in exposure.get("depends_on") or [])
        rows.append(
            (
                f"{exposure.get('label') or exposure['name']} (`{exposure['name']}`)",
                " ".join(str(exposure.get("description") or "").split()),
                when,
                formats,
                reads,
            )
        )
    return _table(("report", "what it shows", "sent", "formats", "reads"), rows)


def owner_table(root: Path) -> str:
    """Who owns each report and dashboard (the exposures' owners)."""
    rows = []
    for exposure in _exposures(root):
        owner = exposure.get("owner") or {}
        rows.append(
            (
                exposure.get("label") or exposure["name"],
                exposure.get("type", ""),
                exposure.get("maturity", ""),
                owner.get("name", ""),
                owner.get("email", ""),
            )
        )
    return _table(("what", "kind", "maturity", "owner", "contact"), rows)


GENERATORS: dict[str, Callable[[Path], str]] = {
    "reports": report_table,
    "owners": owner_table,
    "raw_tables": raw_tables,
    "metrics": metric_table,
    "dimensions": dimension_table,
    "commands": command_table,
    "exit_codes": exit_code_table,
    "schedules": schedule_table,
}


# -- files ------------------------------------------------------------------------------
def render(text: str, root: Path, where: str = "") -> str:
    """``text`` with every generated block rewritten."""

    def replace(match: re.Match[str]) -> str:
        name = match["name"] or match["name2"]
        if name not in GENERATORS:
            raise ContractDocsError(f"{where}: unknown generated block {name!r}")
        return match["open"] + "\n" + GENERATORS[name](root) + "\n" + match["close"]

    rendered, count = _BLOCK.subn(replace, text)
    if count == 0:
        raise ContractDocsError(f"{where}: no generated block (<!-- generated: NAME -->)")
    return rendered


def stale_documents(root: Path = ROOT) -> list[Path]:
    """The documents whose tables differ from what the YAML says now."""
    stale = []
    for path in DOCUMENTS:
        text = (root / path).read_text(encoding="utf-8")
        if render(text, root, str(path)) != text:
            stale.append(path)
    return stale


def refresh(root: Path = ROOT) -> list[Path]:
    """Rewrite the stale documents; returns them."""
    stale = stale_documents(root)
    for path in stale:
        text = (root / path).read_text(encoding="utf-8")
        (root / path).write_text(render(text, root, str(path)), encoding="utf-8")
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a document is stale")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_documents()
            for path in stale:
                print(f"{path}: tables out of date; run: {REFRESH}", file=sys.stderr)
            return 1 if stale else 0
        for path in refresh():
            print(f"rewrote the tables of {path}")
    except (ContractDocsError, OSError, yaml.YAMLError, KeyError) as exc:
        print(f"contract docs: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
