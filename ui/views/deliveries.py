"""Deliveries: the schedule file's subscriptions and alerts; for each, when it
runs next, to whom it goes, its latest sends and failures (from the report
service), and a button that sends a subscription now or checks an alert now.

Names, addresses and errors are shown as text (``ui.safe_text.escape_markdown``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from analytics_core.cron_words import describe_cron
from analytics_core.errors import AnalyticsError
from analytics_core.formatting import counted, format_utc_minute
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

if not schedule.subscriptions and not schedule.alerts:
    st.info(
        "No subscriptions or alerts yet: add them to the schedule file's `subscriptions` "
        f"and `alerts` sections ({md(schedule.path.name)}); docs/operations.md shows how."
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


def recipient_rows_one(r: Any) -> dict[str, str]:
    return {
        "recipient": r.name,
        "channel": r.channel,
        "to": ", ".join(r.to) if r.to else f"secret {r.secret}",
    }


def recipient_rows(entry: Any) -> list[dict[str, str]]:
    return [
        {
            **recipient_rows_one(r),
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


def latest(name: str) -> list[dict[str, Any]] | None:
    """The latest deliveries of a subscription or alert (None: not listed)."""
    global mode_shown
    if client is None:
        return None
    try:
        mode, found = client.deliveries(name, limit=LATEST)
    except ReportServiceError as exc:
        st.error(f"Its deliveries cannot be listed: {md(exc)}")
        return None
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
    return found


mode_shown = False
now = dt.datetime.now(dt.UTC)
if schedule.subscriptions:
    st.header("Subscriptions")
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
    if latest(entry.name) is None or client is None:
        continue
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


def condition(alert: Any) -> str:
    """An alert's condition in words."""
    if alert.kind == "data_quality":
        return "data quality: " + ", ".join(c.replace("_", " ") for c in alert.checks)
    where = "".join(f", {k.split('__')[1]} {v}" for k, v in alert.where.items())
    text = f"{alert.metric}{where} per {alert.grain}"
    if alert.change is not None:
        parts = []
        if alert.change.below is not None:
            parts.append(f"falls more than {abs(alert.change.below):.0%}")
        if alert.change.above is not None:
            parts.append(f"rises more than {alert.change.above:.0%}")
        against = alert.change.compare_to.replace("_", " ")
        return f"{text} {' or '.join(parts)} against the {against}"
    parts = []
    if alert.below is not None:
        parts.append(f"below {alert.below:g}")
    if alert.above is not None:
        parts.append(f"above {alert.above:g}")
    return f"{text} {' or '.join(parts)}"


def span(duration: dt.timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    for size, unit in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minutes"  # pragma: no cover - minutes always divide


def check_now(alert: Any) -> None:
    """Evaluate one alert here and hand what it finds to the service."""
    from analytics_core.data_quality_findings import Owners
    from analytics_core.settings import DeliverySettings
    from questions.alerts import evaluate_alerts
    from ui.resources import core_settings, question_engine, wait_for_engine, warehouse

    if alert.kind == "metric":
        wait_for_engine()
    found = evaluate_alerts(
        [alert],
        engine=question_engine() if alert.kind == "metric" else None,
        warehouse=warehouse(),
        owners=Owners.from_file(core_settings().built_artifact("manifest.json")),
        now=dt.datetime.now(dt.UTC),
        ask_url=DeliverySettings().ui_url,
    )[alert.name]
    if not found:
        st.success("Nothing found: nothing to send.")
        return
    assert client is not None  # noqa: S101 - the button is shown with a client only
    answer = client.notify_alert(
        alert.name,
        [
            {
                "key": f.key,
                "title": f.title,
                "lines": list(f.lines),
                "owner": f.owner,
                "link": {"label": f.link[0], "url": f.link[1]} if f.link else None,
            }
            for f in found
        ],
    )
    made = sum(1 for d in answer.get("deliveries", []) if d.get("created"))
    st.success(
        f"{len(found)} found; {counted(made, 'message')} queued, "
        f"{len(answer.get('suppressed', []))} held back (sent less than the alert's "
        "interval ago)."
    )


if schedule.alerts:
    st.header("Alerts")
for alert in schedule.alerts:
    st.subheader(md(alert.name))
    after = ", ".join(alert.after) if alert.after else "every build"
    quiet = f"; a finding at most once per {span(alert.suppress)}" if alert.suppress else ""
    quiet = quiet or "; once per period"
    st.caption(f"{md(condition(alert))}. Checked after {md(after)}{md(quiet)}.")
    st.dataframe(
        [
            {
                **recipient_rows_one(target.recipient),
                "owners": ", ".join(target.owners) or "all findings",
            }
            for target in alert.recipients
        ],
        hide_index=True,
        width="stretch",
    )
    if latest(alert.name) is None or client is None:
        continue
    if st.button("Check now", key=f"check-{alert.name}"):
        try:
            check_now(alert)
        except (AnalyticsError, ReportServiceError) as exc:
            st.error(f"It could not be checked: {md(exc)}")
