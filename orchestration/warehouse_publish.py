"""Files of a local build: the state warehouse, its build copy, the published
warehouse and the published dbt docs.

- *state* (``state/warehouse.duckdb``): raw data plus dbt's incremental
  state; only the generator and builds touch it, under the warehouse lock.
- *build copy* (``state/build/warehouse.duckdb``): what dbt works on. It replaces the
  state only after dbt succeeded, so a failed build leaves the state as it was.
- *published* (``warehouse.duckdb``): a copy of the state that readers open
  read-only. It is replaced with ``os.replace``: a reader that opened the old
  file keeps reading it, a new reader gets the complete new one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from analytics_core.settings import Settings

RAW_SCHEMA = "raw_data"
#: Append-only logs the dbt hooks write (run results, node results, source
#: freshness): the history ``monitoring`` models read.
RUN_LOG_SCHEMA = "monitoring_raw"

#: What ``dbt docs generate`` adds to a build's artifacts: the docs site.
DOCS_SITE_FILES = ("index.html", "catalog.json")
#: What every build publishes: the project as built (the semantic layer reads
#: ``semantic_manifest.json``) and the source freshness it found.
BUILD_FILES = ("manifest.json", "semantic_manifest.json", "sources.json")
#: dbt artifacts published next to the warehouse they describe (with the
#: build's ``run_results.json``).
DOCS_FILES = (*DOCS_SITE_FILES, *BUILD_FILES)


def wal_path(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def raw_tables(database: Path) -> list[str]:
    """Names of the tables in the ``raw_data`` schema ([] if there is no file)."""
    if not database.is_file():
        return []
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? order by table_name",
            [RAW_SCHEMA],
        ).fetchall()
    return [str(row[0]) for row in rows]


def checkpoint(database: Path) -> None:
    """Fold a pending write-ahead log into the database file, if there is one.

    Without a ``.wal`` next to it the file is complete and is not opened, so
    its bytes stay exactly as they are.
    """
    if database.is_file() and wal_path(database).exists():
        with duckdb.connect(str(database)) as con:
            con.execute("checkpoint")


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_database(database: Path) -> None:
    for path in (database, wal_path(database)):
        path.unlink(missing_ok=True)


def durable_copy(source: Path, destination: Path) -> None:
    """Copy ``source`` to ``destination`` and flush it to disk."""
    shutil.copyfile(source, destination)
    fsync_file(destination)


def atomic_replace(source: Path, destination: Path) -> None:
    """Rename ``source`` over ``destination`` and make the rename durable."""
    os.replace(source, destination)
    fsync_dir(destination.parent)


def prepare_build_copy(settings: Settings) -> Path:
    """Copy the state warehouse to a fresh build copy and return its path."""
    state = settings.state_warehouse_path
    build = settings.build_warehouse_path
    remove_database(build)
    build.parent.mkdir(parents=True, exist_ok=True)
    checkpoint(state)
    durable_copy(state, build)
    return build


def discard_build_copy(settings: Settings) -> None:
    remove_work_copy(settings.build_warehouse_path)


def remove_work_copy(database: Path) -> None:
    """Remove a work copy and its (then empty) folder."""
    remove_database(database)
    with contextlib.suppress(OSError):
        database.parent.rmdir()


def promote_build_copy(settings: Settings) -> None:
    """Make the finished build copy the new state warehouse."""
    promote_work_copy(settings.build_warehouse_path, settings.state_warehouse_path)


def promote_work_copy(work_copy: Path, state: Path) -> None:
    """Replace the state warehouse with a finished work copy (build or generator)."""
    checkpoint(work_copy)
    wal_path(work_copy).unlink(missing_ok=True)
    fsync_file(work_copy)
    wal_path(state).unlink(missing_ok=True)
    atomic_replace(work_copy, state)
    with contextlib.suppress(OSError):
        work_copy.parent.rmdir()


def carry_over_run_log(build_copy: Path, state: Path) -> int:
    """Copy the run-log rows a *failed* build wrote into the state warehouse.

    A failed build's copy is thrown away, but what it recorded about itself
    (which tests failed, with how many rows; which source was late) is exactly
    what the monitoring schema exists to show. The logs are append-only, so
    the rows to carry are those of the copy that the state does not have.
    Only ``monitoring_raw`` is touched, and the state is not even opened for
    writing when there is nothing new. Returns the number of rows copied.
    """
    if not build_copy.is_file() or not state.is_file():
        return 0
    with duckdb.connect(str(state), read_only=True) as con:
        pending = _with_build_copy(con, build_copy, _count_new_rows)
    if not pending:
        return 0
    with duckdb.connect(str(state)) as con:
        con.execute(f"create schema if not exists {_ident(RUN_LOG_SCHEMA)}")
        return _with_build_copy(con, build_copy, _copy_new_rows)


def _with_build_copy(
    con: duckdb.DuckDBPyConnection,
    build_copy: Path,
    action: Callable[[duckdb.DuckDBPyConnection, str], int],
) -> int:
    """``action(con, table)`` for every run-log table of the attached build copy; summed."""
    con.execute("attach ? as build_copy (read_only)", [str(build_copy)])
    try:
        tables = con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = 'build_copy' and schema_name = ? order by 1",
            [RUN_LOG_SCHEMA],
        ).fetchall()
        return sum(action(con, str(table)) for (table,) in tables)
    finally:
        con.execute("detach build_copy")


def _ident(name: str) -> str:
    """A quoted DuckDB identifier (names here come from the catalog, not from people)."""
    return '"' + name.replace('"', '""') + '"'


def _new_rows_query(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, str]:
    """(column list, query of the build copy's rows the state lacks) for ``table``."""
    source = f"build_copy.{_ident(RUN_LOG_SCHEMA)}.{_ident(table)}"
    target_columns = _columns(con, None, table)
    if not target_columns:
        return "*", f"select * from {source}"  # noqa: S608
    # Columns both sides have (a newer hook may have added some).
    source_columns = set(_columns(con, "build_copy", table))
    cols = ", ".join(_ident(c) for c in target_columns if c in source_columns)
    target = f"{_ident(RUN_LOG_SCHEMA)}.{_ident(table)}"
    return cols, f"select {cols} from {source} except select {cols} from {target}"  # noqa: S608


def _count_new_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    _, new_rows = _new_rows_query(con, table)
    (count,) = con.execute(f"select count(*) from ({new_rows})").fetchone() or (0,)  # noqa: S608
    return int(count)


def _copy_new_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    count = _count_new_rows(con, table)
    cols, new_rows = _new_rows_query(con, table)
    target = f"{_ident(RUN_LOG_SCHEMA)}.{_ident(table)}"
    if cols == "*":
        con.execute(f"create table {target} as {new_rows}")
    else:
        con.execute(f"insert into {target} ({cols}) {new_rows}")
    return count


def _columns(con: duckdb.DuckDBPyConnection, database: str | None, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from duckdb_columns() "
        "where database_name = coalesce(?, current_database()) "
        "and schema_name = ? and table_name = ? order by column_index",
        [database, RUN_LOG_SCHEMA, table],
    ).fetchall()
    return [str(row[0]) for row in rows]


def publish_run_log(settings: Settings, build_copy: Path) -> bool:
    """Add a failed build's run-log rows to the published warehouse.

    The published file is not replaced by the state (which may hold raw data
    no build has modelled yet): a copy of the published file gets the rows
    and is renamed over it, so readers see the last good data plus the news
    of the failure. Returns False when there is nothing published yet.
    """
    published = settings.warehouse_path
    if not published.is_file():
        return False
    tmp = published.with_name(published.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        durable_copy(published, tmp)
        carry_over_run_log(build_copy, tmp)
        checkpoint(tmp)
        wal_path(tmp).unlink(missing_ok=True)
        fsync_file(tmp)
        atomic_replace(tmp, published)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def publish_state(settings: Settings) -> Path:
    """Publish the state warehouse to ``$ANALYTICS_HOME/warehouse.duckdb``."""
    published = settings.warehouse_path
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(published.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        durable_copy(settings.state_warehouse_path, tmp)
        atomic_replace(tmp, published)
    finally:
        tmp.unlink(missing_ok=True)
    return published


def new_docs_staging(settings: Settings) -> Path:
    """A fresh directory for the dbt artifacts of the build in progress."""
    staging = settings.dbt_dir / f"docs-{time.time_ns()}"
    staging.mkdir(parents=True)
    return staging


def stage_artifacts(target_path: Path, staging: Path, names: Iterable[str]) -> None:
    for name in names:
        source = target_path / name
        if source.is_file():
            shutil.copyfile(source, staging / name)


def publish_docs(settings: Settings, staging: Path) -> Path:
    """Point ``<dbt dir>/docs`` at ``staging`` in one atomic step.

    ``docs`` is a symlink to a ``docs-<ns>`` directory, so a reader (the docs
    server, the semantic layer) sees either the old set of artifacts or the
    new one, never a mix. Older directories are removed.
    """
    docs = settings.docs_dir
    if docs.is_dir() and not docs.is_symlink():
        shutil.rmtree(docs)
    link = docs.with_name(docs.name + ".link.tmp")
    link.unlink(missing_ok=True)
    link.symlink_to(staging.name, target_is_directory=True)
    atomic_replace(link, docs)
    for old in settings.dbt_dir.glob("docs-*"):
        if old.is_dir() and old.name != staging.name:
            shutil.rmtree(old, ignore_errors=True)
    return docs
