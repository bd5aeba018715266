"""``analytics deliver``: what subscriptions would send, and sending one now.

- ``--dry-run``: each subscription's deliveries at its next due time (or
  ``--at``): who gets what, over which channel. Nothing is sent and no
  service is needed: it reads the schedule file only.
- ``NAME --now``: the report service queues subscription NAME for this
  moment and sends it; the command follows the deliveries until each is
  sent or failed (exit 1 if one failed).
- ``--recent``: the latest deliveries the service made, with their status.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any

import typer

from analytics_core.errors import AnalyticsError
from orchestration.commands.common import UsageError, err, load_settings, out, print_table

#: How long ``--now`` follows its deliveries before saying where they are.
WAIT_SECONDS = 300.0


class DeliveryFailedError(AnalyticsError):
    """A delivery asked for ended failed."""


def _parse_at(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter("expected a time like 2026-12-07T08:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def deliver(
    subscription: Annotated[
        str | None, typer.Argument(metavar="SUBSCRIPTION", help="A subscription's name.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent to whom; send nothing.")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(help="With --dry-run: the due time to show (UTC), e.g. 2026-12-07T08:00Z."),
    ] = None,
    now: Annotated[bool, typer.Option("--now", help="Send SUBSCRIPTION now.")] = False,
    recent: Annotated[
        bool, typer.Option("--recent", help="List the latest deliveries and their status.")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="With --now: follow until each is sent.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what subscriptions would send (--dry-run), send one now (--now),
    or list the latest deliveries (--recent)."""
    chosen = [
        name for name, on in (("--dry-run", dry_run), ("--now", now), ("--recent", recent)) if on
    ]
    if len(chosen) != 1:
        raise UsageError("say one of --dry-run (what would be sent), --now (send one) or --recent")
    if at is not None and not dry_run:
        raise UsageError("--at goes with --dry-run")
    if dry_run:
        _dry_run(subscription, _parse_at(at) if at else None, as_json)
    elif now:
        if not subscription:
            raise UsageError("--now needs the SUBSCRIPTION to send")
        _send_now(subscription, wait, as_json)
    else:
        _recent(subscription, as_json)


def _schedule() -> Any:
    from analytics_core.schedules import check_reports, load_schedule
    from analytics_core.settings import SchedulerSettings
    from report_service.reports import CATALOG

    schedule = load_schedule(SchedulerSettings().schedule_file)
    check_reports(schedule, CATALOG)
    return schedule


def _dry_run(name: str | None, at: dt.datetime | None, as_json: bool) -> None:
    from analytics_core import deliveries as planning
    from analytics_core.settings import DeliverySettings

    schedule = _schedule()
    try:
        entries = [planning.subscription(schedule, name)] if name else list(schedule.subscriptions)
    except planning.UnknownSubscriptionError as exc:
        raise AnalyticsError(str(exc)) from None
    moment = dt.datetime.now(dt.UTC)
    planned = []
    for entry in entries:
        job = planning.report_job(schedule, entry)
        due = job.previous_run(at) if at else job.next_runs(moment)[0]
        planned += planning.plan(schedule, entry.name, due)
    mode = DeliverySettings().mode
    rows = [p.describe() for p in planned]
    if as_json:
        out.print_json(data={"mode": mode, "deliveries": rows})
        return
    if not rows:
        out.print("no subscriptions in the schedule file", markup=False)
        return
    columns = ("subscription", "recipient", "channel", "to", "due", "report", "formats")
    lines = []
    for row in rows:
        params = ", ".join(f"{k} {v}" for k, v in sorted(row["params"].items()))
        lines.append(
            (
                row["subscription"],
                row["recipient"],
                row["channel"] + (" (links)" if row["delivery"] == "link" else ""),
                row["to"],
                row["due_at"][:16].replace("T", " "),
                f"{row['report']} ({params})" if params else row["report"],
                ", ".join(row["formats"]),
            )
        )
    print_table("would be sent (times in UTC)", columns, lines)
    if mode == "outbox":
        out.print(
            "DELIVERY_MODE is outbox: sends are written to $ANALYTICS_HOME/outbox/, "
            "nothing leaves this machine",
            markup=False,
        )


def _client() -> tuple[Any, str | None]:
    from analytics_core.settings import SchedulerSettings
    from orchestration.scheduler import local_api_key

    config = SchedulerSettings()
    return config, local_api_key(load_settings(), config)


def _send_now(name: str, wait: bool, as_json: bool) -> None:
    from orchestration.delivery_requests import DeliveryRequestError, recent, send_now

    config, key = _client()
    try:
        answer = send_now(config, key, name)
    except DeliveryRequestError as exc:
        raise AnalyticsError(str(exc)) from None
    ids = {d["delivery_id"] for d in answer["deliveries"]}
    err.print(f"{len(ids)} deliveries of {name} queued for {answer['due_at']}", markup=False)
    found = answer["deliveries"]
    deadline = time.monotonic() + WAIT_SECONDS
    while wait and any(d["status"] not in ("sent", "failed") for d in found):
        if time.monotonic() > deadline:
            err.print("still sending; see `analytics deliver --recent`", markup=False)
            break
        time.sleep(1.0)
        try:
            latest = recent(config, key, name, limit=200)
        except DeliveryRequestError as exc:
            raise AnalyticsError(str(exc)) from None
        found = [d for d in latest if d["delivery_id"] in ids] or found
    _print(found, as_json)
    failed = [d for d in found if d["status"] == "failed"]
    if failed:
        raise DeliveryFailedError(
            f"{len(failed)} of {len(found)} deliveries failed: {failed[0]['recipient']}: "
            f"{failed[0]['detail']}"
        )


def _recent(name: str | None, as_json: bool) -> None:
    from orchestration.delivery_requests import DeliveryRequestError, recent

    config, key = _client()
    try:
        found = recent(config, key, name)
    except DeliveryRequestError as exc:
        raise AnalyticsError(str(exc)) from None
    _print(found, as_json)


def _print(found: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        out.print_json(data={"deliveries": found})
        return
    if not found:
        out.print("no deliveries yet", markup=False)
        return
    columns = ("subscription", "recipient", "channel", "due", "status", "attempts", "detail")
    lines = [
        (
            row["source"],
            row["recipient"],
            row["channel"],
            (row["due_at"] or "")[:16].replace("T", " "),
            row["status"],
            str(row["attempts"]),
            row["detail"] or "",
        )
        for row in found
    ]
    print_table("deliveries (times in UTC)", columns, lines)
