"""Fixtures of the question tests.

- ``hostile_warehouse``: a built, published warehouse (the small one's
  arguments) whose products are renamed to names full of SQL syntax: bind
  markers, placeholders, format markers, quotes, comment markers,
  backslashes, a NUL and non-ASCII letters. Built once per test run (a
  template shared by the xdist workers, ``tests/warehouses.py``); read it,
  never write to it.
- ``bank_engine``: the local question engine on the small warehouse, one per
  test module (the question banks' tests share it).
- ``oracle_con``: a read-only connection to a copy of the small warehouse,
  one per module, for the raw-data oracles (``oracle_sql.py``,
  ``oracle_compare.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics_core.settings import Settings
from tests.warehouses import BASE, SMALL_WAREHOUSE_ARGS, CliRunner, Recipe, WarehouseTemplates

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


#: Built from nothing but the small warehouse's dbt parse (the names are data).
HOSTILE = Recipe("hostile-products", _make_hostile, parse_of=BASE)


@pytest.fixture(scope="session")
def hostile_warehouse(warehouse_templates: WarehouseTemplates) -> Settings:
    """Settings of a home whose published warehouse has :data:`HOSTILE_PRODUCTS`."""
    return warehouse_templates.get(HOSTILE).settings


@pytest.fixture(scope="module")
def bank_engine(small_warehouse: Settings) -> Iterator[Any]:
    """The local engine, imported here: until ``questions/local/`` exists the
    bank tests error (and the banks' own checks still run)."""
    from questions.local import LocalQuestionEngine

    local = LocalQuestionEngine.open(small_warehouse)
    try:
        yield local
    finally:
        local.close()


@pytest.fixture(scope="module")
def oracle_con(
    small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The oracle reads its own copy of the warehouse, so its connection never
    meets the engine's in DuckDB's per-process database cache."""
    copy = Path(tmp_path_factory.mktemp("oracle")) / "warehouse.duckdb"
    shutil.copyfile(small_warehouse.warehouse_path, copy)
    with duckdb.connect(str(copy), read_only=True) as connection:
        yield connection
