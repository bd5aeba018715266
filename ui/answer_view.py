"""How an answer is drawn (Ask and Metrics pages): the interpretation in words,
the big numbers or a chart, the table, CSV download, the SQL (collapsed) and
follow-up suggestions as buttons. The big numbers and the table are the same
presentation (:mod:`questions.presenting`: labels from the semantic layer,
money, counts, percentages and dates by grain), so they read alike; the CSV
keeps the values as numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import streamlit as st

from analytics_core.spreadsheet import escape_formula
from questions.answers import Answer
from questions.presenting import Catalog, present
from ui.charts import choose_chart, records
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
    answer: Answer,
    key: str,
    on_suggestion: Callable[[str], None] | None = None,
    catalog: Catalog | None = None,
) -> None:
    """Draw ``answer``; ``catalog`` labels and types its columns (default: the
    UI's, :func:`ui.resources.answer_catalog`)."""
    # The explanation, warnings, suggestions and labels carry warehouse values
    # (product names ...) and the question: shown as text, never as Markdown.
    if answer.status == "unsupported":
        st.warning(md(answer.explanation), icon=":material/block:")
    elif answer.status == "clarify":
        st.info(md(answer.explanation), icon=":material/help:")
    else:
        st.markdown(md(answer.explanation))
        if catalog is None:
            from ui.resources import answer_catalog

            catalog = answer_catalog()
        _show_result(answer, key, catalog)
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


def _show_result(answer: Answer, key: str, catalog: Catalog) -> None:
    shown = present(answer, catalog)
    if shown.headlines:
        # One row: its numbers, big, formatted as the table formats them.
        tiles = st.columns(min(4, len(shown.headlines)))
        for index, headline in enumerate(shown.headlines):
            tiles[index % len(tiles)].metric(
                md(headline.label),
                md(headline.value),
                delta=md(headline.delta) if headline.delta else None,
                help=md(headline.against) if headline.against else None,
            )
    if not answer.rows:
        st.caption("No rows.")
        return
    labels = {c.name: c.label for c in shown.columns}
    chart = choose_chart(answer.columns, answer.rows, labels)
    if chart.kind in {"line", "bar"} and not shown.headlines:
        st.vega_lite_chart(chart.spec, width="stretch")
    st.dataframe(shown.records(), width="stretch", hide_index=True)
    for note in shown.notes:
        st.caption(md(note))
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
