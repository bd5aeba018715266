"""The staging event models check what the event classes say, and only that:
a member the class gains, or a rule SQL cannot check the same way on both
adapters, stops dbt at parse time with the reason (a copy of the project,
parsed by the real dbt)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from analytics_core.events import EVENT_TYPES, event_json_schema
from analytics_core.settings import PROJECT_ROOT
from questions.semantic import SemanticLayerError, parse_semantic_manifest

pytestmark = pytest.mark.slow

MACRO = Path("dbt_project/macros/monitoring/event_schemas.sql")


def project_copy(tmp_path: Path) -> Path:
    for name in ("dbt_project.yml", "profiles.yml.example", "selectors.yml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    shutil.copytree(
        PROJECT_ROOT / "dbt_project",
        tmp_path / "dbt_project",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    return tmp_path


def with_member(copy: Path, stream: str, name: str, member: dict[str, object]) -> None:
    """The copy's generated schema of ``stream`` with one more member, as the
    generator would write it had the event class gained the field."""
    path = copy / MACRO
    text = path.read_text()
    schema = event_json_schema(EVENT_TYPES[stream])
    old = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    assert text.count(old) == 1
    schema["properties"] = {**schema["properties"], name: member}
    path.write_text(text.replace(old, json.dumps(schema, sort_keys=True, separators=(",", ":"))))


@pytest.mark.parametrize(
    ("stream", "name", "member", "message"),
    [
        (
            "report_jobs",
            "priority",
            {"type": "integer", "minimum": 0},
            r"event stream report_jobs: the model must list every member of its schema,"
            r" not listed: priority",
        ),
        (
            "scheduler_runs",
            "host",
            {"type": "string", "pattern": r"^\d+$"},
            r"pattern \^\\d\+\$ uses a backslash sequence",
        ),
        (
            "deliveries",
            "subject",
            {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}]},
            r"event stream deliveries: the model must list every member of its schema,"
            r" not listed: subject",
        ),
    ],
)
def test_a_member_the_models_cannot_check_stops_the_parse(
    tmp_path: Path, stream: str, name: str, member: dict[str, object], message: str
) -> None:
    copy = project_copy(tmp_path)
    with_member(copy, stream, name, member)
    if stream == "scheduler_runs":
        # Listed by the model, so what stops it is the pattern itself.
        model = copy / "dbt_project/models/staging/events/stg_events__scheduler_runs.sql"
        model.write_text(
            model.read_text().replace(
                "    {'name': 'next_attempt_at'},\n",
                "    {'name': 'next_attempt_at'},\n    {'name': 'host'},\n",
            )
        )
    with pytest.raises(SemanticLayerError) as failure:
        parse_semantic_manifest(copy)
    assert re.search(message, " ".join(str(failure.value).split())), str(failure.value)[-2000:]
