"""The Streamlit UI: ``analytics serve ui`` (port 8501)."""

from __future__ import annotations

import streamlit as st

from ui.resources import start_loading

st.set_page_config(page_title="Analytics", page_icon=":material/insights:", layout="wide")
# The semantic layer loads in the background from the first visit on, so the
# Ask and Metrics pages do not wait for it on their first use.
start_loading()
pages = st.navigation(
    [
        st.Page("views/ask.py", title="Ask", icon=":material/chat:", default=True),
        st.Page("views/metrics.py", title="Metrics", icon=":material/query_stats:"),
        st.Page("views/reports.py", title="Reports", icon=":material/description:"),
        st.Page("views/deliveries.py", title="Deliveries", icon=":material/outgoing_mail:"),
        st.Page("views/health.py", title="Data health", icon=":material/monitor_heart:"),
    ]
)
pages.run()
