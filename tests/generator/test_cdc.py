"""CDC rules of docs/raw-data.md hold on the change logs."""

from __future__ import annotations

import pytest

from tests.generator.conftest import END, Query, scalar

KEYS = {"shop_orders": "order_id", "shop_order_items": "order_item_id"}


@pytest.mark.parametrize(("table", "key"), KEYS.items())
def test_lsn_identifies_a_change_except_exact_duplicates(
    defective: Query, table: str, key: str
) -> None:
    distinct_rows = scalar(
        defective, f"select count(*) from (select distinct * from raw_data.{table})"
    )
    distinct_changes = scalar(
        defective, f"select count(*) from (select distinct {key}, _cdc_lsn from raw_data.{table})"
    )
    distinct_lsns = scalar(defective, f"select count(distinct _cdc_lsn) from raw_data.{table}")
    total = scalar(defective, f"select count(*) from raw_data.{table}")
    assert distinct_rows == distinct_changes == distinct_lsns
    assert total > distinct_rows  # duplicates exist at 5%


@pytest.mark.parametrize("table", KEYS)
def test_lsn_follows_change_time(history: Query, table: str) -> None:
    out_of_order = scalar(
        history,
        f"""
        select count(*) from (
            select _cdc_ts, lag(_cdc_ts) over (order by _cdc_lsn) as previous
            from raw_data.{table}
        ) where _cdc_ts < previous
        """,
    )
    assert out_of_order == 0


@pytest.mark.parametrize(("table", "key"), KEYS.items())
def test_insert_first_delete_last(defective: Query, table: str, key: str) -> None:
    summary = defective(
        f"""
        with per_key as (
            select {key},
                   count(distinct _cdc_lsn) filter (where _cdc_op = 'I') as inserts,
                   count(distinct _cdc_lsn) filter (where _cdc_op = 'D') as deletes,
                   min(_cdc_lsn) filter (where _cdc_op = 'I') as insert_lsn,
                   max(_cdc_lsn) filter (where _cdc_op = 'D') as delete_lsn,
                   min(_cdc_lsn) as first_lsn,
                   max(_cdc_lsn) as last_lsn
            from raw_data.{table} group by 1
            -- a late insert may not have landed yet for the newest keys
            having min(_cdc_ts) < date '{END}' - 6
        )
        select count(*) filter (where inserts <> 1),
               count(*) filter (where insert_lsn <> first_lsn),
               count(*) filter (where deletes > 1),
               count(*) filter (where deletes = 1 and delete_lsn <> last_lsn),
               count(*) filter (where deletes = 1)
        from per_key
        """
    )[0]
    assert summary[:4] == (0, 0, 0, 0)
    assert summary[4] > 0


def test_order_attributes_do_not_change_between_versions(history: Query) -> None:
    varying = scalar(
        history,
        """
        select count(*) from (
            select order_id from raw_data.shop_orders group by 1
            having count(distinct coalesce(customer_id, -1)) > 1
                or count(distinct order_ts) > 1
                or count(distinct channel) > 1
                or count(distinct currency) > 1
        )
        """,
    )
    assert varying == 0


def test_status_transitions_follow_the_lifecycle(history: Query) -> None:
    transitions = {
        (previous, status)
        for previous, status in history(
            """
            select lag(status) over (partition by order_id order by _cdc_lsn), status
            from (select distinct * from raw_data.shop_orders) where _cdc_op <> 'D'
            qualify lag(status) over (partition by order_id order by _cdc_lsn) is not null
            """
        )
    }
    assert transitions == {
        ("placed", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "returned"),
        ("placed", "cancelled"),
    }


def test_loaded_shortly_after_the_change(history: Query) -> None:
    lags = history(
        """
        select quantile_cont(epoch(_loaded_at - _cdc_ts), 0.5), min(_loaded_at - _cdc_ts)
        from raw_data.shop_orders
        """
    )[0]
    assert 60 <= lags[0] <= 15 * 60
    assert lags[1].total_seconds() >= 60


def test_item_changes(history: Query) -> None:
    ops: dict[str, int] = dict(
        history("select _cdc_op, count(*) from raw_data.shop_order_items group by 1")
    )
    assert 0.005 < ops["U"] / ops["I"] < 0.015
    assert 0.004 < ops["D"] / ops["I"] < 0.012
    quantity_changes = scalar(
        history,
        """
        select count(*) from (
            select order_item_id from raw_data.shop_order_items
            group by 1 having count(distinct quantity) > 1
        )
        """,
    )
    assert quantity_changes > 0
