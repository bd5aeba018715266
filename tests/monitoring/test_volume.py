"""Raw volume monitoring: ``monitoring.raw_volume_daily`` and the warn-only
``no_volume_anomaly`` test.

The module copies the session's small warehouse home (scale 0.01, seed 7,
ending 2026-06-30, built once) and takes the copy through an increment with
an injected volume spike and a ``--full-refresh`` build. What the first build published is
captured in the fixture, so each test reads a fixed snapshot and the order
in which the tests run does not matter.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics_core.settings import Settings
from tests.conftest import run_cli

pytestmark = pytest.mark.slow

VOLUME_COLUMNS = (
    "source_table",
    "load_date",
    "rows_loaded",
    "trailing_days",
    "trailing_median",
    "trailing_mad",
    "robust_z_score",
    "is_anomaly",
)
WARN_TEST = "no_volume_anomaly_raw_volume_daily_1"
#: The table the spike is injected into, and how many times its rows of the
#: new day are loaded again (with new keys).
SPIKED_TABLE = "shop_order_items"
SPIKE_COPIES = 6
#: Added to the keys and LSNs of the copies (generated ids are about 2e12,
#: LSNs below 4e18).
KEY_OFFSET = 10**15

Row = tuple[Any, ...]


@dataclass(frozen=True)
class FirstBuild:
    settings: Settings
    #: the raw tables counted: every table of sources shop and fx
    tables: list[str]
    #: raw_volume_daily as published: (source_table, load_date) -> row
    volume: dict[tuple[str, date], Row]
    #: rows per (raw table, load day) counted straight from raw_data
    raw_counts: dict[tuple[str, date], int]


def raw_tables(settings: Settings) -> list[str]:
    """Every table of sources shop and fx, as dbt parsed them from __sources.yml."""
    manifest = json.loads((settings.docs_dir / "manifest.json").read_text())
    return sorted(
        source["name"]
        for source in manifest["sources"].values()
        if source["source_name"] in ("shop", "fx")
    )


def count_raw_loads(
    con: duckdb.DuckDBPyConnection, tables: list[str]
) -> dict[tuple[str, date], int]:
    counts: dict[tuple[str, date], int] = {}
    for table in tables:
        # _loaded_at is a UTC timestamp without time zone; its date is the load day.
        for day, rows in con.execute(
            f"select cast(_loaded_at as date), count(*) from raw_data.{table} group by 1"
        ).fetchall():
            counts[(table, day)] = rows
    return counts


def read_volume(path: Path) -> dict[tuple[str, date], Row]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            f"select {', '.join(VOLUME_COLUMNS)} from monitoring.raw_volume_daily"
        ).fetchall()
    return {(row[0], row[1]): row for row in rows}


def build_results(settings: Settings) -> dict[str, dict[str, Any]]:
    """The published build's run results (dbt docs generate rewrites the ones
    in the target folder), by node name."""
    results = json.loads((settings.docs_dir / "run_results.json").read_text())["results"]
    return {result["unique_id"].split(".")[2]: result for result in results}


@pytest.fixture(scope="module")
def first_build(small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> FirstBuild:
    """A private copy of the session's small warehouse home (generated and
    built once with SMALL_WAREHOUSE_ARGS), which these tests go on to change."""
    home = tmp_path_factory.mktemp("volume") / "home"
    shutil.copytree(small_warehouse.home_dir, home, symlinks=True)
    settings = Settings(home=home)
    tables = raw_tables(settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        raw_counts = count_raw_loads(con, tables)
    return FirstBuild(settings, tables, read_volume(settings.warehouse_path), raw_counts)


def test_rows_loaded_equal_counts_from_raw_on_a_full_spine(first_build: FirstBuild) -> None:
    volume, raw_counts = first_build.volume, first_build.raw_counts
    tables = first_build.tables
    assert set(tables) == {
        "shop_orders",
        "shop_order_items",
        "shop_customers",
        "shop_products",
        "fx_rates",
    }
    assert {table for table, _ in volume} == set(tables)
    last_day = max(day for _, day in raw_counts)
    for table in tables:
        first_day = min(day for name, day in raw_counts if name == table)
        days = sorted(day for name, day in volume if name == table)
        expected_days = [
            first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)
        ]
        assert days == expected_days, f"{table}: not one row per day from first to last load"
        for day in days:
            assert volume[(table, day)][2] == raw_counts.get((table, day), 0), (table, day)
    # the spine really has days without a load (counted 0), and every load is counted
    assert any(row[2] == 0 for row in volume.values())
    assert sum(row[2] for row in volume.values()) == sum(raw_counts.values())


def test_trailing_statistics_follow_the_rule(first_build: FirstBuild) -> None:
    """Recompute the window statistics in Python for the latest day of each table."""
    volume = first_build.volume
    last_day = max(day for _, day in volume)
    for table in first_build.tables:
        window = [
            volume[(table, last_day - timedelta(days=n))][2]
            for n in range(1, 29)
            if (table, last_day - timedelta(days=n)) in volume
        ]
        median = float(sorted(window)[13] + sorted(window)[14]) / 2
        deviations = sorted(abs(value - median) for value in window)
        mad = (deviations[13] + deviations[14]) / 2
        row = dict(zip(VOLUME_COLUMNS, volume[(table, last_day)], strict=True))
        assert row["trailing_days"] == 28
        assert row["trailing_median"] == pytest.approx(median)
        assert row["trailing_mad"] == pytest.approx(mad)
        if mad > 0:
            z = 0.6745 * (row["rows_loaded"] - median) / mad
            assert row["robust_z_score"] == pytest.approx(z)
            assert row["is_anomaly"] == (abs(z) > 3.5)


def inject_spike(state: Path) -> date:
    """Load the spiked table's rows of its latest load day again, SPIKE_COPIES
    times, with new keys and LSNs (an ELT job that replayed its batch)."""
    with duckdb.connect(str(state)) as con:
        row = con.execute(f"select max(cast(_loaded_at as date)) from raw_data.{SPIKED_TABLE}")
        (day,) = row.fetchone() or (None,)
        assert isinstance(day, date)
        for copy in range(1, SPIKE_COPIES + 1):
            con.execute(
                f"""
                insert into raw_data.{SPIKED_TABLE}
                select
                    order_item_id + {copy * KEY_OFFSET}, order_id, product_id, quantity,
                    unit_price, discount_amount, _cdc_op, _cdc_ts,
                    _cdc_lsn + {copy * KEY_OFFSET}, _loaded_at
                from raw_data.{SPIKED_TABLE}
                where cast(_loaded_at as date) = ? and order_item_id < {KEY_OFFSET}
                """,
                [day],
            )
    return day


def move_old_customer_loads(state: Path, to_day: date) -> int:
    """Customers are a full extract: a changed row's _loaded_at moves. Move every
    row loaded before 2020 to to_day, as if all of them had changed."""
    with duckdb.connect(str(state)) as con:
        (moved,) = con.execute(
            "select count(*) from raw_data.shop_customers where _loaded_at < '2020-01-01'"
        ).fetchone() or (0,)
        con.execute(
            "update raw_data.shop_customers set _loaded_at = ? + interval 1 hour "
            "where _loaded_at < '2020-01-01'",
            [to_day],
        )
    return int(moved)


def test_spike_is_flagged_warns_and_history_survives_full_refresh(
    first_build: FirstBuild,
) -> None:
    settings = first_build.settings
    first_last_day = max(day for _, day in first_build.volume)

    run_cli("generate", "--increment", "--days", "1", home=settings.home_dir, check=True)
    spiked_day = inject_spike(settings.state_warehouse_path)
    assert spiked_day > first_last_day
    result = run_cli("build", home=settings.home_dir)
    assert result.returncode == 0, result.stderr

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        raw_counts = count_raw_loads(con, first_build.tables)
    volume = read_volume(settings.warehouse_path)
    spiked = dict(zip(VOLUME_COLUMNS, volume[(SPIKED_TABLE, spiked_day)], strict=True))
    assert spiked["rows_loaded"] == raw_counts[(SPIKED_TABLE, spiked_day)]
    assert spiked["trailing_days"] == 28
    assert spiked["robust_z_score"] > 3.5
    assert spiked["is_anomaly"] is True

    # the warn test reports it as a warning; the build still passed
    warn = build_results(settings)[WARN_TEST]
    assert warn["status"] == "warn", warn
    assert warn["failures"] >= 1
    assert not [r for r in build_results(settings).values() if r["status"] in ("fail", "error")]

    # the days before the first build's last day are history, untouched
    history = {key: row for key, row in first_build.volume.items() if key[1] < first_last_day}
    assert all(volume[key] == row for key, row in history.items())

    # --full-refresh keeps the history even when raw data can no longer give it
    old_customer_days = {
        key: row
        for key, row in history.items()
        if key[0] == "shop_customers" and key[1] < date(2020, 1, 1) and row[2] > 0
    }
    assert old_customer_days, "the generated customers should include loads before 2020"
    assert move_old_customer_loads(settings.state_warehouse_path, spiked_day) > 0
    run_cli("build", "--full-refresh", home=settings.home_dir, check=True)
    refreshed = read_volume(settings.warehouse_path)
    assert all(refreshed[key] == row for key, row in history.items())
    assert refreshed[(SPIKED_TABLE, spiked_day)] == volume[(SPIKED_TABLE, spiked_day)]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        (left,) = con.execute(
            "select count(*) from raw_data.shop_customers where _loaded_at < '2020-01-01'"
        ).fetchone() or (None,)
    assert left == 0, "raw data no longer has those loads; only the history does"
