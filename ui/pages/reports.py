"""Reports: the catalog of the report service; run one, watch it, open it."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from ui.report_client import ReportServiceError
from ui.report_form import form_fields, params_from
from ui.resources import report_client

st.title("Reports")
client = report_client()
jobs: list[dict[str, Any]] = st.session_state.setdefault("report_jobs", [])

try:
    catalog = {entry["type"]: entry for entry in client.catalog()}
except ReportServiceError as exc:
    st.error(f"The report catalog is not available: {exc}")
    st.stop()

report_type = st.selectbox(
    "Report", options=list(catalog), format_func=lambda t: catalog[t].get("title") or t
)
entry = catalog[report_type]
st.caption(f"{entry.get('description', '')}  \nSchedule: {entry.get('schedule') or 'on demand'}")
fields = form_fields(entry.get("params_schema") or {})

with st.form(f"run-{report_type}"):
    values: dict[str, Any] = {}
    for field in fields:
        key = f"{report_type}-{field.name}"
        label = field.title + ("" if field.required else " (optional)")
        if field.kind == "date":
            default = field.default or None
            values[field.name] = st.date_input(
                label,
                value=datetime.date.fromisoformat(default) if default else None,
                help=field.help,
                key=key,
            )
        elif field.kind == "choice":
            values[field.name] = st.selectbox(
                label, options=field.choices, help=field.help, key=key
            )
        elif field.kind == "integer":
            values[field.name] = st.number_input(
                label, value=field.default, step=1, help=field.help, key=key
            )
        elif field.kind == "boolean":
            values[field.name] = st.checkbox(
                label, value=bool(field.default), help=field.help, key=key
            )
        else:
            values[field.name] = st.text_input(
                label, value=field.default or "", help=field.help, key=key
            )
    formats = st.multiselect("Formats", options=entry.get("formats", []), default=["html"])
    run = st.form_submit_button("Run report", type="primary")

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
            with st.status(f"Rendering {entry.get('title', report_type)} ...") as status:
                job = client.wait(
                    created["job_id"],
                    on_update=lambda j: status.update(
                        label=f"Job {j['job_id'][:8]}: {j['status']}"
                    ),
                )
                status.update(
                    label=f"Job {job['job_id'][:8]}: {job['status']}",
                    state="complete" if job["status"] == "succeeded" else "error",
                )
            jobs.insert(0, job)
        except ReportServiceError as exc:
            st.error(f"The report could not be run: {exc}")

if jobs:
    latest = jobs[0]
    if latest["status"] == "failed":
        st.error(f"The report failed: {latest.get('error') or 'no reason given'}")
    else:
        formats_done = [a["format"] for a in latest.get("artifacts", [])]
        columns = st.columns(max(1, len(formats_done)))
        for column, fmt in zip(columns, formats_done, strict=False):
            try:
                data = client.artifact(latest["job_id"], fmt)
            except ReportServiceError as exc:
                column.error(str(exc))
                continue
            column.download_button(
                f"Download {fmt.upper()}",
                data=data,
                file_name=f"{latest['report_type']}-{latest['job_id'][:8]}.{fmt}",
                key=f"download-{latest['job_id']}-{fmt}",
            )
            if fmt == "html":
                components.html(data.decode("utf-8", "replace"), height=900, scrolling=True)
    st.subheader("Recent jobs")
    if st.button("Refresh"):
        for index, job in enumerate(jobs):
            try:
                jobs[index] = client.job(job["job_id"])
            except ReportServiceError as exc:
                st.error(str(exc))
                break
    st.dataframe(
        [
            {
                "job": j["job_id"][:8],
                "report": j["report_type"],
                "status": j["status"],
                "created": j.get("created_at"),
                "finished": j.get("finished_at"),
                "error": j.get("error"),
            }
            for j in jobs
        ],
        hide_index=True,
        width="stretch",
    )
