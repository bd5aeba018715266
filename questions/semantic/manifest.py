"""The semantic manifest dbt writes (``target/semantic_manifest.json``): finding
it (or parsing the project for it), naming its relations for the warehouse the
SQL is for, and MetricFlow's semantic validations of it.

The relation names in it are those of the warehouse dbt parsed against;
:func:`retarget_relations` rewrites them to the published DuckDB file (catalog
``warehouse``) or a Snowflake database.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from analytics_core.errors import AnalyticsError
from analytics_core.settings import PROJECT_ROOT

Dialect = Literal["duckdb", "snowflake"]

#: Where dbt writes the semantic manifest, relative to the project (or target) dir.
SEMANTIC_MANIFEST = Path("target") / "semantic_manifest.json"
#: The sources of the semantic layer: a manifest older than any of them is stale.
SEMANTIC_SOURCES = (Path("dbt_project") / "models" / "semantic", Path("dbt_project.yml"))
#: The DuckDB catalog of the published warehouse (its file is ``warehouse.duckdb``).
DUCKDB_CATALOG = "warehouse"


class SemanticLayerError(AnalyticsError):
    """The semantic manifest cannot be loaded, or a query cannot be compiled."""


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for source in SEMANTIC_SOURCES:
        path = project_dir / source
        files = [path] if path.is_file() else list(path.rglob("*")) if path.is_dir() else []
        for file in files:
            if file.is_file():
                newest = max(newest, file.stat().st_mtime)
    return newest


def parse_semantic_manifest(project_dir: Path | None = None) -> dict[str, Any]:
    """Run ``dbt parse`` (no warehouse connection, about 15 s) into a temporary
    target dir and return the semantic manifest it wrote."""
    project_dir = PROJECT_ROOT if project_dir is None else Path(project_dir)
    dbt = Path(sys.executable).with_name("dbt")
    executable = str(dbt) if dbt.exists() else shutil.which("dbt")
    if executable is None:
        raise SemanticLayerError("dbt is not installed: cannot parse the semantic layer")
    with tempfile.TemporaryDirectory(prefix="semantic-parse-") as tmp:
        profiles = Path(tmp) / "profiles"
        profiles.mkdir()
        example = project_dir / "profiles.yml.example"
        shutil.copy(
            example if example.is_file() else PROJECT_ROOT / example.name, profiles / "profiles.yml"
        )
        env = {
            **os.environ,
            "DBT_TARGET": "local",
            "ANALYTICS_DUCKDB_PATH": str(Path(tmp) / f"{DUCKDB_CATALOG}.duckdb"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        target = Path(tmp) / "target"
        proc = subprocess.run(  # noqa: S603 - our own dbt, fixed arguments
            [
                executable,
                "parse",
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(profiles),
                "--target-path",
                str(target),
                "--log-path",
                str(Path(tmp) / "logs"),
                "--no-partial-parse",
            ],
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        manifest = target / "semantic_manifest.json"
        if proc.returncode != 0 or not manifest.is_file():
            raise SemanticLayerError(
                f"dbt parse failed:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}"
            )
        data: dict[str, Any] = json.loads(manifest.read_text())
        return data


def load_raw_semantic_manifest(
    project_dir: Path | None = None, manifest_path: Path | None = None
) -> dict[str, Any]:
    """The semantic manifest as dbt wrote it (JSON).

    ``manifest_path`` if given; else ``<project_dir>/target/semantic_manifest.json``
    if it is newer than the semantic YAML; else a fresh ``dbt parse`` (about 15 s),
    whose manifest is kept there for the next caller (where the project is
    writable: a container's is not, and then every caller parses).
    """
    if manifest_path is not None:
        data: dict[str, Any] = json.loads(Path(manifest_path).read_text())
        return data
    project_dir = PROJECT_ROOT if project_dir is None else Path(project_dir)
    cached = project_dir / SEMANTIC_MANIFEST
    if cached.is_file() and cached.stat().st_mtime >= _newest_source_mtime(project_dir):
        data = json.loads(cached.read_text())
        return data
    started = time.time()
    data = parse_semantic_manifest(project_dir)
    _keep(cached, data, started)
    return data


def _keep(cached: Path, data: Mapping[str, Any], parsed_at: float) -> None:
    """Write the parsed manifest to ``cached`` atomically (another process may
    read it at any moment), dated when the parse started: a semantic file
    edited during the parse is newer, so the next caller parses again."""
    temporary: str | None = None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=cached.parent, prefix=".semantic-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.utime(temporary, (parsed_at, parsed_at))
        os.replace(temporary, cached)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _quote(dialect: Dialect, *parts: str) -> str:
    if dialect == "duckdb":
        return ".".join('"' + part.replace('"', '""') + '"' for part in parts)
    # Snowflake: unquoted, as dbt-snowflake names them (case-insensitive).
    return ".".join(parts)


def retarget_relations(
    raw: Mapping[str, Any],
    dialect: Dialect,
    database: str | None,
    schema_prefix: str = "",
) -> dict[str, Any]:
    """A copy of the raw manifest whose relations live in ``database`` (none: the
    session's current database) with ``schema_prefix`` before each schema
    (``dev_me_`` for a developer's Snowflake schemas; a schema that has it
    already keeps it once)."""
    data: dict[str, Any] = json.loads(json.dumps(raw))
    relations = [model["node_relation"] for model in data.get("semantic_models", [])]
    configuration = data.get("project_configuration", {})
    relations += [spine["node_relation"] for spine in configuration.get("time_spines", [])]
    relations += [
        table["node_relation"]
        for table in configuration.get("time_spine_table_configurations", [])
        if isinstance(table, dict) and "node_relation" in table
    ]
    for relation in relations:
        schema = relation["schema_name"]
        # A manifest from a build on a prefixed Snowflake target names its
        # schemas with the prefix already: prefix each schema once.
        if not schema.lower().startswith(schema_prefix.lower()):
            schema = schema_prefix + schema
        relation["schema_name"] = schema
        relation["database"] = database
        parts = ([database] if database else []) + [schema, relation["alias"]]
        relation["relation_name"] = _quote(dialect, *parts)
    return data


def relation_names(
    raw: Mapping[str, Any],
    dialect: Dialect,
    database: str | None,
    schema_prefix: str = "",
) -> dict[str, str]:
    """Each semantic model's relation in the raw manifest ``raw``, as the SQL for
    ``dialect`` names it (see :func:`retarget_relations`)."""
    data = retarget_relations(raw, dialect, database, schema_prefix)
    return {
        model["name"]: model["node_relation"]["relation_name"]
        for model in data.get("semantic_models", [])
    }


def validate_semantic_manifest(manifest: Any) -> list[str]:
    """Blocking issues of ``mf validate-configs``' semantic validations (no
    warehouse queries); empty when the manifest is valid."""
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )

    results = SemanticManifestValidator[Any]().validate_semantic_manifest(manifest)
    return [issue.as_readable_str() for issue in results.errors]
