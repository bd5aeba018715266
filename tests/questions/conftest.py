"""Fixtures of the question tests.

- ``hostile_warehouse``: a built, published warehouse (the small one's
  arguments) whose products are renamed to names full of SQL syntax: bind
  markers, placeholders, format markers, quotes, comment markers,
  backslashes, a NUL and non-ASCII letters. Built once per session; read it,
  never write to it.
"""

from __future__ import annotations

import duckdb
import pytest

from analytics_core.settings import Settings
from tests.conftest import SMALL_WAREHOUSE_ARGS, run_cli

#: Product names that are SQL syntax somewhere (each a different first word,
#: so that a question can name exactly one of them).
HOSTILE_PRODUCTS: tuple[str, ...] = (
    "Gizmo :pro",
    "Widget {raw_data}",
    "Gadget {rpt_daily_sales}",
    "Sprocket %s",
    "Doohickey %(x)s",
    "Thingamajig $1",
    'Contraption O\'Brien "deluxe"',
    "Whatsit -- not a comment",
    "Gimcrack /* open",
    "Kludge \\ back\\slash\\",
    "Nullity \x00 inside",
    "Ünïcødé ☃ Łamp",
    "Dingus '; select 1; --",
    "Widgetry :: cast",
)


@pytest.fixture(scope="session")
def hostile_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a home whose published warehouse has :data:`HOSTILE_PRODUCTS`."""
    home = tmp_path_factory.mktemp("hostile-warehouse")
    run_cli("generate", *SMALL_WAREHOUSE_ARGS, home=home, check=True)
    settings = Settings(home=home)
    with duckdb.connect(str(settings.state_warehouse_path)) as connection:
        # Products that sold, so that each has revenue to ask about.
        ids = [
            row[0]
            for row in connection.execute(
                "select product_id from raw_data.shop_order_items"
                " group by product_id order by count(*) desc, product_id limit ?",
                [len(HOSTILE_PRODUCTS)],
            ).fetchall()
        ]
        for product_id, name in zip(ids, HOSTILE_PRODUCTS, strict=True):
            connection.execute(
                "update raw_data.shop_products set product_name = ? where product_id = ?",
                [name, product_id],
            )
    run_cli("build", home=home, check=True)
    return settings
