"""What a local build reads, as a fingerprint: is there anything new to build?

A successful, complete local build records the fingerprint of its inputs
(taken under the warehouse lock before dbt started) in
``state/build_inputs.json``. The next ``analytics build`` (without
``--full-refresh``, ``--select``, ``--exclude`` or ``--force``) takes the
fingerprint again and, when it is the same, publishes nothing and runs no dbt.

The inputs:

- **raw data**: per ``raw_data`` table its columns, row count and high-water
  marks (the latest ``_loaded_at``, ``_cdc_ts`` and ``_cdc_lsn`` where the
  table has them), plus the list of every table and view of the state
  warehouse (a fresh ``analytics generate`` drops what the builds made);
- **events**: the content of the events files the monitoring models load
  (``$ANALYTICS_HOME/events/<stream>/*/*.jsonl``), except the scheduler's
  own lines about *build* jobs: the scheduler writes one when a build starts
  and one when it ends, so counting them would make every scheduled build
  "new". They are loaded by the next build that runs for another reason (at
  the latest the nightly full build, which always runs);
- **the dbt project**: every file of ``dbt_project.yml``, ``dbt_project/``
  (models, macros, seeds, snapshots, tests, docs), package files, the
  profiles file used, and the versions of dbt and its adapter;
- **the target**.

Nothing here imports dbt: the check must stay well under the cost of
starting dbt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from analytics_core.settings import PROJECT_ROOT, Settings

#: Bump when what is fingerprinted changes: an old record then never matches.
VERSION = 2
#: Event streams (folders under the events root) the monitoring models load:
#: the keys of ``analytics_core.events.LANDING_TABLES``, spelled out so this
#: check does not import the event classes (a test keeps the two the same).
EVENT_STREAMS = ("deliveries", "report_jobs", "scheduler_runs")
#: Raw columns whose maximum marks how far the loads have come.
HIGH_WATER_COLUMNS = ("_loaded_at", "_cdc_ts", "_cdc_lsn")
#: Project files outside ``dbt_project/`` that change what dbt builds.
PROJECT_FILES = (
    "dbt_project.yml",
    "packages.yml",
    "package-lock.yml",
    "dependencies.yml",
    "selectors.yml",
)
PROJECT_DIR = "dbt_project"
#: Installed packages whose versions change what dbt does.
DBT_PACKAGES = ("dbt-core", "dbt-adapters", "dbt-duckdb")
#: The parts of a fingerprint, in the words a message uses.
PARTS = {
    "raw": "raw data",
    "events": "events",
    "project": "the dbt project",
    "target": "the target",
}


def raw_fingerprint(database: Path) -> dict[str, Any]:
    """The raw tables' columns, row counts and high-water marks, and the name of
    every table and view."""
    import duckdb

    from orchestration.warehouse_publish import RAW_SCHEMA

    if not database.is_file():
        return {}
    with duckdb.connect(str(database), read_only=True) as con:
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and schema_name = ? "
            "order by table_name, column_index",
            [RAW_SCHEMA],
        ).fetchall():
            columns.setdefault(str(table), []).append(str(column))
        tables: dict[str, Any] = {}
        for table, names in columns.items():
            marks = [c for c in HIGH_WATER_COLUMNS if c in names]
            selects = ["count(*)", *(f'max("{c}")::varchar' for c in marks)]
            row = con.execute(
                f'select {", ".join(selects)} from "{RAW_SCHEMA}"."{table}"'  # noqa: S608 - catalog names
            ).fetchone() or (0,)
            tables[table] = {
                "columns": names,
                "rows": int(row[0]),
                "high_water": {c: row[i + 1] for i, c in enumerate(marks)},
            }
        every_table = [
            f"{schema}.{table}"
            for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = current_database() order by 1, 2"
            ).fetchall()
        ]
        views = [
            f"{schema}.{view}"
            for schema, view in con.execute(
                "select schema_name, view_name from duckdb_views() "
                "where database_name = current_database() and not internal order by 1, 2"
            ).fetchall()
        ]
    return {"tables": tables, "all_tables": every_table, "views": views}


def _is_own_build_event(line: bytes) -> bool:
    """A scheduler line about a build job (see the module docstring)."""
    if b'"build"' not in line:
        return False
    try:
        event = json.loads(line)
    except ValueError:
        return False
    return isinstance(event, dict) and event.get("kind") == "build"


def events_fingerprint(events_dir: Path) -> str:
    """A hash of the event lines the next build would load (relative file names included)."""
    digest = hashlib.sha256()
    for stream in EVENT_STREAMS:
        folder = events_dir / stream
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*/*.jsonl")):
            try:
                content = path.read_bytes()
            except OSError:
                continue
            if stream == "scheduler_runs":
                content = b"\n".join(
                    line for line in content.splitlines() if not _is_own_build_event(line)
                )
                if not content.strip():
                    continue  # only build lines: as if the file were not there
            digest.update(path.relative_to(events_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def _project_paths(root: Path) -> Iterable[Path]:
    for name in PROJECT_FILES:
        if (root / name).is_file():
            yield root / name
    for folder, dirs, names in os.walk(root / PROJECT_DIR):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(folder) / name


def project_fingerprint(profiles_file: Path, root: Path = PROJECT_ROOT) -> str:
    """A hash of the dbt project's files, the profiles file and dbt's version.

    The project's files count by their path in the project and their bytes;
    the profiles file by its bytes only (under a fixed name): it lives in
    ``ANALYTICS_HOME`` (or ``DBT_PROFILES_DIR``), and its folder is not an
    input of dbt, so a copy of the whole home elsewhere (a restored backup,
    the test suite's shared warehouses) is not news.
    """
    digest = hashlib.sha256()
    for path in [*_project_paths(root), profiles_file]:
        name = "<profiles.yml>" if path == profiles_file else str(path.relative_to(root))
        digest.update(name.encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"missing")
    for package in DBT_PACKAGES:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{package}=={version}\0".encode())
    return digest.hexdigest()


def fingerprint(settings: Settings, *, target: str, profiles_file: Path) -> dict[str, Any]:
    """The inputs of a build of ``target`` now (call it under the warehouse lock)."""
    return {
        "version": VERSION,
        "raw": raw_fingerprint(settings.state_warehouse_path),
        "events": events_fingerprint(settings.events_dir),
        "project": project_fingerprint(profiles_file),
        "target": target,
    }


def changed_parts(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What differs between two fingerprints, in words ([] when nothing does)."""
    if recorded.get("version") != current.get("version"):
        return ["the build's fingerprint format"]
    return [words for key, words in PARTS.items() if recorded.get(key) != current.get(key)]


def views_are_current(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether the views the last complete build made can stay as they are.

    A view stores a query, and the query comes from the dbt project: when only
    data changed since that build (raw data, events) and every view it left
    is still in the state warehouse, re-creating them would change nothing.
    """
    if set(changed_parts(recorded, current)) - {PARTS["raw"], PARTS["events"]}:
        return False
    views = (recorded.get("raw") or {}).get("views")
    return bool(views) and views == (current.get("raw") or {}).get("views")


@dataclass(frozen=True)
class LastBuild:
    """The fingerprint recorded by the last complete, successful build."""

    inputs: Mapping[str, Any]
    built_at: dt.datetime
    #: The published docs site (catalog) was generated for this build.
    docs: bool


def load(settings: Settings) -> LastBuild | None:
    """The record of the last build, or None (none, or unreadable: then build)."""
    path = settings.build_inputs_path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LastBuild(
            inputs=data["inputs"],
            built_at=dt.datetime.fromisoformat(data["built_at"]),
            docs=bool(data.get("docs", False)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(
    settings: Settings, inputs: Mapping[str, Any], *, docs: bool, built_at: dt.datetime
) -> None:
    """Write the record atomically (only after a successful publish)."""
    path = settings.build_inputs_path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    payload = {
        "built_at": built_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "docs": docs,
        "inputs": inputs,
    }
    tmp.write_text(json.dumps(payload, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def mark_docs(settings: Settings) -> None:
    """The docs of the last build's warehouse were generated (``analytics docs``)."""
    last = load(settings)
    if last is not None and not last.docs:
        record(settings, last.inputs, docs=True, built_at=last.built_at)


def clear(settings: Settings) -> None:
    """Forget the record: the next build runs whatever it finds."""
    settings.build_inputs_path.unlink(missing_ok=True)
