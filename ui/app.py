"""The Streamlit UI: ``analytics serve ui`` (port 8501)."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Analytics", page_icon=":material/insights:", layout="wide")
pages = st.navigation(
    [
        st.Page("views/ask.py", title="Ask", icon=":material/chat:", default=True),
        st.Page("views/metrics.py", title="Metrics", icon=":material/query_stats:"),
        st.Page("views/reports.py", title="Reports", icon=":material/description:"),
        st.Page("views/health.py", title="Data health", icon=":material/monitor_heart:"),
    ]
)
pages.run()
