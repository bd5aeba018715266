"""The Snowflake sink writes the same tables as the DuckDB sink (against fakesnow)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import snowflake.connector

from orchestration.generator import (
    DuckDBSink,
    GeneratorConfig,
    GeneratorError,
    SnowflakeSink,
    generate,
    increment,
)
from tests.generator.conftest import END

TABLES = ("shop_orders", "shop_order_items", "shop_customers", "shop_products", "fx_rates")
CONFIG = GeneratorConfig(scale=0.002, seed=5, end_date=END)

pytestmark = pytest.mark.timeout(180)


def _connect(server: tuple[str, int], **extra: Any) -> Any:
    host, port = server
    return snowflake.connector.connect(
        account="fakesnow",
        user="fake",
        password="snow",
        host=host,
        port=port,
        protocol="http",
        **extra,
    )


@pytest.fixture
def connection(fakesnow_server: tuple[str, int]) -> Iterator[Any]:
    database = f"generator_{uuid.uuid4().hex[:10]}"
    admin = _connect(fakesnow_server)
    admin.cursor().execute(f"create database {database}")
    admin.close()
    conn = _connect(fakesnow_server, database=database)
    yield conn
    conn.close()


def _snowflake_rows(conn: Any, table: str) -> list[tuple[Any, ...]]:
    return sorted(conn.cursor().execute(f"select * from raw_data.{table}").fetchall())


def _duckdb_rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return sorted(con.execute(f"select * from raw_data.{table}").fetchall())


def test_same_rows_as_duckdb_and_increments(connection: Any, tmp_path: Path) -> None:
    sink = SnowflakeSink(connection)
    assert sink.read_state() is None
    snowflake_summary = generate(CONFIG, sink)
    path = tmp_path / "w.duckdb"
    with DuckDBSink(path) as duck:
        duckdb_summary = generate(CONFIG, duck)
    assert snowflake_summary == duckdb_summary
    for table in TABLES:
        count = connection.cursor().execute(f"select count(*) from raw_data.{table}").fetchone()
        assert count == (duckdb_summary.rows[table],), table
        assert _snowflake_rows(connection, table) == _duckdb_rows(path, table), table

    state = sink.read_state()
    assert state is not None
    assert (state.seed, state.scale, state.end_date) == (5, 0.002, END)

    snowflake_increment = increment(3, sink)
    with DuckDBSink(path) as duck:
        duckdb_increment = increment(3, duck)
    assert snowflake_increment == duckdb_increment
    for table in TABLES:
        count = connection.cursor().execute(f"select count(*) from raw_data.{table}").fetchone()
        with duckdb.connect(str(path), read_only=True) as con:
            assert count == con.execute(f"select count(*) from raw_data.{table}").fetchone()
    new_state = sink.read_state()
    assert new_state is not None
    assert new_state.end_date == duckdb_increment.end_date


def test_contract_types_in_snowflake(connection: Any) -> None:
    generate(CONFIG, SnowflakeSink(connection))
    types = dict(
        connection.cursor()
        .execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'RAW_DATA' and table_name = 'SHOP_ORDER_ITEMS'"
        )
        .fetchall()
    )
    assert types["ORDER_ITEM_ID"] == "NUMBER"
    assert types["UNIT_PRICE"] == "NUMBER"
    assert types["_CDC_TS"] == "TIMESTAMP_NTZ"
    assert types["_CDC_OP"] == "TEXT"


class _NoDatabase:
    """A connection stub whose session has no current database (Snowflake returns NULL)."""

    def cursor(self) -> _NoDatabase:
        return self

    def execute(self, sql: str, params: object = None) -> _NoDatabase:
        assert sql == "select current_database()"
        return self

    def fetchone(self) -> tuple[None]:
        return (None,)


def test_connection_without_database() -> None:
    with pytest.raises(GeneratorError, match="no current database"):
        SnowflakeSink(_NoDatabase())  # type: ignore[arg-type]
