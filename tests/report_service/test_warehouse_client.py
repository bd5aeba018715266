"""The report service's warehouse clients, on real DuckDB files and on the
fakesnow Snowflake emulator (with the small warehouse's reporting rows copied
into it): every report renders the same numbers from both."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics_core.errors import ConfigurationError
from analytics_core.settings import ReportServiceSettings, Settings, SnowflakeSettings
from analytics_core.warehouse import DuckDBClient, SnowflakeClient, WarehouseError, translate_binds
from report_service.models import ReportError
from report_service.reports import CATALOG, render_report
from report_service.warehouse import (
    check_ready,
    open_warehouse_client,
    required_relations,
    snowflake_from_env,
)
from tests.conftest import emulator_connection

HOSTILE = "'; drop table reporting.rpt_daily_sales; --"


def write_warehouse(path: Path, revenue: int, *, extra_relations: bool = True) -> None:
    """A tiny published-style DuckDB file with a ``reporting`` schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path))
    try:
        connection.execute("create schema reporting")
        connection.execute(
            "create table reporting.rpt_daily_sales as select * from (values"
            f" (date '2026-06-30', 'EMEA', 'web', {revenue}.00::decimal(18,2), 2, 3),"
            f" (date '2026-06-30', 'AMER', 'web', 1.50::decimal(18,2), 1, 1))"
            " as t(order_date, region, channel, revenue_usd, orders, units_sold)"
        )
        if extra_relations:
            # Lacks most columns on purpose.
            connection.execute(
                "create table reporting.rpt_weekly_kpis (week_start date, region varchar)"
            )
    finally:
        connection.close()


def replace_atomically(target: Path, revenue: int) -> None:
    staging = target.with_name("incoming.duckdb")
    write_warehouse(staging, revenue)
    os.replace(staging, target)


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[tuple[Path, DuckDBClient]]:
    path = tmp_path / "warehouse.duckdb"
    write_warehouse(path, 100)
    client = DuckDBClient(path)
    yield path, client
    client.close()


REVENUE = "select sum(revenue_usd) as revenue from {rpt_daily_sales} where region = :region"


# ------------------------------------------------------------------ neutral SQL


def test_binds_are_translated_per_driver() -> None:
    sql = "select a::int from x where a = :a and b = :b_2 and c like '%z'"
    assert translate_binds(sql, {"a": 1, "b_2": 2}, "dollar") == (
        "select a::int from x where a = $a and b = $b_2 and c like '%z'"
    )
    assert translate_binds(sql, {"a": 1, "b_2": 2}, "pyformat") == (
        "select a::int from x where a = %(a)s and b = %(b_2)s and c like '%%z'"
    )
    with pytest.raises(ValueError, match="missing bind parameters: b_2"):
        translate_binds(sql, {"a": 1}, "dollar")


def test_only_reporting_relations_can_be_placeholders(tiny: tuple[Path, DuckDBClient]) -> None:
    _, client = tiny
    with pytest.raises(ValueError, match="not a reporting relation"):
        client.query("select * from {raw_orders}", {})
    with pytest.raises(ValueError, match="not a reporting relation"):
        client.relation_columns("rpt_daily_sales; drop table x")


# ------------------------------------------------------------------ DuckDB


def test_duckdb_query_and_columns(tiny: tuple[Path, DuckDBClient]) -> None:
    _, client = tiny
    result = client.query(REVENUE, {"region": "EMEA"})
    assert result.columns == ["revenue"]
    assert str(result.scalar()) == "100.00"
    # Values the statement does not use are ignored.
    assert str(client.query(REVENUE, {"region": "EMEA", "unused": 1}).scalar()) == "100.00"
    assert client.relation_columns("rpt_daily_sales") == [
        "order_date",
        "region",
        "channel",
        "revenue_usd",
        "orders",
        "units_sold",
    ]
    assert client.relation_columns("rpt_missing") is None


def test_bind_values_are_data_not_sql(tiny: tuple[Path, DuckDBClient]) -> None:
    _, client = tiny
    assert client.query(REVENUE, {"region": HOSTILE}).scalar() is None
    count = client.query(
        "select count(*) from {rpt_daily_sales} where region = :region or channel = :region",
        {"region": "' or '1'='1"},
    )
    assert count.scalar() == 0
    assert client.query("select count(*) from {rpt_daily_sales}", {}).scalar() == 2


def test_duckdb_client_is_read_only(tiny: tuple[Path, DuckDBClient]) -> None:
    _, client = tiny
    with pytest.raises(WarehouseError, match="read-only"):
        client.query("delete from {rpt_daily_sales}", {})


def test_parallel_queries(tiny: tuple[Path, DuckDBClient]) -> None:
    _, client = tiny
    regions = ["EMEA", "AMER", "APAC"] * 40

    def run(region: str) -> Any:
        return client.query(REVENUE, {"region": region}).scalar()

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(run, regions))
    expected = {"EMEA": "100.00", "AMER": "1.50", "APAC": "None"}
    assert [str(r) for r in results] == [expected[r] for r in regions]


def test_reopens_when_the_file_is_replaced(tiny: tuple[Path, DuckDBClient]) -> None:
    path, client = tiny
    assert str(client.query(REVENUE, {"region": "EMEA"}).scalar()) == "100.00"
    replace_atomically(path, 250)
    assert str(client.query(REVENUE, {"region": "EMEA"}).scalar()) == "250.00"
    # Replacements while other threads query: every answer is one whole version.
    stop = threading.Event()
    seen: set[str] = set()
    errors: list[BaseException] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.add(str(client.query(REVENUE, {"region": "EMEA"}).scalar()))
            except BaseException as exc:  # collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for revenue in (300, 400, 500):
        replace_atomically(path, revenue)
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors
    assert seen <= {"250.00", "300.00", "400.00", "500.00"}
    assert str(client.query(REVENUE, {"region": "EMEA"}).scalar()) == "500.00"


def test_check_ready_reports_missing_relations_and_columns(
    tiny: tuple[Path, DuckDBClient],
) -> None:
    _, client = tiny
    reasons = check_ready(client, CATALOG)
    needed = required_relations(CATALOG)
    assert "reporting relation rpt_product_performance does not exist" in reasons
    weekly = [r for r in reasons if "rpt_weekly_kpis" in r]
    assert len(weekly) == 1 and "lacks columns" in weekly[0] and "revenue_usd" in weekly[0]
    # rpt_daily_sales has every column the catalog reads.
    assert not [r for r in reasons if "rpt_daily_sales" in r]
    assert len(reasons) == len(needed) - 1


def test_check_ready_without_a_published_warehouse(tmp_path: Path) -> None:
    client = DuckDBClient(tmp_path / "nothing" / "warehouse.duckdb")
    reasons = check_ready(client, CATALOG)
    assert len(reasons) == 1
    assert "no published warehouse" in reasons[0]
    with pytest.raises(WarehouseError) as info:
        client.query("select 1", {})
    assert info.value.retryable is True
    # What renders reports sees the report service's error, still retryable.
    with pytest.raises(ReportError, match="no published warehouse") as rendering:
        render_report("daily_sales", {"date": "2026-06-30"}, ["json"], client, tmp_path)
    assert rendering.value.retryable is True
    client.close()


def test_open_warehouse_client_follows_settings(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    duck = open_warehouse_client(ReportServiceSettings(warehouse="duckdb"), settings)
    assert isinstance(duck, DuckDBClient) and duck.path == settings.warehouse_path
    given = SnowflakeSettings(database="ci_analytics")
    snow = open_warehouse_client(
        ReportServiceSettings(warehouse="snowflake", reporting_schema="ci_reporting"),
        settings,
        given,
    )
    assert isinstance(snow, SnowflakeClient) and snow.schema == "ci_reporting"
    # The account is passed in by the entry point, never read here.
    with pytest.raises(ConfigurationError, match="no Snowflake settings were given"):
        open_warehouse_client(ReportServiceSettings(warehouse="snowflake"), settings)
    assert snowflake_from_env(ReportServiceSettings(warehouse="duckdb")) is None
    assert isinstance(
        snowflake_from_env(ReportServiceSettings(warehouse="snowflake")), SnowflakeSettings
    )
    passed = open_warehouse_client(ReportServiceSettings(warehouse="snowflake"), settings, given)
    assert isinstance(passed, SnowflakeClient) and passed.settings is given
    duck.close()
    snow.close()
    passed.close()


# ------------------------------------------------------------------ Snowflake emulator

DATABASE = "reports_ci"

_TYPES = {
    "BIGINT": "number(38,0)",
    "INTEGER": "number(38,0)",
    "HUGEINT": "number(38,0)",
    "DOUBLE": "float",
    "FLOAT": "float",
    "VARCHAR": "varchar",
    "DATE": "date",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp_ntz",
    "TIMESTAMP WITH TIME ZONE": "timestamp_tz",
}


def snowflake_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "number")
    return _TYPES[duckdb_type]


#: Inserting into the emulator costs a few milliseconds a row, so the two
#: biggest relations are copied only where the reports can read them: sales
#: and product rows of the last months (the rendered periods are the latest
#: ones) and anomalous volume rows (the only ones a report shows).
COPY_FILTERS = {
    "rpt_product_performance": (
        "order_date >= (select max(order_date) - 30 from reporting.rpt_product_performance)"
    ),
    "rpt_raw_volume_daily": "is_anomaly",
    # The reports read at most 12 weeks back from the latest sales day.
    "rpt_daily_sales": (
        "order_date >= (select max(order_date) - 120 from reporting.rpt_daily_sales)"
    ),
}


@pytest.fixture(scope="module")
def emulator(
    fakesnow_server: tuple[str, int], small_warehouse: Settings
) -> Iterator[SnowflakeSettings]:
    """The catalog's reporting relations, copied row for row from the small
    DuckDB warehouse into ``reports_ci.reporting`` on the emulator (see
    :data:`COPY_FILTERS`)."""
    host, port = fakesnow_server
    env = {"SNOWFLAKE_HOST": host, "SNOWFLAKE_PORT": str(port)}
    source = duckdb.connect(str(small_warehouse.warehouse_path), read_only=True)
    target = emulator_connection(env, DATABASE)
    try:
        cursor = target.cursor()
        cursor.execute(f"create database if not exists {DATABASE}")
        cursor.execute(f"create schema if not exists {DATABASE}.reporting")
        for relation in sorted(required_relations(CATALOG)):
            columns = source.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'reporting' and table_name = ? order by ordinal_position",
                [relation],
            ).fetchall()
            definition = ", ".join(f"{name} {snowflake_type(kind)}" for name, kind in columns)
            cursor.execute(f"create or replace table reporting.{relation} ({definition})")
            where = COPY_FILTERS.get(relation, "true")
            rows = source.execute(f"select * from reporting.{relation} where {where}").fetchall()
            if rows:
                names = [name for name, _ in columns]
                placeholders = ", ".join(f"%({name})s" for name in names)
                cursor.executemany(
                    f"insert into reporting.{relation} values ({placeholders})",
                    [dict(zip(names, row, strict=True)) for row in rows],
                )
        cursor.close()
    finally:
        target.close()
        source.close()
    yield SnowflakeSettings(
        account="fakesnow",
        user="fake",
        password="snow",
        host=host,
        port=port,
        protocol="http",
        database=DATABASE,
    )


@pytest.fixture(scope="module")
def snowflake_client(emulator: SnowflakeSettings) -> Iterator[SnowflakeClient]:
    client = SnowflakeClient(
        emulator, schema="reporting", statement_timeout_seconds=60, query_tag="report_service:test"
    )
    yield client
    client.close()


def comparable(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    document.pop("generated_at")
    return document


def assert_same_document(actual_path: Path, expected_path: Path) -> None:
    """Equal documents (but for generation time), compared piece by piece for
    readable failures."""
    actual, expected = comparable(actual_path), comparable(expected_path)
    assert actual["params"] == expected["params"]
    assert actual["kpis"] == expected["kpis"]
    assert [t["name"] for t in actual["tables"]] == [t["name"] for t in expected["tables"]]
    for got, want in zip(actual["tables"], expected["tables"], strict=True):
        assert got["columns"] == want["columns"], want["name"]
        assert len(got["rows"]) == len(want["rows"]), want["name"]
        for got_row, want_row in zip(got["rows"], want["rows"], strict=True):
            assert got_row == want_row, want["name"]
    assert actual == expected


@pytest.mark.slow
def test_emulator_renders_the_same_numbers_as_duckdb(
    small_warehouse: Settings, snowflake_client: SnowflakeClient, tmp_path: Path
) -> None:
    duck = DuckDBClient(small_warehouse.warehouse_path)
    try:
        for report_type in CATALOG:
            from_duckdb = render_report(report_type, {}, ["json"], duck, tmp_path / "duckdb")
            params = json.loads(from_duckdb["json"].read_text())["params"]
            from_snowflake = render_report(
                report_type, params, ["json", "csv"], snowflake_client, tmp_path / "snowflake"
            )
            assert_same_document(from_snowflake["json"], from_duckdb["json"])
    finally:
        duck.close()


@pytest.mark.slow
def test_emulator_defaults_match_duckdb(
    small_warehouse: Settings, snowflake_client: SnowflakeClient, tmp_path: Path
) -> None:
    duck = DuckDBClient(small_warehouse.warehouse_path)
    try:
        for report_type in ("daily_sales", "weekly_executive"):
            a = render_report(report_type, {}, ["json"], duck, tmp_path / "d")["json"]
            b = render_report(report_type, {}, ["json"], snowflake_client, tmp_path / "s")["json"]
            assert_same_document(b, a)
    finally:
        duck.close()


@pytest.mark.slow
def test_snowflake_client_basics(snowflake_client: SnowflakeClient) -> None:
    assert check_ready(snowflake_client, CATALOG) == []
    columns = snowflake_client.relation_columns("rpt_daily_sales")
    assert columns is not None and columns[:3] == ["order_date", "region", "channel"]
    assert snowflake_client.relation_columns("rpt_missing") is None
    result = snowflake_client.query(
        "select count(*) as n from {rpt_daily_sales} where region = :region", {"region": HOSTILE}
    )
    assert result.columns == ["n"] and result.scalar() == 0
    day = snowflake_client.query(
        "select max(order_date) as d from {rpt_daily_sales} where order_date <= cast(:day as date)",
        {"day": dt.date(2026, 6, 30)},
    ).scalar()
    assert day == dt.date(2026, 6, 30)
    assert snowflake_client.query("select count(*) from {rpt_daily_sales}", {}).scalar() > 0


@pytest.mark.slow
def test_snowflake_parallel_queries(snowflake_client: SnowflakeClient) -> None:
    def run(region: str) -> Any:
        return snowflake_client.query(
            "select count(*) from {rpt_daily_sales} where region = :region", {"region": region}
        ).scalar()

    regions = ["EMEA", "AMER", "APAC", "UNKNOWN"] * 5
    expected = [run(region) for region in regions[:4]] * 5
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(run, regions)) == expected


@pytest.mark.slow
def test_snowflake_reconnects_after_the_connection_is_closed(
    emulator: SnowflakeSettings,
) -> None:
    client = SnowflakeClient(emulator, "reporting", 30, "report_service:test")
    try:
        assert client.query("select count(*) from {rpt_dbt_runs}", {}).scalar() >= 0
        # The idle session drops (as after a network failure or a timeout).
        (connection,) = client.pool._idle
        connection.close()
        assert client.query("select count(*) from {rpt_dbt_runs}", {}).scalar() >= 0
    finally:
        client.close()


@pytest.mark.slow
def test_snowflake_errors_are_retryable_warehouse_errors(
    emulator: SnowflakeSettings, snowflake_client: SnowflakeClient
) -> None:
    with pytest.raises(WarehouseError, match="warehouse query failed") as info:
        snowflake_client.query("select * from {rpt_no_such_view}", {})
    assert info.value.retryable is True
    assert emulator.password is not None and f"'{emulator.password}'" not in str(info.value)
    # The client still works after a failed query.
    assert snowflake_client.query("select count(*) from {rpt_dbt_runs}", {}).scalar() >= 0
    elsewhere = SnowflakeClient(emulator, "no_such_schema", 5, "report_service:test")
    try:
        reasons = check_ready(elsewhere, CATALOG)
    finally:
        elsewhere.close()
    assert len(reasons) == len(required_relations(CATALOG))
    assert all("does not exist" in r for r in reasons)
