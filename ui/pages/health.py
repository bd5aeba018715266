"""Data health: builds, failing tests, freshness, quarantine, volume, report jobs."""

from __future__ import annotations

import datetime

import streamlit as st

from analytics_core.errors import AnalyticsError
from ui.charts import choose_chart, records
from ui.health import health_sections
from ui.resources import ui_settings, warehouse

st.title("Data health")
days = ui_settings().health_days
since = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=days)
try:
    sections = health_sections(warehouse(), since)
except AnalyticsError as exc:
    st.error(f"The monitoring views cannot be read: {exc}")
    st.stop()

builds = sections["builds"]
if builds.rows:
    last = dict(zip(builds.columns, builds.rows[0], strict=False))
    left, middle, right = st.columns(3)
    left.metric("Last build", str(last["status"]))
    middle.metric("Duration", f"{float(last['elapsed_seconds'] or 0):.0f} s")
    right.metric("Failed nodes", int(last["nodes_failed"] or 0) + int(last["nodes_errored"] or 0))
else:
    st.info("No build has been recorded yet.")

for section in sections.values():
    st.subheader(section.title)
    left, right = st.columns([3, 2])
    if section.rows:
        left.dataframe(records(section.columns, section.rows), hide_index=True, width="stretch")
    else:
        left.success("Nothing to report.")
    chart = choose_chart(section.trend_columns, section.trend_rows)
    if chart.kind in {"line", "bar"}:
        right.vega_lite_chart(chart.spec, width="stretch")
    right.caption(f"Trend over the last {days} days")
