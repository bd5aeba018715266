"""The local stand-in for Snowpipe: new lines of the events files into the
warehouse's landing tables, before dbt runs.

On Snowflake a pipe per stream copies every new JSON-lines object into the
stream's landing table (``dbt_project/macros/monitoring/events_ddl.sql``).
Locally the writers (:class:`analytics_core.events.LocalEventSink`) append to
``<events root>/<stream>/date=YYYY-MM-DD/<host>-<pid>.jsonl`` and a local build
calls :func:`load_new_events` on its build copy of the warehouse: every line
not loaded yet lands as text, with its file, its line number and the load
time, whether or not it is valid JSON. The staging models parse the lines and
reject the bad ones visibly, so a malformed line is never lost.

Files only grow (writers append whole lines), so a file's lines up to the
highest number already loaded are known; only the lines after it are read.
Blank lines are skipped (they still count in the numbering). A line that is
not UTF-8 is kept with its bad bytes escaped (``\\xff``): it is rejected as
not JSON, and the escape shows what arrived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from analytics_core.events import LANDING_TABLES

#: The landing tables' schema on the local target (a production target: no prefix).
LANDING_SCHEMA = "monitoring_raw"
#: The landing tables' columns, as the dbt source ``events`` declares them and
#: as ``create_event_tables()`` (on-run-start) creates them on every target.
LANDING_COLUMNS = (
    ("raw_line", "varchar"),
    ("file_name", "varchar"),
    ("file_row_number", "bigint"),
    ("loaded_at", "timestamp"),
)
_ARROW_SCHEMA = pa.schema(
    [
        ("raw_line", pa.string()),
        ("file_name", pa.string()),
        ("file_row_number", pa.int64()),
        ("loaded_at", pa.timestamp("us")),
    ]
)


@dataclass
class LoadedEvents:
    """What :func:`load_new_events` copied: lines per stream, and files read."""

    lines: dict[str, int] = field(default_factory=dict)
    files_read: int = 0

    @property
    def total(self) -> int:
        return sum(self.lines.values())


def stream_files(events_dir: Path, stream: str) -> Iterator[Path]:
    """The events files of a stream: ``<stream>/<partition>/*.jsonl``, in name order."""
    folder = events_dir / stream
    if not folder.is_dir():
        return
    for partition in sorted(p for p in folder.iterdir() if p.is_dir()):
        yield from sorted(p for p in partition.glob("*.jsonl") if p.is_file())


def decode_line(raw: bytes) -> str:
    """A line as text: UTF-8, or with the bytes that are not escaped as ``\\xNN``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="backslashreplace")
    return text.rstrip("\r")


def new_lines(
    events_dir: Path, stream: str, loaded_up_to: Mapping[str, int], loaded_at: dt.datetime
) -> tuple[list[tuple[str, str, int, dt.datetime]], int]:
    """The lines of a stream's files after the ones already loaded, and how
    many files had any."""
    rows: list[tuple[str, str, int, dt.datetime]] = []
    files_read = 0
    for path in stream_files(events_dir, stream):
        name = path.relative_to(events_dir).as_posix()
        done = loaded_up_to.get(name, 0)
        data = path.read_bytes()
        lines = data.split(b"\n")
        if len(lines) <= done:
            continue
        files_read += 1
        for number, raw in enumerate(lines[done:], start=done + 1):
            text = decode_line(raw)
            if text.strip(" ") == "":
                continue
            rows.append((text, name, number, loaded_at))
    return rows, files_read


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_landing_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The landing schema and tables, if missing (a fresh warehouse)."""
    con.execute(f"create schema if not exists {_ident(LANDING_SCHEMA)}")
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in LANDING_COLUMNS)
    for table in LANDING_TABLES.values():
        con.execute(
            f"create table if not exists {_ident(LANDING_SCHEMA)}.{_ident(table)} ({columns})"
        )


def load_new_events(warehouse: Path, events_dir: Path) -> LoadedEvents:
    """Copy the new lines of every stream under ``events_dir`` into the landing
    tables of the DuckDB file ``warehouse``; one transaction for all streams."""
    outcome = LoadedEvents()
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with duckdb.connect(str(warehouse)) as con:
        ensure_landing_tables(con)
        con.execute("begin")
        try:
            for stream, table in sorted(LANDING_TABLES.items()):
                relation = f"{_ident(LANDING_SCHEMA)}.{_ident(table)}"
                loaded_up_to = dict(
                    con.execute(
                        # the relation is built from constants, quoted
                        f"select file_name, max(file_row_number) from {relation} group by 1"  # noqa: S608
                    ).fetchall()
                )
                rows, files_read = new_lines(events_dir, stream, loaded_up_to, loaded_at)
                outcome.files_read += files_read
                outcome.lines[stream] = len(rows)
                if rows:
                    batch = pa.Table.from_pylist(
                        [dict(zip(_ARROW_SCHEMA.names, row, strict=True)) for row in rows],
                        schema=_ARROW_SCHEMA,
                    )
                    con.register("new_event_lines", batch)
                    # a quoted relation from constants; the rows come from the registered batch
                    insert = (
                        f"insert into {relation} (raw_line, file_name, file_row_number, loaded_at)"  # noqa: S608
                        " select raw_line, file_name, file_row_number, loaded_at"
                        " from new_event_lines"
                    )
                    con.execute(insert)
                    con.unregister("new_event_lines")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return outcome
