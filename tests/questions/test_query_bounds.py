"""Bounds on what a question's query may cost (issue 15, item 6).

The guard refuses what is costly by its text alone (time travel, recursion,
joins without a condition, huge generated values), each with its reason;
what only shows when it runs is stopped where it runs: a real DuckDB query
over the statement timeout is interrupted, one over the memory limit fails
with the memory error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from analytics_core.settings import QuestionSettings, ReportServiceSettings, Settings
from analytics_core.warehouse import DuckDBClient, QueryMemoryError, QueryTimeoutError
from questions.guard import GuardError, default_policy, guard_sql
from report_service.warehouse import open_warehouse_client

DUCK = default_policy("duckdb", database="warehouse")
SNOW = default_policy("snowflake", database="ANALYTICS")
SALES = "reporting.rpt_daily_sales"

REFUSED = [
    # time travel
    (SNOW, f"select * from {SALES} at(timestamp => '2026-01-01'::timestamp)", "time_travel"),
    (SNOW, f"select * from {SALES} at(offset => -3600)", "time_travel"),
    (SNOW, f"select * from {SALES} before(statement => '8e5d0ca9-005e')", "time_travel"),
    (
        SNOW,
        f"select * from {SALES} changes(information => default) at(offset => -60)",
        "time_travel",
    ),
    (DUCK, f"select * from {SALES} at (version => 1)", "time_travel"),
    # recursion
    (
        DUCK,
        "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",
        "too_costly",
    ),
    (SNOW, "with r as (select 1 as n union all select n + 1 from r) select n from r", "too_costly"),
    (
        SNOW,
        f"select region from {SALES} start with region = 'x' connect by prior region = region",
        "too_costly",
    ),
    # joins without a condition
    (DUCK, f"select count(*) from {SALES} a, {SALES} b", "too_costly"),
    (DUCK, f"select count(*) from {SALES} a cross join {SALES} b", "too_costly"),
    (DUCK, f"select count(*) from {SALES} a join {SALES} b on true", "too_costly"),
    (DUCK, f"select count(*) from {SALES} a join {SALES} b on 1 = 1", "too_costly"),
    (DUCK, f"select count(*) from {SALES} a natural join {SALES} b", "too_costly"),
    (DUCK, f"select count(*) from {SALES} a positional join {SALES} b", "too_costly"),
    (
        DUCK,
        f"select count(*) from {SALES} a, {SALES} b, {SALES} c where a.region = b.region",
        "too_costly",
    ),
    (
        DUCK,
        f"select count(*) from {SALES} a, lateral (select region from {SALES}) b",
        "too_costly",
    ),
    # huge generated values
    (DUCK, "select lpad('x', 2000000000, 'y')", "too_costly"),
    (DUCK, "select rpad('x', 1000001, 'y')", "too_costly"),
    (DUCK, f"select lpad('x', cast(max(revenue) as int), 'y') from {SALES}", "too_costly"),
    (SNOW, "select lpad('x', 2000000000, 'y')", "too_costly"),
    (
        DUCK,
        f"select replace(replace(region, 'A', repeat_me), 'A', 'AAAAAAAA') from {SALES}",
        "too_costly",
    ),
    (
        DUCK,
        "select generate_date_array(date '0001-01-01', date '9999-12-31', interval 1 day)",
        "too_costly",
    ),
]


@pytest.mark.parametrize(("policy", "sql", "reason"), REFUSED)
def test_the_guard_refuses_cost_bombs(policy, sql: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GuardError) as refused:
        guard_sql(sql, policy)
    assert refused.value.reason == reason, str(refused.value)
    assert str(refused.value)


ACCEPTED = [
    # MetricFlow's shape for several metrics: single-row aggregates side by side.
    f"select max(a.r), max(b.r) from (select sum(revenue) as r from {SALES}) a"
    f" cross join (select sum(orders) as r from {SALES}) b",
    f"select a.region from {SALES} a join {SALES} b on a.region = b.region",
    f"select lpad(region, 12, ' ') from {SALES}",
    f"select replace(region, 'A', 'B') from {SALES}",
    f"select s.region from {SALES} s, lateral (select max(revenue) as m from {SALES}) k",
]


@pytest.mark.parametrize("sql", ACCEPTED)
def test_the_guard_accepts_bounded_shapes(sql: str) -> None:
    guard_sql(sql, DUCK)


# --- bounds where the query runs ---------------------------------------------------


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema reporting")
        connection.execute(
            "create table reporting.rpt_daily_sales as"
            " select 'EMEA' as region, range as revenue from range(1000)"
        )
    return path


@pytest.fixture
def bounded(warehouse: Path) -> Iterator[DuckDBClient]:
    client = DuckDBClient(warehouse, statement_timeout_seconds=1, memory_limit="100MB")
    yield client
    client.close()


def test_a_long_query_is_stopped_after_the_timeout(bounded: DuckDBClient) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match=r"longer than 1 s and was stopped"):
        bounded.execute(
            "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r"
        )
    assert time.monotonic() - started < 20
    # The client still answers afterwards.
    assert bounded.query("select count(*) from {rpt_daily_sales}", {}).scalar() == 1000


def test_a_query_over_the_memory_limit_fails_with_the_memory_error(bounded: DuckDBClient) -> None:
    with pytest.raises(QueryMemoryError, match=r"more memory than the limit \(100MB\)"):
        bounded.execute(
            "select count(distinct range::varchar || 'abcdefghijabcdefghij') from range(50000000)"
        )
    assert bounded.execute("select current_setting('max_temp_directory_size')").scalar() in (
        "0 bytes",
        "0B",
    )
    assert bounded.query("select sum(revenue) from {rpt_daily_sales}", {}).scalar() == 499500


def test_settings_give_both_clients_their_bounds(warehouse: Path, tmp_path: Path) -> None:
    questions = QuestionSettings()
    assert questions.statement_timeout_seconds == 30 and questions.memory_limit == "2GB"
    with pytest.raises(ValueError):
        QuestionSettings(memory_limit="2GB'; drop table x; --")
    with pytest.raises(ValueError):
        ReportServiceSettings(duckdb_memory_limit="lots")
    settings = Settings(home=tmp_path / "home")
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    warehouse.rename(settings.warehouse_path)
    service = ReportServiceSettings(statement_timeout_seconds=7, duckdb_memory_limit="300MB")
    client = open_warehouse_client(service, settings)
    try:
        assert isinstance(client, DuckDBClient)
        assert client.statement_timeout_seconds == 7 and client.memory_limit == "300MB"
        limit = client.execute("select current_setting('memory_limit')").scalar()
        assert limit.startswith(("286", "300"))  # 300MB shown as 286.1 MiB
    finally:
        client.close()
