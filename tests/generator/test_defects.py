"""Each defect shows up at about its configured rate, and not at all at rate 0."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.generator.conftest import END, Query, scalar

#: SQL measuring each defect's rate on a generated history.
MEASURES: dict[str, str] = {
    "duplicate_cdc": """
        select (select count(*) from raw_data.shop_order_items)
             / (select count(*) from (select distinct * from raw_data.shop_order_items)) - 1
    """,
    "null_customer": """
        select avg((customer_id is null)::int) from raw_data.shop_orders where _cdc_op = 'I'
    """,
    "orphan_product": """
        select avg((product_id not in (select product_id from raw_data.shop_products))::int)
        from raw_data.shop_order_items where _cdc_op = 'I'
    """,
    "nonpositive_quantity": """
        select avg((quantity <= 0)::int) from raw_data.shop_order_items where _cdc_op = 'I'
    """,
    "future_order": """
        select avg((order_ts > _loaded_at + interval 1 day)::int)
        from raw_data.shop_orders where _cdc_op = 'I'
    """,
    "late_arrival": f"""
        select avg((_loaded_at > _cdc_ts + interval 1 day)::int)
        from raw_data.shop_order_items where _cdc_ts < date '{END}' - 5
    """,
    # Business days missing for non-USD currencies, from each one's first rate.
    "fx_gap": f"""
        with expected as (
            select currency, unnest(generate_series(min(rate_date), date '{END}' - 1,
                                                    interval 1 day))::date as rate_date
            from raw_data.fx_rates where currency <> 'USD' group by 1
        )
        select avg((f.rate_date is null)::int)
        from expected as e
        left join raw_data.fx_rates as f using (currency, rate_date)
        where isodow(e.rate_date) <= 5
    """,
}


@pytest.mark.parametrize("defect", MEASURES)
def test_defect_at_its_rate(defective: Query, defect: str) -> None:
    rate = scalar(defective, MEASURES[defect])
    assert 0.035 < rate < 0.065, f"{defect}: {rate}"


@pytest.mark.parametrize("defect", [d for d in MEASURES if d != "null_customer"])
def test_defect_absent_at_rate_zero(clean: Query, defect: str) -> None:
    assert scalar(clean, MEASURES[defect]) == 0


def test_per_defect_override(clean: Query) -> None:
    assert 0.08 < scalar(clean, MEASURES["null_customer"]) < 0.12


def test_orphans_use_ids_that_never_exist(defective: Query) -> None:
    lowest_orphan, highest_real = defective(
        """
        select min(product_id) filter (
                   where product_id not in (select product_id from raw_data.shop_products)),
               (select max(product_id) from raw_data.shop_products)
        from raw_data.shop_order_items
        """
    )[0]
    assert lowest_orphan >= 900_000_000
    assert highest_real < 900_000_000


def test_nonpositive_quantities_are_zero_or_negative(defective: Query) -> None:
    values = {
        row[0]
        for row in defective(
            "select distinct quantity from raw_data.shop_order_items where quantity <= 0"
        )
    }
    assert values == {0, -1, -2}


def test_late_rows_are_one_to_five_days_late(defective: Query) -> None:
    low, high = defective(
        """
        select min(_loaded_at - _cdc_ts), max(_loaded_at - _cdc_ts)
        from raw_data.shop_orders where _loaded_at > _cdc_ts + interval 1 hour
        """
    )[0]
    assert low.days >= 1
    assert high.days <= 5


@pytest.mark.parametrize("source", ["history", "clean"])
def test_one_currency_starts_late(source: str, request: pytest.FixtureRequest) -> None:
    q: Query = request.getfixturevalue(source)
    firsts: dict[str, dt.date] = dict(
        q("select currency, min(rate_date) from raw_data.fx_rates group by 1")
    )
    start = scalar(q, "select min(order_ts)::date from raw_data.shop_orders")
    late = {currency for currency, first in firsts.items() if first > start}
    assert late == {"EUR"}
    assert 5 <= (firsts["EUR"] - start).days <= 7
    unconvertible = scalar(
        q,
        """
        select count(*) from raw_data.shop_orders as o
        where _cdc_op = 'I' and not exists (
            select 1 from raw_data.fx_rates as f
            where f.currency = o.currency and f.rate_date <= o.order_ts::date
        )
        """,
    )
    assert unconvertible > 0
