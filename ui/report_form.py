"""A form for a report's parameters, from the catalog's JSON schema: which
widget each parameter gets, and the values sent back (pure, testable)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    name: str
    title: str
    #: date | integer | number | boolean | choice | text
    kind: str
    required: bool
    default: Any = None
    choices: tuple[Any, ...] = ()
    help: str = ""


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` and unwrap ``anyOf: [X, null]`` (optional X)."""
    if "$ref" in node:
        ref = str(node["$ref"]).rsplit("/", 1)[-1]
        node = {
            **schema.get("$defs", {}).get(ref, {}),
            **{k: v for k, v in node.items() if k != "$ref"},
        }
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        if len(options) == 1:
            node = {
                **_resolve(schema, options[0]),
                **{k: v for k, v in node.items() if k != "anyOf"},
            }
    return node


def form_fields(schema: dict[str, Any]) -> list[Field]:
    required = set(schema.get("required", []))
    fields = []
    for name, raw in (schema.get("properties") or {}).items():
        node = _resolve(schema, raw)
        kind = "text"
        if "enum" in node:
            kind = "choice"
        elif node.get("type") == "string" and node.get("format") == "date":
            kind = "date"
        elif node.get("type") in {"integer", "number", "boolean"}:
            kind = str(node["type"])
        fields.append(
            Field(
                name=name,
                title=str(node.get("title") or name.replace("_", " ").capitalize()),
                kind=kind,
                required=name in required,
                default=node.get("default"),
                choices=tuple(node.get("enum", ())),
                help=str(node.get("description") or ""),
            )
        )
    return fields


def params_from(values: dict[str, Any], fields: list[Field]) -> dict[str, Any]:
    """The params to send: dates ISO, empty optional values left out."""
    params: dict[str, Any] = {}
    for field in fields:
        value = values.get(field.name)
        if value is None or value == "":
            continue
        if isinstance(value, datetime.date):
            value = value.isoformat()
        params[field.name] = value
    return params
