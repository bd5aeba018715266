"""Fixtures of the question tests.

- ``hostile_warehouse``: a built, published warehouse (the small one's
  arguments) whose products are renamed to names full of SQL syntax: bind
  markers, placeholders, format markers, quotes, comment markers,
  backslashes, a NUL and non-ASCII letters. Built once per test run (a
  template shared by the xdist workers, ``tests/warehouses.py``); read it,
  never write to it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analytics_core.settings import Settings
from tests.warehouses import SMALL_WAREHOUSE_ARGS, CliRunner, Recipe, WarehouseTemplates

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


def _make_hostile(home: Path, run: CliRunner) -> None:
    """Generate with the small warehouse's arguments, rename the best-selling
    products to :data:`HOSTILE_PRODUCTS`, then build."""
    run("generate", *SMALL_WAREHOUSE_ARGS, home=home, check=True)
    with duckdb.connect(str(Settings(home=home).state_warehouse_path)) as connection:
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
    run("build", home=home, check=True)


HOSTILE = Recipe("hostile-products", _make_hostile)


@pytest.fixture(scope="session")
def hostile_warehouse(warehouse_templates: WarehouseTemplates) -> Settings:
    """Settings of a home whose published warehouse has :data:`HOSTILE_PRODUCTS`."""
    return warehouse_templates.get(HOSTILE).settings
