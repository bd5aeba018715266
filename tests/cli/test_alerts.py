"""``analytics alerts`` on a real built warehouse: metric alerts through the
semantic layer (their numbers equal the warehouse's and the answer to the
question they link to), data-quality findings from the monitoring views
with owners from dbt meta, sent through a real report service process
(outbox mode) once per suppression window; bad command lines and alerts
naming what the semantic layer does not have get one clear line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from analytics_core.settings import Settings
from tests.conftest import run_cli
from tests.report_service import service as svc

pytestmark = pytest.mark.slow

SCHEDULE = """
builds:
  - name: hourly_build
    cron: "15 * * * *"
  - name: nightly_full_build
    cron: "30 2 * * *"
reports: []
alerts:
  - name: weekly_revenue_above_zero
    metric: revenue
    grain: week
    above: 0
    after: nightly_full_build
    recipients:
      - {name: Sales lead, channel: email, to: [lead@example.com]}
  - name: emea_monthly_revenue_change
    metric: revenue
    grain: month
    where: {customer__region: EMEA}
    change: {compare_to: previous_period, above: -1000}
    recipients:
      - {name: EMEA manager, channel: slack, secret: slack_emea}
  - name: revenue_impossible
    metric: revenue
    grain: day
    above: 1000000000000000
    recipients:
      - {name: Nobody, channel: email, to: [nobody@example.com]}
  - name: data_quality
    checks: [freshness, failing_tests, failed_runs]
    recipients:
      - {name: Data engineering, channel: slack, secret: slack_data, owners: [data_engineering]}
      - {name: Finance, channel: email, to: [fin@example.com], owners: [finance]}
"""


@pytest.fixture
def home(tmp_path: Path, small_warehouse: Settings) -> Path:
    return svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")


@pytest.fixture
def env(tmp_path: Path, small_warehouse: Settings, home: Path) -> dict[str, str]:
    # The published build's manifests (owners, the semantic layer) come with
    # the warehouse, as in a home that built it.
    docs = home / "dbt" / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for name in ("manifest.json", "semantic_manifest.json"):
        (docs / name).write_bytes((small_warehouse.docs_dir / name).read_bytes())
    (tmp_path / "schedules.yml").write_text(SCHEDULE)
    return {
        "SCHEDULER_SCHEDULE_FILE": str(tmp_path / "schedules.yml"),
        "DELIVERY_MODE": "outbox",
        "DELIVERY_UI_URL": "https://analytics.example.com/ui",
    }


def findings(done: Any) -> dict[str, list[dict[str, Any]]]:
    assert done.returncode == 0, done.stderr
    return {a["alert"]: a["findings"] for a in json.loads(done.stdout)["alerts"]}


def test_metric_alerts_report_the_warehouses_numbers(home: Path, env: dict[str, str]) -> None:
    found = findings(run_cli("alerts", "--dry-run", "--json", home=home, env=env))
    assert found["revenue_impossible"] == []
    [weekly] = found["weekly_revenue_above_zero"]
    # The small warehouse runs through 2026-06-30 (a Tuesday): the last whole
    # week is 22-28 June.
    assert weekly["key"] == "revenue:week:2026-06-22"
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        [(revenue,)] = con.execute(
            "select sum(line_net_amount_usd) from processed_data.fct_order_items"
            " where is_revenue_bearing and order_date between '2026-06-22' and '2026-06-28'"
        ).fetchall()
    assert weekly["lines"][0].startswith(f"{float(revenue):,.2f} for the week of 2026-06-22")
    # The link asks the question that reproduces the number.
    label, url = weekly["link"]
    assert url.startswith("https://analytics.example.com/ui/?q=")
    [question] = parse_qs(urlsplit(url).query)["q"]
    assert label == f"Ask: {question}"
    asked = run_cli("ask", "--json", question, home=home, env=env)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["rows"][0][0] == pytest.approx(float(revenue))
    [monthly] = found["emea_monthly_revenue_change"]
    assert monthly["key"] == "revenue:month:2026-06-01"
    assert "against" in monthly["lines"][0] and "for May 2026" in monthly["lines"][0]
    assert "region EMEA" in monthly["title"]


def test_data_quality_findings_carry_their_owners(home: Path, env: dict[str, str]) -> None:
    found = findings(run_cli("alerts", "data_quality", "--dry-run", "--json", home=home, env=env))
    quality = found["data_quality"]
    assert quality, "the test warehouse's sources are stale: freshness finds them"
    stale = [f for f in quality if f["key"].startswith("freshness:")]
    assert stale and all(f["owner"] == "data_engineering" for f in stale)
    assert all(f["title"] and len(f["key"]) <= 200 for f in quality)


def test_only_the_alerts_after_a_build_run(home: Path, env: dict[str, str]) -> None:
    # weekly_revenue_above_zero follows the nightly build only.
    chosen = ["weekly_revenue_above_zero", "data_quality"]
    found = findings(
        run_cli(
            "alerts", *chosen, "--after", "hourly_build", "--dry-run", "--json", home=home, env=env
        )
    )
    assert set(found) == {"data_quality"}


TO_X = "recipients: [{name: x, channel: email, to: [x@example.com]}]"


@pytest.mark.parametrize(
    ("args", "schedule_extra", "says"),
    [
        (["alerts", "nobody", "--dry-run"], "", "no alert 'nobody'"),
        (["alerts", "--after", "daily_sales", "--dry-run"], "", "is not a build job"),
        (
            ["alerts", "ghost", "--dry-run"],
            f"  - {{name: ghost, metric: ectoplasm, above: 1, {TO_X}}}\n",
            "no metric 'ectoplasm' in the semantic layer",
        ),
    ],
)
def test_bad_alerts_get_one_clear_line(
    home: Path, env: dict[str, str], tmp_path: Path, args: list[str], schedule_extra: str, says: str
) -> None:
    (tmp_path / "schedules.yml").write_text(SCHEDULE + schedule_extra)
    done = run_cli(*args, home=home, env=env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert says in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def service(home: Path, env: dict[str, str]) -> Iterator[svc.RunningService]:
    with svc.running(home, env) as running:
        yield running


def test_findings_are_sent_once_per_window(
    service: svc.RunningService, home: Path, env: dict[str, str]
) -> None:
    cli_env = {**env, "REPORT_SERVICE_URL": service.url, "REPORT_SERVICE_API_KEY": svc.API_KEY}
    dry = run_cli("alerts", "data_quality", "--dry-run", "--json", home=home, env=cli_env)
    first = run_cli("alerts", "weekly_revenue_above_zero", "data_quality", home=home, env=cli_env)
    assert first.returncode == 0, first.stderr
    assert "weekly_revenue_above_zero: 1 finding; 1 message queued, 0 suppressed" in first.stdout
    # Again (the next build): the data-quality findings are held back or made
    # already; nothing new is queued.
    again = run_cli("alerts", "data_quality", home=home, env=cli_env)
    assert again.returncode == 0, again.stderr
    assert "data_quality: " in again.stdout and "; 0 messages queued" in again.stdout
    listed = run_cli("deliver", "--recent", "--json", home=home, env=cli_env)
    deliveries = json.loads(listed.stdout)["deliveries"]
    weekly = [d for d in deliveries if d["source"] == "weekly_revenue_above_zero"]
    assert len(weekly) == 1 and weekly[0]["kind"] == "alert"
    # Each finding went to its owner's recipients; one without an owner to both.
    owners = [f["owner"] for f in findings(dry)["data_quality"]]
    wanted = {
        "Data engineering": sum(1 for o in owners if o in (None, "data_engineering")),
        "Finance": sum(1 for o in owners if o in (None, "finance")),
    }
    got = {name: 0 for name in wanted}
    for d in deliveries:
        if d["source"] == "data_quality":
            got[d["recipient"]] += 1
    assert got == wanted and wanted["Data engineering"] > wanted["Finance"]


def test_the_shipped_alerts_name_what_the_semantic_layer_has(
    home: Path, env: dict[str, str]
) -> None:
    shipped = {k: v for k, v in env.items() if k != "SCHEDULER_SCHEDULE_FILE"}
    found = findings(run_cli("alerts", "--dry-run", "--json", home=home, env=shipped))
    assert set(found) == {"weekly_revenue_fell", "data_quality"}
    assert found["data_quality"], "the test warehouse's stale sources are found"


def test_the_alerts_exposure_lists_the_views_the_checks_read(small_warehouse: Settings) -> None:
    from analytics_core.data_quality_findings import relations
    from orchestration.contract_docs import is_report

    manifest = json.loads((small_warehouse.docs_dir / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.analytics_platform.data_quality_alerts"]
    wanted = {f"model.analytics_platform.{name}" for name in relations()}
    assert set(exposure["depends_on"]["nodes"]) == wanted
    assert not is_report(exposure)  # an application, but no report of the catalog
    with duckdb.connect(str(small_warehouse.warehouse_path), read_only=True) as con:
        for name in relations():
            con.execute(f"select * from reporting.{name} limit 0")  # each exists
