"""The local stand-in for Snowpipe (orchestration/local_events.py) on real
DuckDB files, and the one definition of the event streams: the dbt project's
generated macros and landing tables agree with the event classes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from analytics_core.events import (
    DBT_SCHEMAS_MACRO,
    LANDING_TABLES,
    DeliveryEvent,
    DeliveryStatus,
    LocalEventSink,
    ReportJobEvent,
    render_dbt_schemas,
)
from analytics_core.settings import PROJECT_ROOT
from orchestration.build_inputs import EVENT_STREAMS, events_fingerprint
from orchestration.local_events import LANDING_COLUMNS, LANDING_SCHEMA, load_new_events


def event(job: str, status: str = "queued") -> ReportJobEvent:
    return ReportJobEvent.model_validate(
        {
            "job_id": job,
            "report_type": "daily_sales",
            "status": status,
            "at": dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC).isoformat(),
            "trigger": "api",
        }
    )


def delivery(
    delivery_id: str, attempt: int = 0, status: DeliveryStatus = "queued"
) -> DeliveryEvent:
    due = dt.datetime(2026, 6, 1, 6, tzinfo=dt.UTC)
    return DeliveryEvent(
        delivery_id=delivery_id,
        kind="subscription",
        source="daily_sales_to_finance",
        recipient="finance",
        channel="email",
        due_at=due,
        attempt=attempt,
        status=status,
        at=due + dt.timedelta(minutes=attempt),
    )


def landed(warehouse: Path, table: str = "report_job_events") -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select file_name, file_row_number, raw_line from {LANDING_SCHEMA}.{table} "
            "order by file_name, file_row_number"
        ).fetchall()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    return path


def test_a_fresh_warehouse_gets_its_landing_tables_and_no_folder_is_no_event(
    warehouse: Path, tmp_path: Path
) -> None:
    outcome = load_new_events(warehouse, tmp_path / "no-events-here")
    assert outcome.total == 0 and outcome.files_read == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by 1",
            [LANDING_SCHEMA],
        ).fetchall()
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where schema_name = ? and table_name = 'report_job_events' order by column_index",
            [LANDING_SCHEMA],
        ).fetchall()
    assert [t for (t,) in tables] == sorted(LANDING_TABLES.values())
    assert columns == [(name, sql_type.upper()) for name, sql_type in LANDING_COLUMNS]


def test_lines_land_once_with_their_file_and_number(warehouse: Path, tmp_path: Path) -> None:
    events = tmp_path / "events"
    sink = LocalEventSink(events)
    sink.write([event("a"), event("b")])
    first = load_new_events(warehouse, events)
    assert first.lines == {"deliveries": 0, "report_jobs": 2, "scheduler_runs": 0}
    assert first.files_read == 1
    rows = landed(warehouse)
    assert [(number, '"job_id":"a"' in line) for _, number, line in rows] == [
        (1, True),
        (2, False),
    ]
    assert rows[0][0].startswith("report_jobs/date=2026-06-01/")
    # Nothing new: nothing loaded again.
    assert load_new_events(warehouse, events).total == 0
    # Appended lines and a new file: only they land.
    sink.write([event("c")])
    other = events / "report_jobs" / "date=2026-06-02" / "other.jsonl"
    other.parent.mkdir(parents=True)
    other.write_text(event("d").to_line().decode())
    again = load_new_events(warehouse, events)
    assert again.lines["report_jobs"] == 2
    assert [number for _, number, _ in landed(warehouse)] == [1, 2, 3, 1]


def test_blank_crlf_and_broken_lines_keep_their_numbers_and_bytes(
    warehouse: Path, tmp_path: Path
) -> None:
    events = tmp_path / "events"
    path = events / "report_jobs" / "date=2026-06-01" / "hand.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"a": 1}\r\n\n   \nnot json\n\xff\xfe broken \xc3\n{"last": true}')
    load_new_events(warehouse, events)
    assert [(number, line) for _, number, line in landed(warehouse)] == [
        (1, '{"a": 1}'),
        (4, "not json"),
        (5, "\\xff\\xfe broken \\xc3"),
        (6, '{"last": true}'),
    ]


def test_only_stream_partition_files_are_read_and_hostile_names_are_data(
    warehouse: Path, tmp_path: Path
) -> None:
    events = tmp_path / "events"
    stray = [
        events / "report_jobs" / "loose.jsonl",  # not in a partition
        events / "report_jobs" / "date=2026-06-01" / "deeper" / "x.jsonl",
        events / "report_jobs" / "date=2026-06-01" / "notes.txt",
        events / "unknown_stream" / "date=2026-06-01" / "x.jsonl",
    ]
    for path in stray:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(event("stray").to_line().decode())
    hostile = events / "scheduler_runs" / "date=2026-06-01" / "x'); drop table t; --\".jsonl"
    hostile.parent.mkdir(parents=True)
    hostile.write_text("line one\n")
    outcome = load_new_events(warehouse, events)
    assert outcome.lines == {"deliveries": 0, "report_jobs": 0, "scheduler_runs": 1}
    (row,) = landed(warehouse, "scheduler_run_events")
    assert row[0] == "scheduler_runs/date=2026-06-01/x'); drop table t; --\".jsonl"


def test_delivery_events_land_in_their_own_table(warehouse: Path, tmp_path: Path) -> None:
    """The sink writes each kind of event to its stream's folder; the loader
    copies each stream into its own landing table, hostile file names and
    lines included, as text."""
    events = tmp_path / "events"
    sink = LocalEventSink(events)
    job = event("a")
    sink.write([delivery("d1"), job, delivery("d1", 1, "sent")])
    hostile = events / "deliveries" / "date=2026-06-01" / "'; drop table delivery_events; --.jsonl"
    hostile.write_text('{"delivery_id": "x\'); drop table delivery_events; --"}\n')
    outcome = load_new_events(warehouse, events)
    assert outcome.lines == {"deliveries": 3, "report_jobs": 1, "scheduler_runs": 0}
    rows = landed(warehouse, "delivery_events")
    assert [(name.split("/")[0], number) for name, number, _ in rows] == [
        ("deliveries", 1),
        ("deliveries", 1),
        ("deliveries", 2),
    ]
    assert rows[0][0] == "deliveries/date=2026-06-01/'; drop table delivery_events; --.jsonl"
    assert rows[0][2] == '{"delivery_id": "x\'); drop table delivery_events; --"}'
    written = [DeliveryEvent.model_validate_json(line) for _, _, line in rows[1:]]
    assert [(e.delivery_id, e.attempt, e.status) for e in written] == [
        ("d1", 0, "queued"),
        ("d1", 1, "sent"),
    ]
    assert [line for _, _, line in landed(warehouse)] == [job.to_line().decode().strip()]


def test_a_failed_load_leaves_nothing_half_loaded(warehouse: Path, tmp_path: Path) -> None:
    """One transaction for every stream: when the second stream's insert fails
    (here its table, made by someone else, wants a column the loader does not
    fill), the first stream's lines are rolled back too."""
    events = tmp_path / "events"
    sink = LocalEventSink(events)
    sink.write([event("a")])
    line = events / "scheduler_runs" / "date=2026-06-01" / "x.jsonl"
    line.parent.mkdir(parents=True)
    line.write_text("anything\n")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create schema {LANDING_SCHEMA}")
        con.execute(
            f"create table {LANDING_SCHEMA}.scheduler_run_events (raw_line varchar, "
            "file_name varchar, file_row_number bigint, loaded_at timestamp, owner int not null)"
        )
    with pytest.raises(duckdb.ConstraintException):
        load_new_events(warehouse, events)
    assert landed(warehouse) == []


def test_a_build_looks_for_new_lines_in_every_stream(tmp_path: Path) -> None:
    """The build's fingerprint of its inputs (orchestration.build_inputs) reads
    the streams the loader loads: a new delivery line is something to build."""
    assert sorted(EVENT_STREAMS) == sorted(LANDING_TABLES)
    events = tmp_path / "events"
    before = events_fingerprint(events)
    LocalEventSink(events).emit(delivery("d1"))
    assert events_fingerprint(events) != before


def test_the_dbt_project_has_the_streams_and_schemas_of_the_event_classes() -> None:
    assert DBT_SCHEMAS_MACRO.read_text() == render_dbt_schemas(), (
        f"{DBT_SCHEMAS_MACRO.relative_to(PROJECT_ROOT)} is stale: "
        "run `uv run python -m analytics_core.events`"
    )
    sources = yaml.safe_load(
        (PROJECT_ROOT / "dbt_project/models/staging/events/_events__sources.yml").read_text()
    )
    (events_source,) = [s for s in sources["sources"] if s["name"] == "events"]
    tables = {t["name"]: [c["name"] for c in t["columns"]] for t in events_source["tables"]}
    assert set(tables) == set(LANDING_TABLES.values())
    for columns in tables.values():
        assert columns == [name for name, _ in LANDING_COLUMNS]
    ddl = (PROJECT_ROOT / "dbt_project/macros/monitoring/events.sql").read_text()
    expected = ", ".join(f"{name} {sql_type}" for name, sql_type in LANDING_COLUMNS)
    assert expected.replace("timestamp", "{{ dbt.type_timestamp() }}") in ddl
