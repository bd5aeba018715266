"""Metrics: pick metrics, a breakdown, a period and filters; no typing."""

from __future__ import annotations

import datetime

import streamlit as st

from analytics_core.errors import AnalyticsError
from ui.answer_view import show_answer
from ui.metric_picker import DIMENSIONS, GRAINS, PERIODS, Pick, answer_pick
from ui.resources import question_engine, semantic_catalog, wait_for_engine
from ui.safe_text import escape_markdown as md

st.title("Metrics")
try:
    wait_for_engine()
    catalog = semantic_catalog()
    engine = question_engine()
except AnalyticsError as exc:
    st.error(f"The semantic layer is not available: {md(exc)}")
    st.stop()
values = getattr(getattr(engine, "vocabulary", None), "values", {}) or {}

with st.form("pick"):
    metrics = st.multiselect(
        "Metrics",
        options=list(catalog["metrics"]),
        default=["revenue"],
        format_func=lambda name: catalog["metrics"][name],
    )
    left, right = st.columns(2)
    breakdown = left.multiselect(
        "Break down by", options=list(DIMENSIONS), format_func=lambda d: DIMENSIONS[d]
    )
    grain = right.selectbox("Over time", options=list(GRAINS), format_func=lambda g: GRAINS[g])
    period = left.selectbox("Period", options=list(PERIODS), index=3)
    as_of = right.date_input("As of", value=datetime.datetime.now(datetime.UTC).date())
    # A form reruns only when submitted, so the custom range is always shown.
    start = left.date_input(
        "From (custom range)", value=as_of - datetime.timedelta(days=30), help="With 'between'"
    )
    end = right.date_input("To (custom range)", value=as_of, help="With 'between'")
    filters: dict[str, list[str]] = {}
    for dimension, options in ((d, values.get(d, [])) for d in DIMENSIONS):
        if options and dimension != "product__product_name":
            chosen = st.multiselect(md(f"Only {DIMENSIONS[dimension].lower()}"), options=options)
            if chosen:
                filters[dimension] = chosen
    submitted = st.form_submit_button("Show", type="primary")

if submitted:
    if not metrics:
        st.warning("Pick at least one metric.")
    else:
        pick = Pick(
            metrics=tuple(metrics),
            group_by=tuple(breakdown),
            grain=grain or None,
            period=period,
            start=start,
            end=end,
            filters={k: tuple(v) for k, v in filters.items()},
        )
        try:
            st.session_state["metrics_answer"] = answer_pick(engine, pick, as_of)
        except ValueError as exc:  # a choice that does not fit, e.g. a range ending early
            st.session_state["metrics_answer"] = None
            st.warning(f"Check the choices: {md(exc)}.")
        except AnalyticsError as exc:
            st.session_state["metrics_answer"] = None
            st.error(f"The metrics could not be computed: {md(exc)}")

answer = st.session_state.get("metrics_answer")
if answer is not None:
    show_answer(answer, key="metrics")
