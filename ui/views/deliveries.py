"""Deliveries: the schedule file's subscriptions, when each is next sent, to
whom, its latest sends and failures (from the report service), and a button
that sends one now.

Names, addresses and errors are shown as text (``ui.safe_text.escape_markdown``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from analytics_core.cron_words import describe_cron
from analytics_core.errors import AnalyticsError
from analytics_core.formatting import format_utc_minute
from analytics_core.schedules import ReportJob, load_schedule
from analytics_core.settings import SchedulerSettings
from ui.report_client import ReportServiceClient, ReportServiceError
from ui.resources import report_client
from ui.safe_text import escape_markdown as md

#: Latest deliveries shown per subscription.
LATEST = 20

st.title("Deliveries")
try:
    schedule = load_schedule(SchedulerSettings().schedule_file)
except AnalyticsError as exc:
    st.error(f"The schedule file cannot be read: {md(exc)}")
    st.stop()

if not schedule.subscriptions:
    st.info(
        "No subscriptions yet: add them to the schedule file's `subscriptions` section "
        f"({md(schedule.path.name)}); docs/operations.md shows how."
    )
    st.stop()

client: ReportServiceClient | None
try:
    client = report_client()
except AnalyticsError as exc:
    client = None
    st.error(f"The report service cannot be used: {md(exc)}")


def when(value: str | None) -> str:
    return format_utc_minute(value, "")


def recipient_rows(entry: Any) -> list[dict[str, str]]:
    return [
        {
            "recipient": r.name,
            "channel": r.channel,
            "to": ", ".join(r.to) if r.to else f"secret {r.secret}",
            "formats": ", ".join(r.formats) or "the report job's",
            "files": "attached" if r.delivery == "attach" and r.channel == "email" else "linked",
        }
        for r in entry.recipients
    ]


def delivery_rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "due": when(d.get("due_at")),
            "recipient": str(d.get("recipient", "")),
            "status": str(d.get("status", "")),
            "attempts": int(d.get("attempts") or 0),
            "sent": when(d.get("sent_at")),
            "detail": str(d.get("detail") or ""),
        }
        for d in found
    ]


mode_shown = False
now = dt.datetime.now(dt.UTC)
for entry in schedule.subscriptions:
    job = schedule.job(entry.report)
    if not isinstance(job, ReportJob):  # the schedule check makes it one
        continue
    st.subheader(md(entry.name))
    next_run = job.next_runs(now)[0]
    st.caption(
        f"Report job {md(job.name)} ({md(job.report_type)}), {md(describe_cron(job.cron))}; "
        f"next: {md(format_utc_minute(next_run))}"
    )
    st.dataframe(recipient_rows(entry), hide_index=True, width="stretch")
    if client is None:
        continue
    try:
        mode, found = client.deliveries(entry.name, limit=LATEST)
    except ReportServiceError as exc:
        st.error(f"Its deliveries cannot be listed: {md(exc)}")
        continue
    if mode == "outbox" and not mode_shown:
        st.info(
            "The report service writes messages to its outbox (DELIVERY_MODE=outbox): "
            "nothing leaves the machine."
        )
        mode_shown = True
    failed = [d for d in found if d.get("status") == "failed"]
    if failed:
        st.warning(f"{len(failed)} of the latest {len(found)} deliveries failed.")
    if found:
        st.dataframe(delivery_rows(found), hide_index=True, width="stretch")
    else:
        st.caption("Not sent yet.")
    if st.button("Send now", key=f"send-{entry.name}"):
        try:
            answer = client.send_now(entry.name)
        except ReportServiceError as exc:
            st.error(f"It could not be sent: {md(exc)}")
        else:
            count = len(answer.get("deliveries", []))
            st.success(
                f"{count} deliveries queued for {md(when(answer.get('due_at')))}; "
                "the list shows them once sent (refresh the page)."
            )
