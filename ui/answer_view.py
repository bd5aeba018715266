"""How an answer is drawn (Ask and Metrics pages): the interpretation in words,
a big number or a chart, the table, CSV download, the SQL (collapsed) and
follow-up suggestions as buttons."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import streamlit as st

from analytics_core.spreadsheet import escape_formula
from questions.answers import Answer
from ui.charts import choose_chart, format_number, label, records
from ui.safe_text import escape_markdown as md


def csv_bytes(answer: Answer) -> bytes:
    """The answer as CSV; a text that a spreadsheet could read as a formula
    (a product named ``=HYPERLINK(...)``, `` =1+1``, full-width ``=1+1``) is prefixed with ``'``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([escape_formula(c) for c in answer.columns])
    for row in records(answer.columns, answer.rows):
        writer.writerow([escape_formula(row[c]) for c in answer.columns])
    return buffer.getvalue().encode("utf-8")


def show_answer(
    answer: Answer, key: str, on_suggestion: Callable[[str], None] | None = None
) -> None:
    # The explanation, warnings, suggestions and labels carry warehouse values
    # (product names ...) and the question: shown as text, never as Markdown.
    if answer.status == "unsupported":
        st.warning(md(answer.explanation), icon=":material/block:")
    elif answer.status == "clarify":
        st.info(md(answer.explanation), icon=":material/help:")
    else:
        st.markdown(md(answer.explanation))
        _show_result(answer, key)
    if answer.suggestions and on_suggestion is not None:
        st.caption("Try:" if answer.status != "answered" else "Follow up:")
        columns = st.columns(min(3, len(answer.suggestions)))
        for index, suggestion in enumerate(answer.suggestions[:6]):
            columns[index % len(columns)].button(
                md(suggestion),
                key=f"{key}-suggestion-{index}",
                on_click=on_suggestion,
                args=(suggestion,),
                width="stretch",
            )


def _show_result(answer: Answer, key: str) -> None:
    if not answer.rows:
        st.caption("No rows: nothing matched in that period.")
        return
    chart = choose_chart(answer.columns, answer.rows)
    if chart.kind == "number":
        column = chart.y[0]
        st.metric(md(label(column)), md(format_number(chart.value, column)))
    elif chart.kind in {"line", "bar"}:
        st.vega_lite_chart(chart.spec, width="stretch")
    table: list[dict[str, Any]] = records(answer.columns, answer.rows)
    st.dataframe(table, width="stretch", hide_index=True)
    for warning in answer.warnings:
        st.caption(md(warning))
    left, right = st.columns([1, 3])
    left.download_button(
        "Download CSV",
        data=csv_bytes(answer),
        file_name="answer.csv",
        mime="text/csv",
        key=f"{key}-csv",
    )
    if answer.sql:
        with right.expander("SQL"):
            st.code(answer.sql, language="sql")
