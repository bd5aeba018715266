"""generate(D) + increment(N) writes exactly what the world implies for (D, D+N]."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.generator import DuckDBSink, GenerationSummary, increment
from orchestration.generator.cdc import MAX_LOAD_DELAY_US
from orchestration.generator.generation import LOOKBACK_DAYS
from orchestration.generator.orders import MAX_CHANGE_DAYS
from orchestration.generator.timeline import US_PER_DAY
from tests.generator.conftest import END, Query, generate_into, horizon, query, scalar

DAYS = 10
NEW_END = END + dt.timedelta(days=DAYS)
CHANGE_LOGS = {"shop_orders": "order_id", "shop_order_items": "order_item_id"}
#: Late arrivals at 5% so that some land in the increment.
CONFIG: dict[str, Any] = {"seed": 3, "defect_rates": {"late_arrival": 0.05}}


@dataclass(frozen=True)
class Increments:
    continued: Query
    summary: GenerationSummary
    fresh: Query
    in_two_steps: Query


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Increments:
    root = tmp_path_factory.mktemp("increment")
    generate_into(root / "continued.duckdb", **CONFIG)
    with DuckDBSink(root / "continued.duckdb") as sink:
        summary = increment(DAYS, sink)
    generate_into(root / "fresh.duckdb", end_date=NEW_END, **CONFIG)
    generate_into(root / "two.duckdb", **CONFIG)
    with DuckDBSink(root / "two.duckdb") as sink:
        increment(4, sink)
        increment(DAYS - 4, sink)
    return Increments(
        continued=query(root / "continued.duckdb"),
        summary=summary,
        fresh=query(root / "fresh.duckdb"),
        in_two_steps=query(root / "two.duckdb"),
    )


def test_lookback_covers_every_change() -> None:
    assert LOOKBACK_DAYS * US_PER_DAY > MAX_CHANGE_DAYS * US_PER_DAY + MAX_LOAD_DELAY_US


def test_summary_and_state(runs: Increments) -> None:
    assert runs.summary.start_date == END + dt.timedelta(days=1)
    assert runs.summary.end_date == NEW_END
    assert scalar(runs.continued, "select end_date from _generator.state") == NEW_END
    start = scalar(runs.continued, "select start_date from _generator.state")
    assert start == END - dt.timedelta(days=730)


def test_increment_writes_only_its_window(runs: Increments) -> None:
    for table in (*CHANGE_LOGS, "fx_rates"):
        new_rows, latest = runs.continued(
            f"select count(*) filter (where _loaded_at > '{horizon(END)}'), max(_loaded_at) "
            f"from raw_data.{table}"
        )[0]
        assert new_rows == runs.summary.rows[table] > 0, table
        assert latest <= horizon(NEW_END)
    for table in ("shop_customers", "shop_products"):
        count = scalar(runs.continued, f"select count(*) from raw_data.{table}")
        assert count == runs.summary.rows[table]


def test_increment_carries_changes_of_earlier_orders(runs: Increments) -> None:
    transitions, late_rows = runs.continued(
        f"""
        select count(*) filter (where _cdc_op in ('U', 'D') and order_id // 1000000
                                < datediff('day', date '1970-01-01', date '{END}') + 1),
               count(*) filter (where _cdc_ts < timestamp '{horizon(END)}' - interval 1 day)
        from raw_data.shop_orders where _loaded_at > '{horizon(END)}'
        """
    )[0]
    assert transitions > 0
    assert late_rows > 0
    late_items = scalar(
        runs.continued,
        f"""
        select count(*) from raw_data.shop_order_items
        where _loaded_at > '{horizon(END)}'
          and _cdc_ts < timestamp '{horizon(END)}' - interval 1 day
        """,
    )
    assert late_items > 0


@pytest.mark.parametrize(("table", "key"), CHANGE_LOGS.items())
def test_lsn_order_survives_the_increment(runs: Increments, table: str, key: str) -> None:
    broken = runs.continued(
        f"""
        with per_key as (
            select {key},
                   min(_cdc_lsn) filter (where _cdc_op = 'I') as insert_lsn,
                   min(_cdc_lsn) as first_lsn,
                   max(_cdc_lsn) filter (where _cdc_op = 'D') as delete_lsn,
                   max(_cdc_lsn) as last_lsn
            from raw_data.{table} group by 1
            having min(_cdc_ts) < date '{NEW_END}' - 6
        )
        select count(*) filter (where insert_lsn is distinct from first_lsn),
               count(*) filter (where delete_lsn is not null and delete_lsn <> last_lsn)
        from per_key
        """
    )[0]
    assert broken == (0, 0)
    out_of_order = scalar(
        runs.continued,
        f"""
        select count(*) from (
            select _cdc_ts, lag(_cdc_ts) over (order by _cdc_lsn) as previous
            from raw_data.{table}
        ) where _cdc_ts < previous
        """,
    )
    assert out_of_order == 0


def _rows(q: Query, table: str, where: str) -> list[tuple[object, ...]]:
    return q(f"select * from raw_data.{table} where {where} order by all")


@pytest.mark.parametrize("table", CHANGE_LOGS)
def test_increment_equals_a_fresh_history(runs: Increments, table: str) -> None:
    fresh_start = NEW_END - dt.timedelta(days=730)
    first_order_id = (fresh_start - dt.date(1970, 1, 1)).days * 1_000_000
    where = (
        f"_loaded_at > '{horizon(END)}' and _loaded_at <= '{horizon(NEW_END)}' "
        f"and order_id >= {first_order_id}"
    )
    continued = _rows(runs.continued, table, where)
    assert continued
    assert continued == _rows(runs.fresh, table, where)


def test_exchange_rates_and_extracts_equal_a_fresh_history(runs: Increments) -> None:
    window = f"_loaded_at > '{horizon(END)}'"
    assert _rows(runs.continued, "fx_rates", window) == _rows(runs.fresh, "fx_rates", window)
    for table in ("shop_customers", "shop_products"):
        assert _rows(runs.continued, table, "true") == _rows(runs.fresh, table, "true")


@pytest.mark.parametrize(
    "table", ["shop_orders", "shop_order_items", "shop_customers", "shop_products", "fx_rates"]
)
def test_two_small_increments_equal_one_big_one(runs: Increments, table: str) -> None:
    assert _rows(runs.continued, table, "true") == _rows(runs.in_two_steps, table, "true")


def test_extract_rows_change_only_when_the_source_changed(runs: Increments) -> None:
    """Customers unchanged since the first load keep their _loaded_at."""
    changed = scalar(
        runs.continued,
        f"select count(*) from raw_data.shop_customers where _loaded_at > '{horizon(END)}'",
    )
    total = scalar(runs.continued, "select count(*) from raw_data.shop_customers")
    assert 0 < changed < 0.1 * total


def test_increment_after_generate_in_another_process_uses_stored_state(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    generate_into(path, scale=0.005, seed=11, defect_rate=0.0)
    with duckdb.connect(str(path)) as con:
        rates = con.execute("select seed, scale, defect_rates from _generator.state").fetchone()
    assert rates is not None
    assert rates[:2] == (11, 0.005)
    with DuckDBSink(path) as sink:
        summary = increment(1, sink)
    assert summary.rows["shop_orders"] > 0
    duplicates = scalar(
        query(path),
        "select count(*) - (select count(*) from (select distinct * from raw_data.shop_orders)) "
        "from raw_data.shop_orders",
    )
    assert duplicates == 0  # the stored defect rate 0 was used, not the default
