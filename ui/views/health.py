"""Data health: builds, failing tests, freshness, quarantine, volume, report jobs."""

from __future__ import annotations

import streamlit as st

from analytics_core.errors import AnalyticsError
from ui.charts import trend_chart
from ui.health import display_rows, headline, health_sections, last_build
from ui.resources import ui_settings, warehouse
from ui.safe_text import escape_markdown as md

st.title("Data health")
days = ui_settings().health_days
try:
    sections = health_sections(warehouse(), days)
except AnalyticsError as exc:
    st.error(f"The monitoring views cannot be read: {md(exc)}")
    st.stop()

top = headline(sections)
{"success": st.success, "warning": st.warning, "error": st.error}[top.level](md(top.message))
last = last_build(sections["builds"])
if last is not None:
    left, middle, right, fourth = st.columns(4)
    left.metric("Last build", md(last["status"]))
    middle.metric("Duration", f"{float(last['elapsed_seconds'] or 0):.0f} s")
    right.metric("Failed nodes", int(last["nodes_failed"] or 0) + int(last["nodes_errored"] or 0))
    fourth.metric(
        "Sources past freshness", f"{top.sources_past_freshness} of {top.sources_checked}"
    )

for section in sections.values():
    # The table across the page (its columns fit), the trend under it.
    st.subheader(md(section.title))
    if section.rows:
        st.dataframe(display_rows(section), hide_index=True, width="stretch")
    else:
        st.success("Nothing to report.")
    whole = section.trend_columns[1] != "run_seconds_p95"
    st.vega_lite_chart(
        trend_chart(section.trend_columns, section.trend_rows, whole, height=120),
        width="stretch",
    )
    dated = "by run date" if section.calendar == "run" else "by load date of the data"
    st.caption(f"Trend: {section.since:%d %b %Y} to {section.until:%d %b %Y}, {dated}")
