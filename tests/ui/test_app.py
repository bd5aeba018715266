"""Every page of the UI in Streamlit's AppTest, on a real built warehouse
(and, for Reports, a real report service process)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics_core.formatting import format_count, format_money
from analytics_core.settings import PROJECT_ROOT, Settings
from tests.conftest import free_port
from tests.report_service import service as svc

pytestmark = pytest.mark.slow

APP = str(PROJECT_ROOT / "ui" / "app.py")


@pytest.fixture
def ui_env(small_warehouse: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ANALYTICS_HOME", str(small_warehouse.home))
    monkeypatch.setenv("REPORT_SERVICE_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("REPORT_SERVICE_API_KEY", svc.API_KEY)
    st.cache_resource.clear()
    return small_warehouse


def app() -> AppTest:
    test = AppTest.from_file(APP, default_timeout=120)
    test.run()
    assert not test.exception, test.exception
    return test


def ask(test: AppTest, question: str) -> AppTest:
    test.chat_input[0].set_value(question).run()
    assert not test.exception, test.exception
    return test


def download_labels(test: AppTest) -> list[str]:
    return [str(getattr(b, "label", "")) for b in test.get("download_button")]


def shown(source: str) -> str:
    """The text a Markdown source made by ``ui.safe_text.escape_markdown`` shows:
    backslash escapes and character references undone, hard breaks as newlines."""
    text = re.sub(r"\\(.)", r"\1", source.replace("  \n", "\n"))
    return html.unescape(text).replace("\u00a0", " ").replace("\u2060", "")


def texts(elements: Any) -> list[str]:
    """What each element shows (values reach the page escaped: see ui/safe_text.py)."""
    return [shown(str(e.value)) for e in elements]


def test_ask_shows_the_warehouse_number(ui_env: Settings) -> None:
    test = ask(app(), "What was revenue in EMEA in May 2026?")
    with duckdb.connect(str(ui_env.warehouse_path), read_only=True) as con:
        row = con.execute(
            "select sum(line_net_amount_usd) from processed_data.fct_order_items i"
            " join processed_data.dim_customers c using (customer_key)"
            " where c.region = 'EMEA' and i.is_revenue_bearing"
            " and i.order_date between '2026-05-01' and '2026-05-31'"
        ).fetchone()
    assert row is not None
    assert texts(test.metric) == [format_money(row[0])]
    # The big number and the table read alike.
    [table] = [element.value for element in test.dataframe]
    assert list(table["Revenue"]) == [format_money(row[0])]
    assert any("where region is EMEA" in t for t in texts(test.markdown))
    assert any(t.endswith("Data through 2026-06-30.") for t in texts(test.markdown))
    assert "Download CSV" in download_labels(test)


def test_a_comparison_shows_its_change_as_the_delta(ui_env: Settings) -> None:
    test = ask(app(), "revenue in May 2026 vs April 2026")
    [metric] = test.metric
    [table] = [element.value for element in test.dataframe]
    assert list(table.columns) == [
        "Revenue",
        "Revenue (base)",
        "Revenue change",
        "Revenue change %",
    ]
    assert shown(metric.value) == table["Revenue"][0]
    assert shown(str(metric.delta)) == table["Revenue change %"][0]
    assert table["Revenue change %"][0].endswith("%")


def test_ask_page_shows_data_through_and_examples_from_the_saved_queries(
    ui_env: Settings,
) -> None:
    import datetime

    from questions.presenting import example_questions
    from questions.semantic import load_raw_semantic_manifest

    test = app()
    assert "Data through 30 June 2026 (2026-06-30)." in texts(test.caption)
    raw = load_raw_semantic_manifest()
    examples = [shown(str(b.label)) for b in test.button if str(b.key).startswith("example-")]
    # Two columns, left then right: the same questions, read row by row.
    assert sorted(examples) == sorted(example_questions(raw, datetime.date(2026, 6, 30)))
    assert len(examples) == len(raw["saved_queries"])
    button = next(b for b in test.button if shown(str(b.label)) == "New customers by month in 2026")
    button.click().run()
    assert not test.exception, test.exception
    [table] = [element.value for element in test.dataframe]
    assert list(table.columns) == ["Month", "New customers"]
    with duckdb.connect(str(ui_env.warehouse_path), read_only=True) as con:
        months = con.execute(
            "select date_trunc('month', first_order_date), count(*)"
            " from processed_data.dim_customers where customer_key <> -1"
            " and first_order_date between '2026-01-01' and '2026-12-31'"
            " group by 1 order by 1"
        ).fetchall()
    assert months
    assert [list(r) for r in table.itertuples(index=False)] == [
        [f"{month:%b %Y}", format_count(n)] for month, n in months
    ]
    # Asked, the examples give way to the conversation.
    assert not [b for b in test.button if str(b.key).startswith("example-")]


def test_ask_follow_up_and_chart(ui_env: Settings) -> None:
    test = ask(app(), "monthly revenue by region in 2026")
    assert test.get("vega_lite_chart"), "a chart for a time series"
    test = ask(test, "only EMEA")
    assert any(
        "where region is EMEA" in t and "by region and month" in t for t in texts(test.markdown)
    )


def test_clarify_offers_suggestions_that_work(ui_env: Settings) -> None:
    test = ask(app(), "how are we doing?")
    assert test.info and "metric" in test.info[0].value
    suggestion = next(b for b in test.button if "suggestion" in str(b.key))
    suggestion.click().run()
    assert not test.exception
    assert len(test.chat_message) == 4  # question, clarify, suggestion, answer
    assert not test.info or len(test.info) == 1


@pytest.mark.parametrize(
    "question",
    [
        "delete all cancelled orders",
        "list customer emails",
        "revenue'; DROP TABLE fct_orders; --",
        "x" * 10_000,
    ],
)
def test_unsupported_and_hostile_questions(ui_env: Settings, question: str) -> None:
    test = ask(app(), question)
    # The box keeps the first MAX_QUESTION_CHARS characters of a paste: 2,000
    # x's name no metric (clarify); the others are refused outright.
    assert test.warning or (question.startswith("xxx") and test.info), texts(test.markdown)
    assert "@" not in "".join(texts(test.markdown))


def test_metrics_page_answers_without_typing(ui_env: Settings) -> None:
    test = app()
    test.switch_page("views/metrics.py").run()
    assert not test.exception, test.exception
    test.multiselect[0].set_value(["revenue", "orders"])
    test.multiselect[1].set_value(["order__channel"])
    next(b for b in test.button if b.label == "Show").click().run()
    assert not test.exception, test.exception
    assert any("Revenue and Orders, by channel" in t for t in texts(test.markdown))


def test_metrics_page_custom_range(ui_env: Settings) -> None:
    import datetime

    test = app()
    test.switch_page("views/metrics.py").run()
    test.multiselect[0].set_value(["orders"])
    next(s for s in test.selectbox if s.label == "Period").set_value("between")
    dates = {d.label: d for d in test.date_input}
    dates["From (custom range)"].set_value(datetime.date(2026, 5, 31))
    dates["To (custom range)"].set_value(datetime.date(2026, 5, 1))
    next(b for b in test.button if b.label == "Show").click().run()
    assert not test.exception, test.exception
    assert "start date on or before the end date" in test.warning[0].value
    dates = {d.label: d for d in test.date_input}
    dates["From (custom range)"].set_value(datetime.date(2026, 5, 1))
    dates["To (custom range)"].set_value(datetime.date(2026, 5, 31))
    next(b for b in test.button if b.label == "Show").click().run()
    assert not test.exception, test.exception
    with duckdb.connect(str(ui_env.warehouse_path), read_only=True) as con:
        row = con.execute(
            "select sum(orders) from reporting.rpt_daily_sales"
            " where order_date between '2026-05-01' and '2026-05-31'"
        ).fetchone()
    assert row is not None
    assert texts(test.metric) == [format_count(row[0])]


def test_health_page_on_a_built_warehouse(ui_env: Settings) -> None:
    test = app()
    test.switch_page("views/health.py").run()
    assert not test.exception, test.exception
    titles = texts(test.subheader)
    assert titles[:3] == ["Last builds", "Failing tests and models", "Source freshness"]
    assert texts(test.metric)[0] == "success"


def test_reports_page_without_the_service_says_so(ui_env: Settings) -> None:
    test = app()
    test.switch_page("views/reports.py").run()
    assert not test.exception, test.exception
    assert "cannot be reached" in test.error[0].value


@pytest.fixture
def service(ui_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    home = svc.home_with_warehouse(ui_env.warehouse_path, tmp_path / "home")
    with svc.running(home) as running:
        monkeypatch.setenv("REPORT_SERVICE_URL", running.url)
        st.cache_resource.clear()
        yield running.url


def test_reports_page_runs_a_report(service: str) -> None:
    test = app()
    test.switch_page("views/reports.py").run()
    assert not test.exception, test.exception
    assert test.selectbox[0].value == "daily_sales"
    next(b for b in test.button if b.label == "Run report").click().run()
    assert not test.exception, test.exception
    assert download_labels(test) == ["Download HTML"]
    [table] = [element.value for element in test.dataframe]
    assert list(table["status"]) == ["succeeded"] and list(table["report"]) == ["daily_sales"]
    # Times to the minute with their zone, no "None" cells, the schedule in words.
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", table["created"][0])
    assert "None" not in table.to_string()
    assert any("Schedule: daily at 06:00 UTC" in c for c in texts(test.caption))

    # Another browser session sees the job among the recent ones and opens it.
    other = app()
    other.switch_page("views/reports.py").run()
    assert not other.exception, other.exception
    assert not other.get("download_button"), "nothing is open before a job is picked"
    opener = next(s for s in other.selectbox if s.label == "Open a job")
    assert len(opener.options) == 1 and "daily_sales" in opener.options[0]
    opener.select_index(0).run()
    assert not other.exception, other.exception
    assert download_labels(other) == ["Download HTML"]
    assert any("daily_sales" in t and "succeeded" in t for t in texts(other.subheader))

    # The status filter asks the service: no job has failed.
    status = next(s for s in other.selectbox if s.label == "Status")
    status.set_value("failed").run()
    assert not other.exception, other.exception
    assert any("No failed jobs" in t for t in texts(other.info))
