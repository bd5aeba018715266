"""What the warehouse must get right (issue: foundation, section 7).

Every test builds with the real ``analytics`` command and real dbt into a
DuckDB file it owns, then reads the published warehouse. That an incremental
build equals a full refresh is in ``test_incremental.py`` (a file of its own,
so the two xdist workers share these builds).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics_core.settings import PROJECT_ROOT, Settings
from tests.conftest import run_cli
from tests.warehouse.independent_sql import (
    MONTHLY_METRICS_FROM_RAW,
    REPORTED_MONTHLY_METRICS,
    country_regions,
)
from tests.warehouses import BASE, WarehouseTemplates, start_from_parse_of

pytestmark = [pytest.mark.slow, pytest.mark.minutes(2)]


def monthly_from_raw(path: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("create temp table country_regions (country_code varchar, region varchar)")
        con.executemany("insert into country_regions values (?, ?)", country_regions())
        return con.execute(MONTHLY_METRICS_FROM_RAW).fetchall()


@pytest.fixture(scope="module")
def scale_tenth(
    tmp_path_factory: pytest.TempPathFactory, warehouse_templates: WarehouseTemplates
) -> Settings:
    """Two years at scale 0.1 (about 100,000 order lines), built and published."""
    home = tmp_path_factory.mktemp("scale-0.1")
    run_cli(
        "generate",
        "--scale",
        "0.1",
        "--seed",
        "11",
        "--end-date",
        "2026-06-30",
        home=home,
        check=True,
    )
    start_from_parse_of(warehouse_templates.get(BASE), home)
    # --unit-tests: the one build of the suite that runs every dbt unit test
    # (scheduled and default builds leave them out).
    run_cli("build", "--unit-tests", home=home, check=True, timeout=1200)
    return Settings(home=home)


def test_every_dbt_unit_test_ran_and_passed(scale_tenth: Settings) -> None:
    manifest = json.loads((scale_tenth.docs_dir / "manifest.json").read_text())
    unit_tests = set(manifest["unit_tests"])
    assert len(unit_tests) >= 10, "the project's dbt unit tests are missing from the manifest"
    results = json.loads((scale_tenth.docs_dir / "run_results.json").read_text())["results"]
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"] in unit_tests}
    assert set(ran) == unit_tests
    assert set(ran.values()) == {"pass"}


def test_monthly_revenue_orders_units_equal_independent_sql(scale_tenth: Settings) -> None:
    expected = monthly_from_raw(scale_tenth.warehouse_path)
    with duckdb.connect(str(scale_tenth.warehouse_path), read_only=True) as con:
        reported = con.execute(REPORTED_MONTHLY_METRICS).fetchall()

    months = {row[0] for row in expected}
    assert len(months) >= 24, "two years of data should cover at least 24 months"
    assert sum(row[2] for row in expected) > Decimal(1_000_000)
    assert {row[1] for row in expected} >= {"AMER", "EMEA", "APAC", "UNKNOWN"}
    mismatches = sorted(set(expected) ^ set(reported))
    assert not mismatches, f"reporting differs from raw for: {mismatches[:10]}"


def test_targets_follow_the_generated_scale_so_attainment_reads_near_plan(
    scale_tenth: Settings,
) -> None:
    """The seed is the plan for scale 1; at scale 0.1 each target is a tenth of
    it, and a mature month's attainment is near 100% (it was about 10%)."""
    seed = PROJECT_ROOT / "dbt_project" / "seeds" / "sales_targets.csv"
    with duckdb.connect(str(scale_tenth.warehouse_path), read_only=True) as con:
        mismatched = con.execute(
            """
            select count(*), count(*) filter (where t.target_revenue_usd
                <> round(cast(p.target_revenue_usd as double) * 0.1, 0))
            from processed_data.sales_targets as t
            join read_csv(?, header = true) as p
              on p.region = t.region and cast(p.target_month as date) = t.target_month
            """,
            [str(seed)],
        ).fetchone()
        attainment = dict(
            con.execute(
                """
                select region, median(target_attainment)
                from reporting.rpt_monthly_region_targets
                where month_start between date '2024-08-01' and date '2026-04-01'
                  and target_revenue_usd is not null
                group by region
                """
            ).fetchall()
        )
    assert mismatched == (180, 0)
    assert set(attainment) == {"AMER", "EMEA", "APAC"}
    for region, median in attainment.items():
        assert 0.8 < median < 1.1, f"{region}: median attainment {median:.1%}"


def test_quarantine_holds_every_rule_the_generator_injects(scale_tenth: Settings) -> None:
    with duckdb.connect(str(scale_tenth.warehouse_path), read_only=True) as con:
        rules = dict(
            con.execute(
                "select quarantine_rule, count(*) from monitoring.quarantined_rows group by 1"
            ).fetchall()
        )
    for rule in (
        "nonpositive_quantity",
        "unknown_product",
        "future_dated_order",
        "missing_fx_rate",
        "order_quarantined",
    ):
        assert rules.get(rule, 0) > 0, f"no rows quarantined for {rule}: {rules}"


def test_empty_raw_tables_build_without_error(
    tmp_path: Path, warehouse_templates: WarehouseTemplates
) -> None:
    home = tmp_path / "home"
    run_cli("generate", "--scale", "0.002", "--end-date", "2026-01-31", home=home, check=True)
    start_from_parse_of(warehouse_templates.get(BASE), home)
    state = Settings(home=home).state_warehouse_path
    with duckdb.connect(str(state)) as con:
        for table in (
            "shop_orders",
            "shop_order_items",
            "shop_customers",
            "shop_products",
            "fx_rates",
        ):
            con.execute(f"delete from raw_data.{table}")

    run_cli("build", home=home, check=True)

    with duckdb.connect(str(Settings(home=home).warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from reporting.rpt_daily_sales").fetchone() == (0,)
        # Only the unknown member is left in the customer dimension.
        assert con.execute("select count(*) from processed_data.dim_customers").fetchone() == (1,)


def test_missing_contract_column_fails_fast_naming_table_and_column(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli("generate", "--scale", "0.002", "--end-date", "2026-01-31", home=home, check=True)
    with duckdb.connect(str(Settings(home=home).state_warehouse_path)) as con:
        con.execute("alter table raw_data.shop_order_items drop column discount_amount")

    result = run_cli("build", home=home)

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()
    assert any(
        "raw_data.shop_order_items" in line and "discount_amount" in line for line in message
    ), result.stderr
    assert "Traceback" not in result.stderr
    assert not Settings(home=home).warehouse_path.exists(), "a failed build publishes nothing"
