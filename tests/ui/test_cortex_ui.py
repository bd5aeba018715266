"""The Ask page with Cortex Analyst behind it (``QUESTIONS_WAREHOUSE=snowflake``,
``QUESTIONS_CORTEX_ENABLED``): the same screens, answered by a scripted Cortex
Analyst server over HTTP and run on the Snowflake emulator."""

from __future__ import annotations

import os
import re

import pytest
import streamlit as st

from tests.questions.test_cortex_analyst import (
    DATABASE,
    INTERPRETATION,
    REVENUE_SQL,
    TOKEN,
    VIEW,
    FakeCortex,
    Reply,
    answer_body,
    cortex,  # noqa: F401 - a fixture
    error_body,
    sql,
    suggestions,
    text,
    warehouse_env,  # noqa: F401 - a fixture
)
from tests.ui.test_app import app, ask, download_labels, texts

pytestmark = pytest.mark.slow


@pytest.fixture
def cortex_ui(
    cortex: FakeCortex,  # noqa: F811 - the imported fixture
    warehouse_env: dict[str, str],  # noqa: F811 - the imported fixture
    monkeypatch: pytest.MonkeyPatch,
) -> FakeCortex:
    for name in list(os.environ):
        if name.startswith(("QUESTIONS_", "SNOWFLAKE_")):
            monkeypatch.delenv(name)
    settings = {
        "QUESTIONS_WAREHOUSE": "snowflake",
        "QUESTIONS_CORTEX_ENABLED": "true",
        "QUESTIONS_CORTEX_TOKEN": TOKEN,
        "QUESTIONS_CORTEX_SEMANTIC_VIEW": VIEW,
        "QUESTIONS_CORTEX_BASE_URL": cortex.url,
        "QUESTIONS_CORTEX_TIMEOUT_SECONDS": "10",
        "SNOWFLAKE_ACCOUNT": "fakesnow",
        "SNOWFLAKE_USER": "fake",
        "SNOWFLAKE_PASSWORD": "snow",
        "SNOWFLAKE_PROTOCOL": "http",
        "SNOWFLAKE_DATABASE": DATABASE,
        **warehouse_env,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    st.cache_resource.clear()
    return cortex


def test_cortex_answers_on_the_same_screens(cortex_ui: FakeCortex) -> None:
    cortex_ui.reply(
        Reply(
            body=answer_body(text(INTERPRETATION), sql(REVENUE_SQL), suggestions("And by month?"))
        )
    )
    test = ask(app(), "Revenue by region")
    # Cortex's own words, then the date the data runs to (read from the warehouse).
    [said] = [t for t in texts(test.markdown) if t.startswith(INTERPRETATION)]
    assert re.fullmatch(re.escape(INTERPRETATION) + r" Data through \d{4}-\d{2}-\d{2}\.", said)
    [table] = [element.value for element in test.dataframe]
    # Columns the semantic layer does not name: labelled from their words,
    # numbers formatted as numbers.
    assert list(table["Region"]) == ["AMER", "APAC", "EMEA"]
    assert list(table["Total revenue"]) == ["200.00", "75.25", "150.50"]
    assert test.get("vega_lite_chart"), "categories are drawn as bars"
    assert "Download CSV" in download_labels(test)
    # The question went to Cortex Analyst with the semantic view and the token.
    [request] = cortex_ui.requests
    assert request.body["semantic_view"] == VIEW
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.body["messages"][-1]["content"][0]["text"].startswith("Revenue by region")


def test_cortex_suggestions_and_errors_are_readable(cortex_ui: FakeCortex) -> None:
    cortex_ui.reply(
        Reply(
            body=answer_body(
                text("Your question is ambiguous."),
                suggestions("What was revenue by region in March 2026?"),
            )
        ),
        *[Reply(503, error_body("Service unavailable", "390503", "req-1")) for _ in range(5)],
    )
    test = ask(app(), "how are we doing")
    assert test.info and "ambiguous" in test.info[0].value
    assert any("revenue by region in March 2026" in str(b.label) for b in test.button), (
        "the suggestion is a button"
    )
    test = ask(test, "Revenue by region")
    assert test.error, "a Cortex Analyst outage is a message, not a crash"
    message = test.error[0].value
    assert "could not be answered" in message
    assert TOKEN not in message and "Traceback" not in message
    # The conversation goes on: the page still takes questions.
    assert test.chat_input
