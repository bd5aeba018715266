"""The quarantine summary and reconciliation (``monitoring.quarantine_summary``,
``monitoring.quarantine_reconciliation``) against counts computed here from
``raw_data`` and the facts, in the session's small published warehouse."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from analytics_core.settings import Settings

pytestmark = pytest.mark.slow

#: Current raw entities per raw table and load day, straight from the CDC logs
#: (docs/raw-data.md: latest LSN per key, not a delete), with their keys.
CURRENT_RAW = """
select source_table, record_id, cast(_loaded_at as date) as load_date
from (
    select 'shop_orders' as source_table, order_id as record_id, _cdc_op, _loaded_at,
        row_number() over (partition by order_id order by _cdc_lsn desc) as recency
    from raw_data.shop_orders
    union all
    select 'shop_order_items', order_item_id, _cdc_op, _loaded_at,
        row_number() over (partition by order_item_id order by _cdc_lsn desc)
    from raw_data.shop_order_items
) as ranked
where recency = 1 and _cdc_op <> 'D'
"""

Key = tuple[str, date]


@pytest.fixture(scope="module")
def warehouse(small_warehouse: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(small_warehouse.warehouse_path), read_only=True)
    yield con
    con.close()


def counts(con: duckdb.DuckDBPyConnection, sql: str) -> dict[Key, int]:
    return {(table, day): int(n) for table, day, n in con.execute(sql).fetchall()}


def test_summary_counts_every_quarantined_row_once(warehouse: duckdb.DuckDBPyConnection) -> None:
    quarantined = Counter(
        (table, rule, loaded_at.date())
        for table, rule, loaded_at in warehouse.execute(
            "select source_table, quarantine_rule, loaded_at from monitoring.quarantined_rows"
        ).fetchall()
    )
    summary = {
        (table, rule, day): n
        for table, rule, day, n in warehouse.execute(
            "select source_table, quarantine_rule, quarantine_date, rows_quarantined "
            "from monitoring.quarantine_summary"
        ).fetchall()
    }
    assert quarantined, "the generator injects defects: something must be quarantined"
    assert summary == dict(quarantined)
    assert {rule for _, rule, _ in summary} >= {"nonpositive_quantity", "unknown_product"}


def test_reconciliation_equals_raw_and_fact_counts(warehouse: duckdb.DuckDBPyConnection) -> None:
    raw = counts(
        warehouse,
        f"select source_table, load_date, count(*) from ({CURRENT_RAW}) group by 1, 2",
    )
    clean = counts(
        warehouse,
        f"""
        with raw_now as ({CURRENT_RAW}),
        facts as (
            select 'shop_orders' as source_table, order_id as record_id
            from processed_data.fct_orders
            union all
            select 'shop_order_items', order_item_id from processed_data.fct_order_items
        )
        select facts.source_table, raw_now.load_date, count(*)
        from facts
        inner join raw_now using (source_table, record_id)
        group by 1, 2
        """,
    )
    quarantined = counts(
        warehouse,
        "select source_table, cast(loaded_at as date), count(*) "
        "from monitoring.quarantined_rows group by 1, 2",
    )
    rows = warehouse.execute(
        "select source_table, load_date, raw_rows, clean_rows, quarantined_rows, "
        "unaccounted_rows from monitoring.quarantine_reconciliation"
    ).fetchall()
    model = {(table, day): (r, c, q, u) for table, day, r, c, q, u in rows}

    assert len(model) == len(rows), "one row per raw table and load day"
    assert set(model) == set(raw) | set(clean) | set(quarantined)
    for key, (raw_rows, clean_rows, quarantined_rows, unaccounted) in model.items():
        assert raw_rows == raw.get(key, 0), key
        assert clean_rows == clean.get(key, 0), key
        assert quarantined_rows == quarantined.get(key, 0), key
        assert unaccounted == 0, key
    for table in ("shop_orders", "shop_order_items"):
        assert sum(v for (t, _), v in raw.items() if t == table) == sum(
            v for (t, _), v in clean.items() if t == table
        ) + sum(v for (t, _), v in quarantined.items() if t == table)
