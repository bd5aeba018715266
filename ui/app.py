"""The Streamlit UI: ``analytics serve ui`` (port 8501)."""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run ui/app.py` puts ui/ first on the path; the project root is needed.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

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
