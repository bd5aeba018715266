"""The semantic model as text: YAML (:func:`to_yaml`), or either form for a
CLI (:func:`render`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml  # type: ignore[import-untyped]  # PyYAML (a dbt dependency) has no stubs here

from questions.cortex_model.definition import CortexModelError
from questions.cortex_model.model import build_semantic_model
from questions.cortex_model.semantic_view import create_semantic_view_sql, default_view_name

if TYPE_CHECKING:
    from questions.semantic import SemanticLayer


def _represent_str(dumper: Any, value: str) -> Any:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


#: Block style; multi-line strings (the verified SQL) as literal blocks.
_Dumper: Any = type("_Dumper", (yaml.SafeDumper,), {})
_Dumper.add_representer(str, _represent_str)


def to_yaml(model: Mapping[str, Any]) -> str:
    """The semantic model as YAML (keys in the specification's order)."""
    header = (
        "# Generated from the dbt semantic layer (dbt_project/models/semantic) by\n"
        "# questions/cortex_model/: edit the dbt YAML, not this file.\n"
    )
    body: str = yaml.dump(
        dict(model), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )
    return header + body


def render(
    fmt: Literal["yaml", "sql"],
    *,
    database: str,
    schema_prefix: str = "",
    view_name: str | None = None,
    layer_or_raw_manifest: SemanticLayer | Mapping[str, Any] | None = None,
    project_dir: Path | None = None,
) -> str:
    """The semantic model as YAML (``fmt="yaml"``) or as ``CREATE SEMANTIC VIEW``
    (``fmt="sql"``, named ``view_name``, default :func:`default_view_name`).
    Without a layer or manifest, reads the project's semantic manifest (no
    MetricFlow import; a ``dbt parse`` if it is stale)."""
    if layer_or_raw_manifest is None:
        from questions.semantic import load_raw_semantic_manifest

        layer_or_raw_manifest = load_raw_semantic_manifest(project_dir)
    model = build_semantic_model(
        layer_or_raw_manifest, database=database, schema_prefix=schema_prefix
    )
    if fmt == "yaml":
        return to_yaml(model)
    if fmt == "sql":
        return create_semantic_view_sql(
            model, view_name or default_view_name(database, schema_prefix, model["name"])
        )
    raise CortexModelError(f"unknown format {fmt!r}: yaml or sql")
