"""The generated tables match docs/raw-data.md and have a realistic shape."""

from __future__ import annotations

from tests.generator.conftest import END, SCALE, START, Query, horizon, scalar

#: Written out from docs/raw-data.md (not imported from the generator).
CONTRACT = {
    "shop_orders": {
        "order_id": "BIGINT",
        "customer_id": "BIGINT",
        "order_ts": "TIMESTAMP",
        "channel": "VARCHAR",
        "status": "VARCHAR",
        "currency": "VARCHAR",
        "_cdc_op": "VARCHAR",
        "_cdc_ts": "TIMESTAMP",
        "_cdc_lsn": "BIGINT",
        "_loaded_at": "TIMESTAMP",
    },
    "shop_order_items": {
        "order_item_id": "BIGINT",
        "order_id": "BIGINT",
        "product_id": "BIGINT",
        "quantity": "INTEGER",
        "unit_price": "DECIMAL(12,2)",
        "discount_amount": "DECIMAL(12,2)",
        "_cdc_op": "VARCHAR",
        "_cdc_ts": "TIMESTAMP",
        "_cdc_lsn": "BIGINT",
        "_loaded_at": "TIMESTAMP",
    },
    "shop_customers": {
        "customer_id": "BIGINT",
        "email": "VARCHAR",
        "full_name": "VARCHAR",
        "country_code": "VARCHAR",
        "segment": "VARCHAR",
        "signup_at": "TIMESTAMP",
        "updated_at": "TIMESTAMP",
        "_loaded_at": "TIMESTAMP",
    },
    "shop_products": {
        "product_id": "BIGINT",
        "sku": "VARCHAR",
        "product_name": "VARCHAR",
        "category": "VARCHAR",
        "unit_cost": "DECIMAL(12,2)",
        "list_price": "DECIMAL(12,2)",
        "is_active": "BOOLEAN",
        "updated_at": "TIMESTAMP",
        "_loaded_at": "TIMESTAMP",
    },
    "fx_rates": {
        "rate_date": "DATE",
        "currency": "VARCHAR",
        "usd_per_unit": "DECIMAL(18,8)",
        "_loaded_at": "TIMESTAMP",
    },
}


def test_every_contract_column_with_its_type(history: Query) -> None:
    rows = history(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'raw_data' order by table_name, ordinal_position"
    )
    found: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        found.setdefault(table, {})[column] = data_type
    assert found == CONTRACT


def test_state_lives_outside_raw_data(history: Query) -> None:
    schemas = history(
        "select table_schema from information_schema.tables where table_name = 'state'"
    )
    assert schemas == [("_generator",)]


def test_every_table_has_rows_and_nothing_loaded_after_the_horizon(history: Query) -> None:
    for table in CONTRACT:
        count, latest = history(f"select count(*), max(_loaded_at) from raw_data.{table}")[0]
        assert count > 0, table
        assert latest <= horizon(END), table


def test_volume_matches_the_scale(history: Query) -> None:
    orders = scalar(history, "select count(distinct order_id) from raw_data.shop_orders")
    items = scalar(history, "select count(distinct order_item_id) from raw_data.shop_order_items")
    # 400,000 orders and ~1,000,000 items per 2 years at scale 1 (a bit less before 2026-11).
    assert 0.8 * 400_000 * SCALE < orders < 1.1 * 400_000 * SCALE
    assert 2.2 < items / orders < 2.8
    customers = scalar(history, "select count(*) from raw_data.shop_customers")
    assert 0.7 * 60_000 * SCALE < customers < 1.1 * 60_000 * SCALE


def test_orders_lie_in_the_history_window(history: Query) -> None:
    first, last = history(
        "select min(_cdc_ts)::date, max(_cdc_ts)::date from raw_data.shop_orders "
        "where _cdc_op = 'I'"
    )[0]
    assert first == START
    assert last == END


def test_categorical_columns_stay_in_their_sets(history: Query) -> None:
    def values(sql: str) -> set[object]:
        return {row[0] for row in history(sql)}

    assert values("select distinct status from raw_data.shop_orders") == {
        "placed",
        "shipped",
        "delivered",
        "cancelled",
        "returned",
    }
    assert values("select distinct channel from raw_data.shop_orders") == {
        "web",
        "mobile",
        "store",
        "partner",
    }
    assert values("select distinct _cdc_op from raw_data.shop_orders") == {"I", "U", "D"}
    assert values("select distinct _cdc_op from raw_data.shop_order_items") == {"I", "U", "D"}
    assert values("select distinct segment from raw_data.shop_customers") == {
        "consumer",
        "small_business",
        "enterprise",
    }
    assert values("select distinct category from raw_data.shop_products") == {
        "electronics",
        "home",
        "apparel",
        "beauty",
        "sports",
        "toys",
        "grocery",
        "books",
    }
    currencies = values("select distinct currency_code from countries")
    assert values("select distinct currency from raw_data.shop_orders") <= currencies
    assert values("select distinct currency from raw_data.fx_rates") == currencies
    assert values("select distinct country_code from raw_data.shop_customers") <= values(
        "select country_code from countries"
    )


def test_order_currency_is_the_customers_country_currency(history: Query) -> None:
    # Customers who moved country since may differ; they are few.
    mismatched, total = history(
        """
        select count(*) filter (where o.currency <> c.currency_code), count(*)
        from raw_data.shop_orders as o
        join raw_data.shop_customers as cu using (customer_id)
        join countries as c on c.country_code = cu.country_code
        where o._cdc_op = 'I'
        """
    )[0]
    assert mismatched < 0.03 * total


def test_customers_signed_up_before_their_orders(history: Query) -> None:
    assert (
        scalar(
            history,
            """
            select count(*) from raw_data.shop_orders as o
            join raw_data.shop_customers as c using (customer_id)
            where c.signup_at >= o._cdc_ts
            """,
        )
        == 0
    )


def test_region_and_segment_mix(history: Query) -> None:
    shares: dict[str, float] = dict(
        history(
            """
            select c.region, count(*) / sum(count(*)) over ()
            from raw_data.shop_orders as o
            join raw_data.shop_customers as cu using (customer_id)
            join countries as c on c.country_code = cu.country_code
            where o._cdc_op = 'I'
            group by 1
            """
        )
    )
    assert abs(shares["AMER"] - 0.45) < 0.06
    assert abs(shares["EMEA"] - 0.35) < 0.06
    assert abs(shares["APAC"] - 0.20) < 0.06
    consumer = scalar(
        history, "select avg((segment = 'consumer')::int) from raw_data.shop_customers"
    )
    assert 0.72 < consumer < 0.88


def test_weekly_seasonality_is_visible(history: Query) -> None:
    weekend, weekday = history(
        """
        with per_day as (
            select _cdc_ts::date as day, count(*) as orders
            from raw_data.shop_orders where _cdc_op = 'I' group by 1
        )
        select avg(orders) filter (where isodow(day) >= 6),
               avg(orders) filter (where isodow(day) <= 5)
        from per_day
        """
    )[0]
    assert weekend > 1.12 * weekday


def test_yearly_peak_in_november_and_december(history: Query) -> None:
    peak, summer = history(
        """
        select count(*) filter (where month(_cdc_ts) in (11, 12) and year(_cdc_ts) = 2025),
               count(*) filter (where month(_cdc_ts) in (7, 8) and year(_cdc_ts) = 2025)
        from raw_data.shop_orders where _cdc_op = 'I'
        """
    )[0]
    assert peak > 1.3 * summer


def test_lifecycle_shares(history: Query) -> None:
    current: dict[str, float] = dict(
        history(
            """
            with latest as (
                select * from raw_data.shop_orders
                qualify row_number() over (partition by order_id order by _cdc_lsn desc) = 1
            )
            select status, count(*) / sum(count(*)) over () from latest
            where _cdc_op <> 'D' and _cdc_ts < timestamp '2026-05-01'
            group by 1
            """
        )
    )
    assert 0.025 < current["cancelled"] < 0.055
    assert 0.03 < current["returned"] < 0.07
    assert current["delivered"] > 0.85
    assert "placed" not in current  # everything older than two months moved on


def test_items_prices_and_products(history: Query) -> None:
    assert (
        scalar(history, "select count(*) from raw_data.shop_products where unit_cost >= list_price")
        == 0
    )
    assert (
        scalar(history, "select count(*) from raw_data.shop_order_items where discount_amount < 0")
        == 0
    )
    discounted = scalar(
        history,
        "select avg((discount_amount > 0)::int) from raw_data.shop_order_items "
        "where _cdc_op = 'I' and quantity > 0",
    )
    assert 0.1 < discounted < 0.2
    usd_rates = history(
        "select min(usd_per_unit), max(usd_per_unit), count(*) from raw_data.fx_rates "
        "where currency = 'USD'"
    )[0]
    # USD: exactly 1, every day from 10 days before the start to the day before the end.
    assert usd_rates == (1, 1, 740)
    eur = scalar(history, "select avg(usd_per_unit) from raw_data.fx_rates where currency = 'EUR'")
    assert 0.95 < eur < 1.2


def test_prices_convert_at_the_days_rate(history: Query) -> None:
    # A USD line costs the product's price (list prices end in .99 unless repriced).
    charm = scalar(
        history,
        """
        select avg((unit_price * 100 % 100 = 99)::int)
        from raw_data.shop_order_items as i
        join raw_data.shop_orders as o using (order_id)
        where o.currency = 'USD' and i._cdc_op = 'I' and o._cdc_op = 'I'
        """,
    )
    assert charm > 0.9


def test_personal_data_is_made_up(history: Query) -> None:
    bad_emails = scalar(
        history,
        "select count(*) from raw_data.shop_customers "
        "where email <> 'user' || customer_id || '@example.com'",
    )
    assert bad_emails == 0
    assert scalar(history, "select count(distinct full_name) from raw_data.shop_customers") > 100


def test_extract_versions(history: Query) -> None:
    customers = history(
        """
        select count(*) filter (where updated_at < signup_at),
               count(*) filter (where updated_at > signup_at),
               count(*) filter (where _loaded_at < updated_at),
               count(*) filter (where _loaded_at > updated_at + interval 30 minute)
        from raw_data.shop_customers
        """
    )[0]
    assert customers[0] == 0
    assert customers[1] > 0  # some customers changed segment or country
    assert customers[2] == customers[3] == 0
    products = history(
        """
        select count(*) filter (where not is_active),
               count(*) filter (where _loaded_at < updated_at)
        from raw_data.shop_products
        """
    )[0]
    assert products[0] > 0
    assert products[1] == 0
