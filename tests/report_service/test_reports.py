"""Reports rendered from the small published warehouse, in every format.

Each report is rendered once per module (all formats) with the DuckDB client;
the tests compare the numbers in every format with values computed here by
independent SQL straight against the reporting views.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from analytics_core.formatting import format_count, format_money
from analytics_core.settings import Settings
from analytics_core.warehouse import DuckDBClient
from orchestration.contract_docs import is_report
from report_service.models import FORMATS, InvalidRequestError, ReportError
from report_service.reports import (
    CATALOG,
    daily_sales,
    get_report,
    monthly_data_quality,
    render_report,
    weekly_executive,
)
from report_service.reports.base import ReportQueries
from report_service.reports.catalog import write_formats
from report_service.reports.document import Column, Kpi, ReportDocument, Table
from report_service.reports.renderers import escape_formula, sheet_names
from report_service.warehouse import check_ready

pytestmark = pytest.mark.slow

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,}")
EXTERNAL_REF = re.compile(
    r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.IGNORECASE,
)
#: Columns that would carry personal data; no report may read them.
PERSONAL_COLUMNS = {
    "email",
    "customer_email",
    "customer_name",
    "first_name",
    "last_name",
    "full_name",
    "phone",
    "address",
    "street",
    "customer_id",
    "ip_address",
}


@pytest.fixture(scope="module")
def client(small_warehouse: Settings) -> Iterator[DuckDBClient]:
    warehouse = DuckDBClient(small_warehouse.warehouse_path)
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="module")
def views(small_warehouse: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An independent read-only connection for the expected values."""
    connection = duckdb.connect(str(small_warehouse.warehouse_path), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def rendered(
    client: DuckDBClient, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Path]]:
    """Every report with default params, in every format (rendered once)."""
    out = tmp_path_factory.mktemp("reports")
    return {
        report_type: render_report(report_type, {}, list(FORMATS), client, out / report_type)
        for report_type in CATALOG
    }


def load_json(paths: dict[str, Path]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(paths["json"].read_text())
    return data


def json_table(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    for table in document["tables"]:
        if table["name"] == name:
            columns = [c["name"] for c in table["columns"]]
            return [dict(zip(columns, row, strict=True)) for row in table["rows"]]
    raise KeyError(name)


def json_kpi(document: dict[str, Any], name: str) -> dict[str, Any]:
    for kpi in document["kpis"]:
        if kpi["name"] == name:
            return kpi
    raise KeyError(name)


def csv_sections(path: Path) -> dict[str, list[dict[str, str]]]:
    """The CSV's sections: table name -> rows keyed by the section's header."""
    sections: dict[str, list[dict[str, str]]] = {}
    header: list[str] | None = None
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if not row:
                header = None
                continue
            if header is None:
                assert row[0] == "table"
                header = row[1:]
                continue
            sections.setdefault(row[0], []).append(dict(zip(header, row[1:], strict=True)))
    return sections


def xlsx_sheet(path: Path, title: str) -> list[dict[str, Any]]:
    workbook = openpyxl.load_workbook(path)
    try:
        rows = list(workbook[title].iter_rows(values_only=True))
    finally:
        workbook.close()
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


# --------------------------------------------------------------------- files


def test_every_report_renders_every_format(rendered: dict[str, dict[str, Path]]) -> None:
    for report_type, paths in rendered.items():
        assert set(paths) == set(FORMATS), report_type
        for fmt, path in paths.items():
            assert path.is_file() and path.stat().st_size > 0, (report_type, fmt)
            assert path.suffix == f".{fmt}"
        assert paths["pdf"].read_bytes().startswith(b"%PDF")
        document = load_json(paths)
        assert document["report_type"] == report_type
        sections = csv_sections(paths["csv"])
        assert set(sections) >= {"kpis"} | {t["name"] for t in document["tables"] if t["rows"]}
        workbook = openpyxl.load_workbook(paths["xlsx"], read_only=True)
        expected_sheets = sheet_names(["KPIs", *(t["title"] for t in document["tables"])])
        assert workbook.sheetnames == expected_sheets
        workbook.close()


def test_html_is_self_contained_responsive_and_printable(
    rendered: dict[str, dict[str, Path]],
) -> None:
    for report_type, paths in rendered.items():
        html = paths["html"].read_text()
        assert "<svg" in html, report_type
        assert not EXTERNAL_REF.search(html), EXTERNAL_REF.search(html)
        assert "http://" not in html and "https://" not in html
        assert "<script" not in html.lower()
        assert '<meta name="viewport"' in html
        assert "overflow-x: auto" in html
        assert "@media print" in html


def test_no_personal_data_in_any_output(rendered: dict[str, dict[str, Path]]) -> None:
    for definition in CATALOG.values():
        for relation, columns in definition.relations.items():
            assert relation.startswith("rpt_")
            assert not PERSONAL_COLUMNS & set(columns), (definition.report_type, relation)
    for report_type, paths in rendered.items():
        for fmt in ("html", "csv", "json"):
            text = paths[fmt].read_text()
            assert not EMAIL.search(text), (report_type, fmt, EMAIL.search(text))


def test_catalog_entries() -> None:
    assert set(CATALOG) == {"daily_sales", "weekly_executive", "monthly_data_quality"}
    # docs/interfaces.md promises these times; the schedule file says them once.
    schedules = {
        "daily_sales": "0 6 * * *",
        "weekly_executive": "0 8 * * 1",
        "monthly_data_quality": "0 7 1 * *",
    }
    for report_type, definition in CATALOG.items():
        entry = definition.catalog_entry()
        assert set(entry) == {
            "type",
            "title",
            "description",
            "params_schema",
            "formats",
            "schedule",
        }
        assert entry["type"] == report_type
        assert entry["schedule"] == schedules[report_type]
        assert entry["formats"] == list(FORMATS)
        assert entry["params_schema"]["additionalProperties"] is False
        json.dumps(entry)


def test_warehouse_is_ready_for_the_catalog(client: DuckDBClient) -> None:
    assert check_ready(client, CATALOG) == []


# --------------------------------------------------------------------- numbers


def test_daily_sales_numbers(
    rendered: dict[str, dict[str, Path]], views: duckdb.DuckDBPyConnection
) -> None:
    paths = rendered["daily_sales"]
    document = load_json(paths)
    (day,) = views.execute("select max(order_date) from reporting.rpt_daily_sales").fetchone()
    assert document["params"] == {"date": day.isoformat()}
    revenue, orders, units = views.execute(
        "select sum(revenue_usd), sum(orders), sum(units_sold)"
        " from reporting.rpt_daily_sales where order_date = ?",
        [day],
    ).fetchone()
    (revenue_before,) = views.execute(
        "select sum(revenue_usd) from reporting.rpt_daily_sales where order_date = ?",
        [day - dt.timedelta(days=1)],
    ).fetchone()
    by_region = dict(
        views.execute(
            "select region, sum(revenue_usd) from reporting.rpt_daily_sales"
            " where order_date = ? group by region",
            [day],
        ).fetchall()
    )
    top = views.execute(
        "select product_id, sum(revenue_usd) as r from reporting.rpt_product_performance"
        " where order_date = ? group by product_id order by r desc, product_id limit 10",
        [day],
    ).fetchall()

    # JSON
    kpi = json_kpi(document, "revenue_usd")
    assert money(kpi["value"]) == revenue
    assert money(kpi["comparisons"][0]["value"]) == revenue_before
    assert json_kpi(document, "orders")["value"] == orders
    assert json_kpi(document, "units_sold")["value"] == units
    assert money(json_kpi(document, "average_order_value_usd")["value"]) == money(revenue / orders)
    regions = {r["region"]: money(r["revenue_usd"]) for r in json_table(document, "by_region")}
    assert regions == by_region
    assert sum(regions.values()) == revenue
    channels = json_table(document, "by_channel")
    assert sum(money(r["revenue_usd"]) for r in channels) == revenue
    products = json_table(document, "top_products")
    assert [(p["product_id"], money(p["revenue_usd"])) for p in products] == [
        (str(pid), r) for pid, r in top
    ]

    # CSV
    sections = csv_sections(paths["csv"])
    csv_regions = {r["region"]: Decimal(r["revenue_usd"]) for r in sections["by_region"]}
    assert csv_regions == by_region
    csv_kpis = [r for r in sections["kpis"] if r["kpi"] == "revenue_usd"]
    assert {Decimal(r["value"]) for r in csv_kpis} == {revenue}

    # XLSX
    sheet = xlsx_sheet(paths["xlsx"], "By region")
    assert {r["region"]: money(r["revenue_usd"]) for r in sheet} == by_region
    assert all(isinstance(r["revenue_usd"], int | float) for r in sheet)
    kpi_sheet = xlsx_sheet(paths["xlsx"], "KPIs")
    assert {money(r["value"]) for r in kpi_sheet if r["kpi"] == "revenue_usd"} == {revenue}

    # HTML shows the formatted figures
    html = paths["html"].read_text()
    assert format_money(revenue) in html
    for region_revenue in by_region.values():
        assert format_money(region_revenue) in html


def test_weekly_executive_numbers(
    rendered: dict[str, dict[str, Path]], views: duckdb.DuckDBPyConnection
) -> None:
    paths = rendered["weekly_executive"]
    document = load_json(paths)
    week = dt.date.fromisoformat(document["params"]["week_start"])
    (latest_day,) = views.execute(
        "select max(order_date) from reporting.rpt_daily_sales"
    ).fetchone()
    # The default is the last complete ISO week with data.
    assert week.weekday() == 0
    assert week + dt.timedelta(days=6) <= latest_day < week + dt.timedelta(days=14)

    revenue, target, returned, delivered, new_customers = views.execute(
        "select sum(revenue_usd), sum(target_revenue_usd), sum(returned_orders),"
        " sum(delivered_or_returned_orders), sum(new_customers)"
        " from reporting.rpt_weekly_kpis where week_start = ?",
        [week],
    ).fetchone()
    by_region = {
        region: (r, t)
        for region, r, t in views.execute(
            "select region, revenue_usd, target_revenue_usd from reporting.rpt_weekly_kpis"
            " where week_start = ?",
            [week],
        ).fetchall()
    }
    (weeks_with_data,) = views.execute(
        "select count(distinct week_start) from reporting.rpt_weekly_kpis"
        " where week_start between ? and ?",
        [week - dt.timedelta(days=77), week],
    ).fetchone()

    revenue_kpi = json_kpi(document, "revenue_usd")
    assert money(revenue_kpi["value"]) == revenue
    assert [c["label"] for c in revenue_kpi["comparisons"]][1] == "Target"
    assert money(revenue_kpi["comparisons"][1]["value"]) == target
    assert json_kpi(document, "target_attainment")["value"] == pytest.approx(
        float(revenue / target)
    )
    assert json_kpi(document, "new_customers")["value"] == new_customers
    # The default week is the latest: its returns have not all arrived, so the
    # headline rate is the latest settled week's, said so, and the unsettled
    # weeks' rates are blank with a note.
    (settled_through, settling_days) = views.execute(
        "select settled_through, settling_days from reporting.rpt_return_settlement"
    ).fetchone()
    assert settling_days == 42
    assert settled_through == latest_day - dt.timedelta(days=42)
    settled_week = settled_through - dt.timedelta(days=(settled_through.weekday() + 1) % 7 + 6)
    assert settled_week.weekday() == 0 and settled_week + dt.timedelta(days=6) <= settled_through
    s_returned, s_delivered = views.execute(
        "select sum(returned_orders), sum(delivered_or_returned_orders)"
        " from reporting.rpt_weekly_kpis where week_start = ?",
        [settled_week],
    ).fetchone()
    return_kpi = json_kpi(document, "return_rate")
    assert return_kpi["value"] == pytest.approx(s_returned / s_delivered)
    assert return_kpi["value"] > 0.01, "a settled week has returns"
    assert return_kpi["label"] == f"Return rate (week of {settled_week}, latest settled)"
    assert returned / delivered < return_kpi["value"], "the unsettled week's rate is lower"
    regions = json_table(document, "regions")
    assert all(r["return_rate"] is None for r in regions)
    assert {
        r["region"]: (money(r["revenue_usd"]), money(r["target_revenue_usd"])) for r in regions
    } == by_region
    trend = json_table(document, "weekly_trend")
    assert len(trend) == 12
    assert sum(1 for t in trend if t["revenue_usd"] is not None) == weeks_with_data
    assert money(trend[-1]["revenue_usd"]) == revenue
    for t in trend:
        week_end = dt.date.fromisoformat(str(t["week_start"])[:10]) + dt.timedelta(days=6)
        assert (t["return_rate"] is None) == (week_end > settled_through), t
    assert any(t["return_rate"] is not None for t in trend)
    notes = [table.get("note") for table in document["tables"]]
    assert all(note and "not settled yet" in note for note in notes), notes

    sections = csv_sections(paths["csv"])
    assert {r["region"]: Decimal(r["revenue_usd"]) for r in sections["regions"]} == {
        k: v[0] for k, v in by_region.items()
    }
    sheet = xlsx_sheet(paths["xlsx"], "Regions against target")
    assert {r["region"]: money(r["target_revenue_usd"]) for r in sheet} == {
        k: v[1] for k, v in by_region.items()
    }
    html = paths["html"].read_text()
    assert format_money(revenue) in html
    assert format_money(target) in html
    assert len(re.findall("<svg", html)) == 2


def test_monthly_data_quality_numbers(
    rendered: dict[str, dict[str, Path]], views: duckdb.DuckDBPyConnection
) -> None:
    paths = rendered["monthly_data_quality"]
    document = load_json(paths)
    month = dt.date.fromisoformat(document["params"]["month"] + "-01")
    # The default month is the latest in which something ran (tests, dbt runs,
    # freshness checks, report jobs): the generated data's quarantine months end
    # long before the builds that tested them.
    (expected_month,) = views.execute(
        "select max(month_start) from reporting.rpt_data_quality_monthly"
        " where tests_run > 0 or dbt_runs > 0 or freshness_checks > 0 or report_jobs > 0"
    ).fetchone()
    assert month == expected_month
    end = (month + dt.timedelta(days=32)).replace(day=1)
    tests_run, tests_failed, rows_quarantined, anomalies = views.execute(
        "select tests_run, tests_failed, rows_quarantined, volume_anomalies"
        " from reporting.rpt_data_quality_monthly where month_start = ?",
        [month],
    ).fetchone()
    quarantine = {
        (table, rule): rows
        for table, rule, rows in views.execute(
            "select source_table, quarantine_rule, sum(rows_quarantined)"
            " from reporting.rpt_quarantine_daily"
            " where quarantine_date >= ? and quarantine_date < ? group by all",
            [month, end],
        ).fetchall()
    }
    (freshness_rows,) = views.execute(
        "select count(*) from reporting.rpt_source_freshness"
    ).fetchone()
    (anomaly_rows,) = views.execute(
        "select count(*) from reporting.rpt_raw_volume_daily"
        " where is_anomaly and load_date >= ? and load_date < ?",
        [month, end],
    ).fetchone()

    assert tests_run > 0, "the default month is one in which the tests ran"
    assert json_kpi(document, "tests_run")["value"] == tests_run
    assert json_kpi(document, "tests_failed")["value"] == tests_failed
    assert json_kpi(document, "rows_quarantined")["value"] == (rows_quarantined or 0)
    assert json_kpi(document, "volume_anomalies")["value"] == (anomalies or 0)
    # The headline and the tables are the same numbers.
    runs = json_table(document, "run_durations")
    assert json_kpi(document, "dbt_runs_failed")["value"] == sum(r["runs_failed"] for r in runs)
    assert sum(r["runs"] for r in runs) > 0
    freshness = json_table(document, "source_freshness")
    assert json_kpi(document, "sources_past_freshness")["value"] == sum(
        1 for r in freshness if r["is_breach"]
    )
    (test_rows,) = [
        r for r in json_table(document, "test_results") if r["month"] == f"{month:%Y-%m}"
    ]
    assert test_rows["tests_run"] == json_kpi(document, "tests_run")["value"]
    deliveries = json_table(document, "deliveries")
    assert json_kpi(document, "deliveries_sent")["value"] == sum(r["sent"] for r in deliveries)
    assert json_kpi(document, "deliveries_failed")["value"] == sum(r["failed"] for r in deliveries)
    assert json_kpi(document, "deliveries_failed")["value"] == len(
        json_table(document, "failed_deliveries")
    )
    (due_in_month,) = views.execute(
        "select count(*) from reporting.rpt_deliveries where due_at >= ? and due_at < ?",
        [month, end],
    ).fetchone()
    assert sum(r["deliveries"] for r in deliveries) == due_in_month
    assert {
        (r["source_table"], r["quarantine_rule"]): r["rows_quarantined"]
        for r in json_table(document, "quarantine")
    } == quarantine
    assert sum(quarantine.values()) == (rows_quarantined or 0)
    assert len(json_table(document, "source_freshness")) == freshness_rows
    assert len(json_table(document, "volume_anomalies")) == anomaly_rows

    sections = csv_sections(paths["csv"])
    assert {
        (r["source_table"], r["quarantine_rule"]): int(r["rows_quarantined"])
        for r in sections.get("quarantine", [])
    } == quarantine
    sheet = xlsx_sheet(paths["xlsx"], "Quarantine by table and rule")
    assert {(r["source_table"], r["quarantine_rule"]): r["rows_quarantined"] for r in sheet} == (
        quarantine
    )
    html = paths["html"].read_text()
    assert f">{format_count(rows_quarantined)}<" in html


class RecordingQueries(ReportQueries):
    """The report's queries, run for real, each query's columns kept."""

    columns: dict[str, list[str]]

    def run(self, sql: str, **params: Any) -> Any:
        result = super().run(sql, **params)
        self.columns[sql] = list(result.columns)
        return result


def test_fetched_rows_have_the_typed_shapes(client: DuckDBClient) -> None:
    """Every query a report's ``fetch`` runs on a real warehouse returns exactly
    the columns of its row type, so ``assemble`` tested with literal rows
    (``test_report_layout.py``) sees what production sees (even where the
    small warehouse has no rows for a query)."""
    expected: dict[str, Any] = {
        daily_sales.DAY_TOTALS: daily_sales.DayTotalRow,
        daily_sales.BREAKDOWN.format(dimension="region"): daily_sales.BreakdownRow,
        daily_sales.BREAKDOWN.format(dimension="channel"): daily_sales.BreakdownRow,
        daily_sales.TOP_PRODUCTS_SQL: daily_sales.ProductRow,
        daily_sales.TREND: daily_sales.TrendRow,
        weekly_executive.WEEKS: weekly_executive.WeekRow,
        weekly_executive.REGIONS: weekly_executive.RegionRow,
        monthly_data_quality.MONTHS: monthly_data_quality.MONTHLY_COLUMNS,
        monthly_data_quality.FAILING_NODES: monthly_data_quality.NodeRow,
        monthly_data_quality.QUARANTINE: monthly_data_quality.QuarantineRow,
        monthly_data_quality.FRESHNESS: monthly_data_quality.FreshnessRow,
        monthly_data_quality.RUNS: monthly_data_quality.RunRow,
        monthly_data_quality.ANOMALIES: monthly_data_quality.AnomalyRow,
        monthly_data_quality.DAILY: monthly_data_quality.DailyRow,
        monthly_data_quality.DELIVERIES: monthly_data_quality.DeliveryRow,
    }
    ran: dict[str, list[str]] = {}
    for definition in CATALOG.values():
        queries = RecordingQueries(client, definition.relations)
        queries.columns = ran
        rows = definition.fetch(queries, definition.validate_params({}))
        assert definition.assemble(rows, dt.datetime.now(dt.UTC)).tables
    assert set(expected) <= set(ran), "a query was not run"
    for sql, row_type in expected.items():
        keys = set(row_type) if isinstance(row_type, tuple) else set(row_type.__annotations__)
        assert set(ran[sql]) == keys, (row_type, sorted(set(ran[sql]) ^ keys))


def test_explicit_params_select_the_period(
    client: DuckDBClient, views: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    (day,) = views.execute(
        "select min(order_date) from reporting.rpt_daily_sales where order_date >= '2026-03-10'"
    ).fetchone()
    (revenue,) = views.execute(
        "select sum(revenue_usd) from reporting.rpt_daily_sales where order_date = ?", [day]
    ).fetchone()
    paths = render_report("daily_sales", {"date": day.isoformat()}, ["json"], client, tmp_path)
    document = load_json(paths)
    assert document["params"] == {"date": day.isoformat()}
    assert money(json_kpi(document, "revenue_usd")["value"]) == revenue

    paths = render_report(
        "weekly_executive", {"week_start": "2026-03-09"}, ["json"], client, tmp_path
    )
    assert load_json(paths)["period_end"] == "2026-03-15"


def test_a_period_without_data_is_a_report_error(client: DuckDBClient, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no sales for 2001-01-01") as info:
        render_report("daily_sales", {"date": "2001-01-01"}, ["json"], client, tmp_path)
    assert info.value.retryable is False
    with pytest.raises(ReportError, match="2001-01"):
        render_report("monthly_data_quality", {"month": "2001-01"}, ["json"], client, tmp_path)


# --------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("report_type", "params", "message"),
    [
        ("daily_sales", {"date": 20260630}, "date: must be a date string YYYY-MM-DD"),
        ("daily_sales", {"date": "2026-02-30"}, "date: must be a real calendar date"),
        ("daily_sales", {"date": "30/06/2026"}, "date: must be a date string"),
        ("daily_sales", {"date": "2026-06-30T00:00:00"}, "date: must be a date string"),
        ("daily_sales", {"date": "1999-12-31"}, "date: must be between 2000-01-01 and 2100-12-31"),
        ("daily_sales", {"date": "2101-01-01"}, "date: must be between"),
        ("daily_sales", {"date": "2026-06-30'; drop table x; --"}, "date: must be a date string"),
        ("daily_sales", {"day": "2026-06-30"}, "day: unknown parameter (allowed: date)"),
        ("daily_sales", {"date": ["2026-06-30"]}, "date: must be a date string"),
        ("weekly_executive", {"week_start": "2026-06-24"}, "week_start: must be a Monday"),
        ("weekly_executive", {"week_start": True}, "week_start: must be a date string"),
        ("monthly_data_quality", {"month": "2026-13"}, "month: must be a month string"),
        ("monthly_data_quality", {"month": "2026-06-01"}, "month: must be a month string"),
        ("monthly_data_quality", {"month": "1 OR 1=1"}, "month: must be a month string"),
        ("monthly_data_quality", {"month": "2026-06", "x": 1}, "x: unknown parameter"),
    ],
)
def test_bad_params_are_invalid_requests(
    client: DuckDBClient, tmp_path: Path, report_type: str, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        render_report(report_type, params, ["json"], client, tmp_path)
    assert info.value.status_code == 422
    assert info.value.message.startswith(f"invalid params for {report_type}: ")
    assert message in info.value.message
    assert list(tmp_path.iterdir()) == []


def test_params_that_are_not_an_object_are_invalid(client: DuckDBClient, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="params must be a JSON object"):
        render_report("daily_sales", ["2026-06-30"], ["json"], client, tmp_path)  # type: ignore[arg-type]


def test_unknown_report_type_lists_the_known_ones(client: DuckDBClient, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError) as info:
        render_report("daily_sale", {}, ["json"], client, tmp_path)
    assert info.value.code == "unknown_report_type"
    for known in CATALOG:
        assert known in info.value.message
    with pytest.raises(InvalidRequestError):
        get_report("{rpt_daily_sales}")


@pytest.mark.parametrize("formats", [[], ["docx"], "json", ["json", "exe"]])
def test_bad_formats_are_invalid_requests(
    client: DuckDBClient, tmp_path: Path, formats: Any
) -> None:
    with pytest.raises(InvalidRequestError, match="format"):
        render_report("daily_sales", {}, formats, client, tmp_path)


def test_params_are_validated_to_typed_values() -> None:
    params = get_report("weekly_executive").validate_params({"week_start": "2026-06-22"})
    assert params.model_dump() == {"week_start": dt.date(2026, 6, 22)}
    assert get_report("monthly_data_quality").validate_params(
        {"month": "2026-05"}
    ).model_dump() == {"month": dt.date(2026, 5, 1)}
    assert get_report("daily_sales").validate_params({}).model_dump() == {"date": None}


# --------------------------------------------------------------------- renderer safety


def hostile_document() -> ReportDocument:
    hostile = [
        '=HYPERLINK("http://evil.example","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tTAB",
        "\rCR",
        "<script>alert('x')</script>",
        "plain",
    ]
    table = Table(
        name="hostile",
        title="Hostile: [strings]?",
        columns=(
            Column("text", "Text"),
            Column("amount", "Amount", "usd"),
            Column("n", "N", "int"),
        ),
        rows=tuple((text, Decimal("-12.50"), -3) for text in hostile),
    )
    return ReportDocument(
        report_type="daily_sales",
        title="<b>Title</b>",
        subtitle="=cmd|' /C calc'!A0",
        period_start=dt.date(2026, 6, 30),
        period_end=dt.date(2026, 6, 30),
        params={},
        generated_at=dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC),
        kpis=(Kpi.of("revenue_usd", "=Revenue", Decimal("-5.00"), "usd", (("-before", 1),)),),
        tables=(table, table),
    )


def test_formula_injection_is_escaped_in_csv_and_xlsx(tmp_path: Path) -> None:
    paths = write_formats(hostile_document(), ["csv", "xlsx"], tmp_path)
    rows = csv_sections(paths["csv"])["hostile"]
    texts = [r["text"] for r in rows]
    assert texts[:6] == [
        '\'=HYPERLINK("http://evil.example","x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTAB",
        "'\rCR",
    ]
    assert texts[7] == "plain"
    # Negative numbers stay numbers.
    assert {r["amount"] for r in rows} == {"-12.50"}
    assert {r["n"] for r in rows} == {"-3"}
    kpis = csv_sections(paths["csv"])["kpis"]
    assert kpis[0]["label"] == "'=Revenue"
    assert kpis[0]["comparison"] == "'-before"
    assert kpis[0]["value"] == "-5.00"

    workbook = openpyxl.load_workbook(paths["xlsx"])
    assert workbook.sheetnames == ["KPIs", "Hostile_ _strings__", "Hostile_ _strings__ (2)"]
    sheet = workbook["Hostile_ _strings__"]
    values = [row for row in sheet.iter_rows(min_row=2, values_only=True)]
    # (openpyxl stores a carriage return as a newline.)
    assert [v[0] for v in values][:6] == [text.replace("\r", "\n") for text in texts[:6]]
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "s"
        assert row[1].data_type == "n" and row[1].value == -12.5
        assert row[2].value == -3
    assert workbook["KPIs"]["B2"].value == "'=Revenue"
    workbook.close()


def test_html_escapes_data(tmp_path: Path) -> None:
    html = write_formats(hostile_document(), ["html"], tmp_path)["html"].read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Title&lt;/b&gt;" in html


def test_escape_formula_leaves_numbers_alone() -> None:
    assert escape_formula(-1) == -1
    assert escape_formula(Decimal("-1.5")) == Decimal("-1.5")
    assert escape_formula("-1") == "'-1"
    assert escape_formula("a=b") == "a=b"


def test_sheet_names_are_valid_and_unique() -> None:
    names = sheet_names(["x" * 40, "x" * 40, "a/b:c", "KPIs", "kpis"])
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == len(names)
    assert names[2] == "a_b_c"


def test_pdf_unavailable_fails_only_pdf(
    client: DuckDBClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A missing WeasyPrint (or system library) makes importing it fail.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(ReportError, match="PDF rendering is unavailable"):
        render_report("daily_sales", {}, ["pdf"], client, tmp_path / "pdf")
    paths = render_report("daily_sales", {}, ["html", "json"], client, tmp_path / "other")
    assert set(paths) == {"html", "json"}


# --------------------------------------------------------------------- dbt exposures


def test_every_report_is_a_dbt_exposure_of_exactly_its_relations(
    small_warehouse: Settings,
) -> None:
    manifest = json.loads((small_warehouse.docs_dir / "manifest.json").read_text())
    # Reports are applications (but the alerts'); the Streamlit UI is a
    # dashboard (tests/ui/test_health.py).
    exposures = {e["name"]: e for e in manifest["exposures"].values() if is_report(e)}
    assert set(exposures) == set(CATALOG)
    for report_type, definition in CATALOG.items():
        exposure = exposures[report_type]
        expected = {f"model.analytics_platform.{relation}" for relation in definition.relations}
        assert set(exposure["depends_on"]["nodes"]) == expected, report_type
        assert not EMAIL.search(exposure["owner"]["name"])
        assert exposure["owner"]["email"].split("@")[0] in {"analytics-platform"}
        for relation, columns in definition.relations.items():
            node = manifest["nodes"][f"model.analytics_platform.{relation}"]
            assert node["name"].startswith("rpt_")
            assert node["access"] == "public"
            assert node["original_file_path"].startswith("dbt_project/models/reporting/")
            documented = {c.lower() for c in node["columns"]}
            assert set(columns) <= documented, (relation, set(columns) - documented)


def test_reports_render_concurrently(
    client: DuckDBClient, rendered: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    """The worker pool renders several jobs at once on one client: every
    concurrent rendering equals the sequential one."""
    jobs = [(report_type, n) for report_type in CATALOG for n in range(3)]

    def render(job: tuple[str, int]) -> dict[str, Path]:
        report_type, n = job
        params = load_json(rendered[report_type])["params"]
        out = tmp_path / f"{report_type}-{n}"
        return render_report(report_type, params, ["json", "html"], client, out)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(render, jobs))
    for (report_type, _), paths in zip(jobs, results, strict=True):
        got, want = load_json(paths), load_json(rendered[report_type])
        got.pop("generated_at")
        want.pop("generated_at")
        assert got == want, report_type
        assert "<svg" in paths["html"].read_text()
