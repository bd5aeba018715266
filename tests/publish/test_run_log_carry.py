"""A failed build's run-log rows are carried into the state, nothing else is.

Real DuckDB files; the copy stands in for a build copy whose hooks appended
rows (and, in one case, a table and a column the state does not have yet).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb

from orchestration.warehouse_publish import RUN_LOG_SCHEMA, carry_over_run_log


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_state(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(f"create schema {RUN_LOG_SCHEMA}")
        con.execute(f"create table {RUN_LOG_SCHEMA}.runs (invocation_id varchar, status varchar)")
        con.execute(f"insert into {RUN_LOG_SCHEMA}.runs values ('a', 'success'), ('b', 'success')")
        con.execute("create schema processed_data")
        con.execute("create table processed_data.facts as select 1 as x")


def test_only_new_run_log_rows_reach_the_state(tmp_path: Path) -> None:
    state = tmp_path / "state" / "warehouse.duckdb"
    build = tmp_path / "build" / "warehouse.duckdb"
    state.parent.mkdir()
    build.parent.mkdir()
    make_state(state)
    shutil.copyfile(state, build)
    with duckdb.connect(str(build)) as con:
        con.execute(f"alter table {RUN_LOG_SCHEMA}.runs add column git_commit varchar")
        con.execute(f"insert into {RUN_LOG_SCHEMA}.runs values ('c', 'failed', 'abc')")
        con.execute(f"create table {RUN_LOG_SCHEMA}.tests (invocation_id varchar, failures int)")
        con.execute(f"insert into {RUN_LOG_SCHEMA}.tests values ('c', 3), ('c', 0)")
        # A failed build may have rebuilt models before it failed: none of that is carried.
        con.execute("create or replace table processed_data.facts as select 2 as x")

    assert carry_over_run_log(build, state) == 3

    with duckdb.connect(str(state), read_only=True) as con:
        runs = con.execute(f"select * from {RUN_LOG_SCHEMA}.runs order by 1").fetchall()
        tests = con.execute(f"select * from {RUN_LOG_SCHEMA}.tests order by 2").fetchall()
        facts = con.execute("select x from processed_data.facts").fetchall()
    assert runs == [("a", "success"), ("b", "success"), ("c", "failed")]
    assert tests == [("c", 0), ("c", 3)]
    assert facts == [(1,)]

    # Nothing new: the state is not even opened for writing.
    before = sha256(state)
    assert carry_over_run_log(build, state) == 0
    assert sha256(state) == before


def test_nothing_to_carry_without_files_or_logs(tmp_path: Path) -> None:
    state = tmp_path / "state.duckdb"
    make_state(state)
    assert carry_over_run_log(tmp_path / "missing.duckdb", state) == 0
    bare = tmp_path / "bare.duckdb"
    duckdb.connect(str(bare)).close()
    before = sha256(state)
    assert carry_over_run_log(bare, state) == 0
    assert sha256(state) == before
