"""The SQL that runs is the SQL the guard checked (issue 15, item 5).

Product names full of SQL syntax (``:name`` binds, ``{placeholder}``s, ``%s``,
quotes, comment markers, backslashes, a NUL, non-ASCII) are asked about
through the local engine and the Metrics picker on a real built warehouse:
each answer is that product's revenue, never a crash nor an empty answer. The
statement DuckDB executed (its own query log) is the guarded text, byte for
byte. The report templates' own rewriting (``{rpt_x}``, ``:name``) never
touches literals, quoted identifiers or comments.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import snowflake.connector

from analytics_core.settings import Settings, SnowflakeSettings
from analytics_core.snowflake import connection_parameters
from analytics_core.warehouse import (
    DuckDBClient,
    SnowflakeClient,
    bind_names,
    substitute_relations,
    translate_binds,
)
from questions.answers import Filter, Interpretation
from questions.cortex_analyst.engine import snowflake_runner
from questions.local import LocalQuestionEngine
from tests.questions.conftest import HOSTILE_PRODUCTS
from ui.metric_picker import Pick, answer_pick

pytestmark = pytest.mark.slow

AS_OF = datetime.date(2026, 6, 15)
PRODUCT = "product__product_name"


@pytest.fixture(scope="module")
def engine(hostile_warehouse: Settings) -> Iterator[LocalQuestionEngine]:
    with LocalQuestionEngine.open(hostile_warehouse) as opened:
        yield opened


@pytest.fixture(scope="module")
def revenue_by_product(engine: LocalQuestionEngine) -> dict[str, Any]:
    """Revenue per product over all time, by a query that names no product."""
    answer = engine.answer(Interpretation(metrics=("revenue",), group_by=(PRODUCT,)))
    assert answer.status == "answered", answer.explanation
    by = answer.columns.index(PRODUCT)
    value = answer.columns.index("revenue")
    assert not answer.truncated
    return {row[by]: row[value] for row in answer.rows}


def test_hostile_names_are_in_the_warehouse(
    engine: LocalQuestionEngine, revenue_by_product: dict[str, Any]
) -> None:
    for name in HOSTILE_PRODUCTS:
        assert name in engine.vocabulary.values[PRODUCT]
        assert revenue_by_product.get(name), f"{name!r} has no revenue to compare with"


@pytest.mark.parametrize("name", HOSTILE_PRODUCTS)
def test_ask_about_a_hostile_product(
    engine: LocalQuestionEngine, revenue_by_product: dict[str, Any], name: str
) -> None:
    question = "revenue for " + name.replace("\x00", " ")
    answer = engine.ask(question, as_of=AS_OF)
    assert answer.status == "answered", answer.explanation
    assert answer.interpretation is not None
    filters = {f.dimension: f.values for f in answer.interpretation.filters}
    assert filters.get(PRODUCT) == (name,), answer.explanation
    assert answer.rows == [[revenue_by_product[name]]]


@pytest.mark.parametrize("name", HOSTILE_PRODUCTS)
def test_metric_picker_on_a_hostile_product(
    engine: LocalQuestionEngine, revenue_by_product: dict[str, Any], name: str
) -> None:
    pick = Pick(metrics=("revenue",), filters={PRODUCT: (name,)})
    answer = answer_pick(engine, pick, AS_OF)
    assert answer.status == "answered", answer.explanation
    assert answer.rows == [[revenue_by_product[name]]]


def test_the_executed_statement_is_the_guarded_text(
    hostile_warehouse: Settings, engine: LocalQuestionEngine
) -> None:
    """DuckDB's own query log, on the engine ``open`` made: the last statement
    is the guarded text. (The log stops at a NUL, so the NUL name is checked
    at the driver boundary below.)"""
    # A connection to the same file in this process is the engine's database:
    # DuckDB's query log sees every statement its connections execute.
    with duckdb.connect(str(hostile_warehouse.warehouse_path), read_only=True) as spy:
        spy.execute("CALL enable_logging('QueryLog')")
        try:
            for name in (n for n in HOSTILE_PRODUCTS if "\x00" not in n):
                pick = Pick(metrics=("revenue",), filters={PRODUCT: (name,)})
                answer = answer_pick(engine, pick, AS_OF)
                assert answer.status == "answered" and answer.sql
                logged = [
                    row[0]
                    for row in spy.execute(
                        "select message from duckdb_logs where type = 'QueryLog'"
                    ).fetchall()
                ]
                assert logged, "DuckDB logged no statement"
                assert logged[-1].encode() == answer.sql.encode()
                assert name.replace("'", "''") in logged[-1]
        finally:
            spy.execute("CALL disable_logging()")


class _RecordingCursor:
    """A DuckDB cursor that remembers the text of every statement it is given."""

    def __init__(self, cursor: Any, log: list[str]) -> None:
        self._cursor, self._log = cursor, log

    def execute(self, statement: str, *args: Any) -> Any:
        self._log.append(statement)
        return self._cursor.execute(statement, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class _RecordingConnection:
    def __init__(self, connection: Any, log: list[str]) -> None:
        self._connection, self._log = connection, log

    def cursor(self) -> _RecordingCursor:
        return _RecordingCursor(self._connection.cursor(), self._log)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class _RecordingClient(DuckDBClient):
    """The real client, its connection wrapped at the driver boundary."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.executed: list[str] = []

    def _acquire(self) -> Any:
        handle = super()._acquire()
        if not isinstance(handle.connection, _RecordingConnection):
            handle.connection = _RecordingConnection(handle.connection, self.executed)  # type: ignore[assignment]
        return handle


def test_the_driver_receives_the_guarded_text(
    hostile_warehouse: Settings, engine: LocalQuestionEngine
) -> None:
    client = _RecordingClient(hostile_warehouse.warehouse_path)

    def run(sql: str) -> tuple[list[str], list[list[Any]]]:
        result = client.execute(sql)  # what LocalQuestionEngine.open's runner does
        return result.columns, [list(row) for row in result.rows]

    recorded = LocalQuestionEngine(engine.layer, runner=run, values=engine.vocabulary.values)
    try:
        for name in HOSTILE_PRODUCTS:
            answer = answer_pick(
                recorded, Pick(metrics=("revenue",), filters={PRODUCT: (name,)}), AS_OF
            )
            assert answer.status == "answered" and answer.sql and answer.rows
            assert client.executed[-1].encode() == answer.sql.encode()
    finally:
        client.close()


# --- the report templates' own rewriting ---------------------------------------------


LITERALS = [
    "'Gizmo :pro'",
    "'Widget {raw_data}'",
    "'Gadget {rpt_daily_sales}'",
    "'it''s :x {rpt_y}'",
    '"quoted :col {rpt_z}"',
    "-- a comment :c {rpt_c}\n",
    "/* :b {rpt_b} */",
    "$$ :d {rpt_d} $$",
]


@pytest.mark.parametrize("protected", LITERALS)
def test_template_rewriting_leaves_literals_alone(protected: str) -> None:
    sql = f"select {protected} as v from {{rpt_daily_sales}} where region = :region"
    qualified = substitute_relations(sql, lambda name: f"reporting.{name}")
    assert protected in qualified
    assert "from reporting.rpt_daily_sales" in qualified
    assert bind_names(sql) == {"region"}
    dollar = translate_binds(qualified, {"region": "EMEA"}, "dollar")
    assert protected in dollar and dollar.endswith("region = $region")
    pyformat = translate_binds(qualified, {"region": "EMEA"}, "pyformat")
    assert protected.replace("%", "%%") in pyformat
    assert pyformat.endswith("region = %(region)s")


def test_snowflake_backslash_escapes_are_literals() -> None:
    # In Snowflake '\'' is a quote inside the literal, not its end.
    sql = "select 'a\\' :x {rpt_q}' as v, :y as w"
    assert bind_names(sql, backslash_escapes=True) == {"y"}
    assert translate_binds(sql, {"y": 1}, "pyformat") == "select 'a\\' :x {rpt_q}' as v, %(y)s as w"
    # Snowflake's // comments; DuckDB's E'' strings escape with backslashes too.
    assert bind_names("select 1 // :c {rpt_c}\n, :d", backslash_escapes=True) == {"d"}
    assert bind_names("select E'it\\'s :x', :y") == {"y"}
    assert substitute_relations("select E'\\' {rpt_x}' from {rpt_y}", "s.{}".format) == (
        "select E'\\' {rpt_x}' from s.rpt_y"
    )


def test_report_queries_with_literals_run(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema reporting")
        connection.execute("create table reporting.rpt_daily_sales (region varchar, revenue int)")
        connection.execute(
            "insert into reporting.rpt_daily_sales values "
            "('Gizmo :pro', 1), ('Widget {raw_data}', 2), ('Gadget {rpt_daily_sales}', 4)"
        )
    client = DuckDBClient(path)
    try:
        for region, revenue in (
            ("Gizmo :pro", 1),
            ("Widget {raw_data}", 2),
            ("Gadget {rpt_daily_sales}", 4),
        ):
            literal = "'" + region.replace("'", "''") + "'"
            result = client.query(
                f"select sum(revenue) from {{rpt_daily_sales}} where region = {literal}"
                " and revenue >= :least",
                {"least": 0},
            )
            assert result.scalar() == revenue
            # Verbatim: no placeholder, no bind, the text as given.
            verbatim = client.execute(
                f"select sum(revenue) from reporting.rpt_daily_sales where region = {literal}"
            )
            assert verbatim.scalar() == revenue
    finally:
        client.close()


# --- the Snowflake question path ------------------------------------------------------


def _string_literals(sql: str, dialect: str) -> list[str]:
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read=dialect)
    return [str(node.this) for node in tree.find_all(exp.Literal) if node.is_string]


@pytest.mark.parametrize("dialect", ["duckdb", "snowflake"])
def test_filter_values_stay_one_literal_in_either_dialect(
    engine: LocalQuestionEngine, dialect: str
) -> None:
    """The compiled and guarded SQL of a filter on each hostile name holds that
    name as one string literal, read back the same in the target dialect
    (Snowflake reads backslashes as escapes, DuckDB does not)."""
    from questions.guard import default_policy, guard_sql

    compiler = LocalQuestionEngine(engine.layer, dialect=dialect, values={})  # type: ignore[arg-type]
    policy = default_policy(dialect, database="warehouse" if dialect == "duckdb" else None)
    for name in HOSTILE_PRODUCTS:
        interpretation = Interpretation(metrics=("revenue",), filters=(Filter(PRODUCT, (name,)),))
        sql = compiler.compile(interpretation)
        assert name in _string_literals(sql, dialect)
        guarded = guard_sql(sql, policy)
        assert name in _string_literals(guarded.sql, dialect)


@pytest.fixture(scope="module")
def emulator(fakesnow_server: tuple[str, int]) -> Iterator[SnowflakeSettings]:
    """``hostile_ci.reporting.rpt_daily_sales`` on the emulator: one row per
    hostile name (its revenue: its position, from 1)."""
    from tests.conftest import emulator_connection

    host, port = fakesnow_server
    env = {"SNOWFLAKE_HOST": host, "SNOWFLAKE_PORT": str(port)}
    connection = emulator_connection(env, "hostile_ci")
    try:
        cursor = connection.cursor()
        cursor.execute("create database if not exists hostile_ci")
        cursor.execute("create schema if not exists hostile_ci.reporting")
        cursor.execute(
            "create or replace table hostile_ci.reporting.rpt_daily_sales"
            " (region varchar, revenue integer)"
        )
        cursor.executemany(
            "insert into hostile_ci.reporting.rpt_daily_sales values (%(region)s, %(revenue)s)",
            [
                {"region": name, "revenue": index}
                for index, name in enumerate(SNOWFLAKE_NAMES, start=1)
            ],
        )
        cursor.close()
    finally:
        connection.close()
    yield SnowflakeSettings(
        account="fakesnow",
        user="fake",
        password="snow",
        host=host,
        port=port,
        protocol="http",
        database="hostile_ci",
    )


#: The hostile names but the NUL, which the emulator's HTTP layer cannot carry.
SNOWFLAKE_NAMES = tuple(name for name in HOSTILE_PRODUCTS if "\x00" not in name)


def test_snowflake_report_queries_and_verbatim_statements(emulator: SnowflakeSettings) -> None:
    from sqlglot import exp

    client = SnowflakeClient(emulator, "reporting", 30, "questions:test")
    params = connection_parameters(emulator)
    runner = snowflake_runner(
        lambda session: snowflake.connector.connect(**params, session_parameters=dict(session)),
        statement_timeout=30,
        query_tag="questions:test",
        max_rows=10,
    )
    try:
        for index, name in enumerate(SNOWFLAKE_NAMES, start=1):
            literal = exp.Literal.string(name).sql("snowflake")
            template = f"select sum(revenue) from {{rpt_daily_sales}} where region = {literal}"
            assert client.query(template, {}).scalar() == index
            assert client.query(template + " and revenue >= :least", {"least": 0}).scalar() == (
                index
            )
            statement = (
                f"select sum(revenue) from reporting.rpt_daily_sales where region = {literal}"
            )
            assert client.execute(statement).scalar() == index
            _, rows = runner(statement)
            assert rows == [[index]]
    finally:
        client.close()
        runner.close()
