"""Reports: the catalog of the report service; run one, watch it, open it.

Everything the service sends (titles, descriptions, parameter names and
help, job labels, errors) is shown as text (``ui.safe_text.escape_markdown``);
a report opens in a sandboxed iframe (``ui.safe_text.sandboxed_html``)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from analytics_core.cron_words import describe_cron
from analytics_core.errors import AnalyticsError
from ui.report_client import JOB_STATUSES, ReportServiceError, job_label, job_summary
from ui.report_form import form_fields, params_from
from ui.resources import report_client
from ui.safe_text import escape_markdown as md
from ui.safe_text import sandboxed_html

#: Jobs listed under "Recent jobs" (the service returns at most 100).
RECENT_JOBS = 20

st.title("Reports")
try:
    client = report_client()
except AnalyticsError as exc:  # e.g. a local key file that is not private
    st.error(f"The report service cannot be used: {md(exc)}")
    st.stop()

try:
    catalog = {entry["type"]: entry for entry in client.catalog()}
except ReportServiceError as exc:
    st.error(f"The report catalog is not available: {md(exc)}")
    st.stop()

report_type = st.selectbox(
    "Report", options=list(catalog), format_func=lambda t: catalog[t].get("title") or t
)
entry = catalog[report_type]
schedule = entry.get("schedule")
when = describe_cron(schedule) if schedule else "on demand only"
st.caption(f"{md(entry.get('description', ''))}  \nSchedule: {md(when)}")
fields = form_fields(entry.get("params_schema") or {})

with st.form(f"run-{report_type}"):
    values: dict[str, Any] = {}
    for field in fields:
        key = f"{report_type}-{field.name}"
        label = md(field.title + ("" if field.required else " (optional)"))
        help_text = md(field.help) if field.help else None
        if field.kind == "date":
            default = field.default or None
            values[field.name] = st.date_input(
                label,
                value=datetime.date.fromisoformat(default) if default else None,
                help=help_text,
                key=key,
            )
        elif field.kind == "choice":
            values[field.name] = st.selectbox(label, options=field.choices, help=help_text, key=key)
        elif field.kind == "integer":
            values[field.name] = st.number_input(
                label, value=field.default, step=1, help=help_text, key=key
            )
        elif field.kind == "boolean":
            values[field.name] = st.checkbox(
                label, value=bool(field.default), help=help_text, key=key
            )
        else:
            values[field.name] = st.text_input(
                label, value=field.default or "", help=help_text, key=key
            )
    formats = st.multiselect("Formats", options=entry.get("formats", []), default=["html"])
    run = st.form_submit_button("Run report", type="primary")

shown = st.container()

if run:
    if not formats:
        st.warning("Pick at least one format.")
    else:
        try:
            created = client.create_job(
                report_type,
                params_from(values, fields),
                formats,
                idempotency_key=str(uuid.uuid4()),
            )
            title = md(entry.get("title", report_type))
            with st.status(f"Rendering {title} ...") as status:
                job = client.wait(
                    created["job_id"],
                    on_update=lambda j: status.update(
                        label=md(f"Job {j['job_id'][:8]}: {j['status']}")
                    ),
                )
                status.update(
                    label=md(f"Job {job['job_id'][:8]}: {job['status']}"),
                    state="complete" if job["status"] == "succeeded" else "error",
                )
            st.session_state["shown_job"] = job
            st.session_state.pop("open_job", None)
        except ReportServiceError as exc:
            st.error(f"The report could not be run: {md(exc)}")

st.subheader("Recent jobs")
left, right = st.columns([1, 3])
status_filter = left.selectbox("Status", options=["all", *JOB_STATUSES], key="jobs_status")
right.button("Refresh", key="jobs_refresh")  # a click reruns the page: the list is read again
try:
    recent = client.recent_jobs(
        limit=RECENT_JOBS, status=None if status_filter == "all" else status_filter
    )
except ReportServiceError as exc:
    st.error(f"The recent jobs cannot be listed: {md(exc)}")
    recent = []
if recent:
    st.dataframe([job_summary(j) for j in recent], hide_index=True, width="stretch")
    finished = {j["job_id"]: j for j in recent if j["status"] in ("succeeded", "failed")}
    picked = st.selectbox(
        "Open a job",
        options=list(finished),
        index=None,
        format_func=lambda job_id: job_label(finished[job_id]),
        key="open_job",
    )
    if picked:
        st.session_state["shown_job"] = finished[picked]
else:
    st.info("No report jobs yet." if status_filter == "all" else md(f"No {status_filter} jobs."))

latest: dict[str, Any] | None = st.session_state.get("shown_job")
if latest is not None:
    with shown:
        st.subheader(md(job_label(latest)))
        if latest["status"] == "failed":
            st.error(f"The report failed: {md(latest.get('error') or 'no reason given')}")
        else:
            formats_done = [a["format"] for a in latest.get("artifacts", [])]
            columns = st.columns(max(1, len(formats_done)))
            html: bytes | None = None
            for column, fmt in zip(columns, formats_done, strict=False):
                try:
                    data = client.artifact(latest["job_id"], fmt)
                except ReportServiceError as exc:
                    column.error(md(exc))
                    continue
                column.download_button(
                    md(f"Download {fmt.upper()}"),
                    data=data,
                    file_name=f"{latest['report_type']}-{latest['job_id'][:8]}.{fmt}",
                    key=f"download-{latest['job_id']}-{fmt}",
                )
                if fmt == "html":
                    html = data
            if html is not None:
                # Scripts and the UI's origin are allowed in components.html's
                # iframe: the report goes into an inner iframe with neither.
                page = sandboxed_html(html.decode("utf-8", "replace"), title=job_label(latest))
                components.html(page, height=900, scrolling=False)
