"""Same seed, same warehouse; another seed, another one."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.generator.conftest import generate_into

TABLES = ("shop_orders", "shop_order_items", "shop_customers", "shop_products", "fx_rates")
SMALL = 0.005


def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            t: con.execute(f"select * from raw_data.{t} order by all").fetchall() for t in TABLES
        }


def test_same_seed_same_tables(tmp_path: Path) -> None:
    first = generate_into(tmp_path / "a.duckdb", scale=SMALL, seed=7)
    second = generate_into(tmp_path / "b.duckdb", scale=SMALL, seed=7)
    assert first == second
    assert snapshot(tmp_path / "a.duckdb") == snapshot(tmp_path / "b.duckdb")


def test_other_seed_other_tables(tmp_path: Path) -> None:
    generate_into(tmp_path / "a.duckdb", scale=SMALL, seed=7)
    generate_into(tmp_path / "b.duckdb", scale=SMALL, seed=8)
    a, b = snapshot(tmp_path / "a.duckdb"), snapshot(tmp_path / "b.duckdb")
    for table in TABLES:
        assert a[table] != b[table], table


def test_generate_replaces_existing_data(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    generate_into(path, scale=SMALL, seed=1)
    summary = generate_into(path, scale=SMALL, seed=7)
    generate_into(tmp_path / "fresh.duckdb", scale=SMALL, seed=7)
    assert snapshot(path) == snapshot(tmp_path / "fresh.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        for table, rows in summary.rows.items():
            assert con.execute(f"select count(*) from raw_data.{table}").fetchone() == (rows,)


def test_progress_reports_every_step(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate_into(
        tmp_path / "w.duckdb",
        scale=SMALL,
        progress=lambda step, done, total: calls.append((step, done, total)),
    )
    totals = {total for _, _, total in calls}
    assert len(totals) == 1
    done = [d for _, d, _ in calls]
    assert done == sorted(done)
    assert done[0] == 0
    assert done[-1] == totals.pop()
    assert sum("orders placed" in step for step, _, _ in calls) == 25  # 731 days / 30
