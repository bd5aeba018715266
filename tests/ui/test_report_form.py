"""The report form comes from the catalog's JSON schema (pure)."""

from __future__ import annotations

import datetime

from report_service.reports import CATALOG
from ui.report_form import form_fields, params_from


def test_every_catalog_report_gets_a_form() -> None:
    for definition in CATALOG.values():
        schema = definition.catalog_entry()["params_schema"]
        fields = form_fields(schema)
        assert {f.name for f in fields} == set(schema.get("properties", {}))
        assert all(
            f.kind in {"date", "integer", "number", "boolean", "choice", "text"} for f in fields
        )


def test_widgets_follow_the_schema() -> None:
    schema = {
        "properties": {
            "report_date": {"type": "string", "format": "date", "description": "The day."},
            "top_n": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 10},
            "region": {"$ref": "#/$defs/Region"},
            "note": {"type": "string"},
        },
        "required": ["report_date"],
        "$defs": {"Region": {"enum": ["AMER", "EMEA", "APAC"], "type": "string"}},
    }
    fields = {f.name: f for f in form_fields(schema)}
    assert fields["report_date"].kind == "date" and fields["report_date"].required
    assert fields["report_date"].help == "The day."
    assert fields["top_n"].kind == "integer" and fields["top_n"].default == 10
    assert fields["region"].kind == "choice" and fields["region"].choices == (
        "AMER",
        "EMEA",
        "APAC",
    )
    assert fields["note"].kind == "text" and not fields["note"].required
    params = params_from(
        {"report_date": datetime.date(2026, 3, 1), "top_n": 5, "region": "EMEA", "note": ""},
        list(fields.values()),
    )
    assert params == {"report_date": "2026-03-01", "top_n": 5, "region": "EMEA"}
