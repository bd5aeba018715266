"""An incremental build equals a full refresh of the same raw data.

Every test builds with the real ``analytics`` command and real dbt into a
home it owns, changes raw data the way the CDC logs and extracts change it,
builds incrementally, then builds again with ``--full-refresh`` and compares
every relation of the published warehouse.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from analytics_core.settings import Settings
from tests.conftest import run_cli
from tests.warehouses import BASE, WarehouseTemplates, start_from_parse_of

pytestmark = [pytest.mark.slow, pytest.mark.minutes(6)]

# Relations compared between an incremental and a full-refresh build. Audit
# columns that record *when* a run happened are left out, and so are the
# append-only log of what each run recomputed (a full build lists every
# order once; incremental runs append what they touched) and the periods the
# last run recomputed, and everything built on dbt's own run history
# (run_history_relations): those record the runs themselves, which differ by
# design. Nothing else is.
AUDIT_COLUMNS = {"_high_water_mark"}
RUN_LOGS = {"processed_data.int_orders__changed", "processed_data.int_orders__changed_periods"}
RUN_HISTORY_SOURCE = "monitoring_raw"


def run_history_relations(settings: Settings) -> set[str]:
    """``schema.name`` of every model downstream of dbt's run-history logs
    (the ``monitoring_raw`` source), from the published manifest."""
    manifest = json.loads((settings.docs_dir / "manifest.json").read_text())
    todo = [
        unique_id
        for unique_id, source in manifest["sources"].items()
        if source["source_name"] == RUN_HISTORY_SOURCE
    ]
    assert todo, "no run-history source in the manifest"
    seen: set[str] = set()
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    nodes = manifest["nodes"]
    return {
        f"{nodes[n]['schema']}.{nodes[n]['alias']}"
        for n in seen
        if nodes.get(n, {}).get("resource_type") == "model"
    }


def relation_rows(settings: Settings) -> dict[str, list[tuple[object, ...]]]:
    """Every processed, reporting and monitoring relation of the published
    warehouse, as sorted rows (run logs and run history left out)."""
    path = settings.warehouse_path
    skipped = RUN_LOGS | run_history_relations(settings)
    assert "monitoring.dbt_test_results" in skipped
    out: dict[str, list[tuple[object, ...]]] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        relations = con.execute(
            """
            select schema_name, table_name from duckdb_tables()
            union all select schema_name, view_name from duckdb_views() where not internal
            """
        ).fetchall()
        for schema, name in relations:
            if schema not in ("processed_data", "reporting", "monitoring"):
                continue
            if f"{schema}.{name}" in skipped:
                continue
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() "
                    "where schema_name = ? and table_name = ? order by column_index",
                    [schema, name],
                ).fetchall()
                if c not in AUDIT_COLUMNS
            ]
            select_list = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'select {select_list} from "{schema}"."{name}"').fetchall()
            out[f"{schema}.{name}"] = sorted(rows, key=repr)
    return out


def test_incremental_build_after_increment_equals_full_refresh(
    warehouse_templates: WarehouseTemplates, tmp_path: Path
) -> None:
    # A copy of the run's BASE template: generated and built once (scale 0.01).
    home = tmp_path / "home"
    settings = warehouse_templates.copy(BASE, home)
    before = relation_rows(settings)

    run_cli("generate", "--increment", "--days", "10", home=home, check=True)
    run_cli("build", home=home, check=True)
    incremental = relation_rows(settings)
    shutil.copy(settings.warehouse_path, tmp_path / "incremental.duckdb")

    run_cli("build", "--full-refresh", home=home, check=True)
    full = relation_rows(settings)

    # The increment really changed the facts (new days, late rows, transitions).
    assert incremental["processed_data.fct_orders"] != before["processed_data.fct_orders"]
    assert max(r[4] for r in incremental["processed_data.fct_orders"]) > max(
        r[4] for r in before["processed_data.fct_orders"]
    ), "the increment should add later order dates"

    assert incremental.keys() == full.keys()
    different = [name for name in full if incremental[name] != full[name]]
    assert not different, f"incremental and full-refresh builds differ in {different}"

    # A build with nothing new changes nothing.
    run_cli("build", home=home, check=True)
    assert relation_rows(settings) == full

    # An increment that only deletes: an order with its lines, and one line
    # of another order, as the CDC log records deletes (no inserts, no updates;
    # each delete the latest change of its row, so a higher LSN than any).
    with duckdb.connect(str(settings.state_warehouse_path)) as con:
        loaded = "(select max(_loaded_at) + interval 1 hour from raw_data.shop_orders)"
        order_id, other_order_id = (
            row[0]
            for row in con.execute(
                "select order_id from processed_data.fct_orders where is_revenue_bearing "
                "order by order_id limit 2 offset 40"
            ).fetchall()
        )
        con.execute(f"""
            insert into raw_data.shop_order_items
            select order_item_id, order_id, product_id, quantity, unit_price, discount_amount,
                'D', _cdc_ts + interval 1 day,
                (select max(_cdc_lsn) from raw_data.shop_order_items) + row_number() over (),
                {loaded}
            from raw_data.shop_order_items
            where _cdc_op = 'I' and (
                order_id = {order_id}
                or order_item_id = (
                    select min(order_item_id) from processed_data.fct_order_items
                    where order_id = {other_order_id}
                )
            )
        """)
        con.execute(f"""
            insert into raw_data.shop_orders
            select order_id, customer_id, order_ts, channel, status, currency,
                'D', _cdc_ts + interval 1 day,
                (select max(_cdc_lsn) from raw_data.shop_orders) + 1, {loaded}
            from raw_data.shop_orders
            where _cdc_op = 'I' and order_id = {order_id}
        """)
    run_cli("build", home=home, check=True)
    deleted = relation_rows(settings)
    run_cli("build", "--full-refresh", home=home, check=True)
    full_after_delete = relation_rows(settings)

    assert not [r for r in deleted["processed_data.fct_orders"] if r[0] == order_id]
    assert deleted["reporting.rpt_daily_sales"] != full["reporting.rpt_daily_sales"], (
        "the deletes should change the daily sales"
    )
    different = [name for name in full if deleted[name] != full_after_delete[name]]
    assert not different, f"delete-only increment: builds differ in {different}"


def test_incremental_build_applies_deletes_moves_and_late_reference_data(
    tmp_path: Path, warehouse_templates: WarehouseTemplates
) -> None:
    """Changes the generator rarely makes, written straight into raw_data: a
    product and a customer deleted from their extracts, a line moved to
    another order, a line deleted, an order deleted, an fx rate restated
    late, and a customer that appears after its orders. The incremental build
    must still equal a full refresh."""
    home = tmp_path / "home"
    run_cli(
        "generate",
        "--scale",
        "0.005",
        "--seed",
        "8",
        "--end-date",
        "2026-02-28",
        home=home,
        check=True,
    )
    settings = Settings(home=home)
    start_from_parse_of(warehouse_templates.get(BASE), home)
    # Orders of a customer id the extract does not know yet (loaded with the
    # history: the CDC logs are append-only, so the id is set before the first
    # build; the customer arrives after it, below).
    with duckdb.connect(str(settings.state_warehouse_path)) as con:
        con.execute("""
            update raw_data.shop_orders set customer_id = 424242
            where order_id in (select order_id from raw_data.shop_orders limit 3)
        """)
    run_cli("build", home=home, check=True)
    with duckdb.connect(str(settings.state_warehouse_path)) as con:
        loaded = "(select max(_loaded_at) + interval 1 hour from raw_data.shop_orders)"
        product = con.execute(
            "select product_id from raw_data.shop_order_items group by 1 order by count(*) desc"
        ).fetchone()
        customer = con.execute(
            "select customer_id from raw_data.shop_orders where customer_id is not null "
            "group by 1 order by count(*) desc"
        ).fetchone()
        two_orders = con.execute(
            "select order_id from raw_data.shop_orders where _cdc_op = 'I' order by order_id "
            "limit 2 offset 50"
        ).fetchall()
        assert product and customer and len(two_orders) == 2
        (source_order,), (target_order,) = two_orders
        con.execute(f"delete from raw_data.shop_products where product_id = {product[0]}")
        con.execute(f"delete from raw_data.shop_customers where customer_id = {customer[0]}")
        # the line of source_order moves to target_order; a later LSN, loaded now
        con.execute(f"""
            insert into raw_data.shop_order_items
            select order_item_id, {target_order}, product_id, quantity, unit_price,
                discount_amount, 'U', _cdc_ts + interval 1 minute, _cdc_lsn + 1, {loaded}
            from raw_data.shop_order_items
            where order_id = {source_order} and _cdc_op = 'I'
        """)
        con.execute(f"""
            insert into raw_data.shop_orders
            select order_id, customer_id, order_ts, channel, status, currency, 'D',
                _cdc_ts + interval 2 minute, _cdc_lsn + 2, {loaded}
            from raw_data.shop_orders
            where _cdc_op = 'I' and order_id = (
                select order_id from raw_data.shop_orders where _cdc_op = 'I'
                order by order_id limit 1 offset 80)
        """)
        con.execute(f"""
            insert into raw_data.fx_rates
            select rate_date, currency, usd_per_unit * 1.01, {loaded}
            from raw_data.fx_rates
            where currency <> 'USD'
                and rate_date = (select min(rate_date) + 30 from raw_data.fx_rates)
        """)
        # the customer the orders above were placed by arrives after them
        con.execute(f"""
            insert into raw_data.shop_customers
            select 424242, 'late@example.com', 'Late Customer', 'DE', 'consumer',
                signup_at, updated_at, {loaded}
            from raw_data.shop_customers limit 1
        """)
    run_cli("build", home=home, check=True)
    incremental = relation_rows(settings)
    run_cli("build", "--full-refresh", home=home, check=True)
    full = relation_rows(settings)

    different = [name for name in full if incremental[name] != full[name]]
    assert not different, f"incremental and full-refresh builds differ in {different}"
    moved = [r for r in full["processed_data.fct_order_items"] if r[1] == target_order]
    assert moved, "the moved line should now belong to its new order"
