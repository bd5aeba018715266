"""``analytics alerts``: evaluate the schedule file's alerts on the published
warehouse and hand what they find to the report service, which routes,
suppresses and sends it.

Metric alerts are computed through the semantic layer (the question
engine's layer and warehouse); data-quality alerts read the monitoring
views. The scheduler runs ``analytics alerts --after JOB`` when a build job
succeeds: the alerts whose inputs that build changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

import typer

from analytics_core.errors import AnalyticsError
from analytics_core.formatting import counted
from analytics_core.settings import Settings
from orchestration.commands.common import err, load_settings, out


class AlertsFailedError(AnalyticsError):
    """An alert could not be evaluated or handed to the service."""


def alerts(
    names: Annotated[
        list[str] | None, typer.Argument(metavar="[ALERT]...", help="Only these alerts.")
    ] = None,
    after: Annotated[
        str | None, typer.Option(help="Only the alerts evaluated after this build job.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what the alerts find; send nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Evaluate the alerts of the schedule file and send what they find."""
    from analytics_core.schedules import load_schedule
    from analytics_core.settings import SchedulerSettings

    schedule = load_schedule(SchedulerSettings().schedule_file)
    chosen = [a for a in schedule.alerts if (not names or a.name in names)]
    unknown = sorted(set(names or ()) - {a.name for a in schedule.alerts})
    if unknown:
        known = ", ".join(a.name for a in schedule.alerts) or "none"
        raise AlertsFailedError(f"no alert {unknown[0][:80]!r}; the alerts are {known}")
    if after is not None:
        check_build_job(after, schedule)
        following = schedule.alerts_after(after)
        chosen = [a for a in chosen if a in following]
    if not chosen:
        out.print("no alerts to evaluate", markup=False)
        return
    found = evaluate(chosen)
    report: list[dict[str, Any]] = []
    failures = []
    for alert in chosen:
        findings = [asdict(f) for f in found.get(alert.name, [])]
        entry: dict[str, Any] = {"alert": alert.name, "kind": alert.kind, "findings": findings}
        if not dry_run and findings:
            try:
                entry["sent"] = _notify(alert.name, findings)
            except AnalyticsError as exc:
                failures.append(f"{alert.name}: {exc}")
        report.append(entry)
    if as_json:
        out.print_json(data={"alerts": report})
    else:
        for entry in report:
            sent = entry.get("sent")
            said = ""
            if sent is not None:
                made = sum(1 for d in sent["deliveries"] if d.get("created"))
                said = f"; {counted(made, 'message')} queued, {len(sent['suppressed'])} suppressed"
            how_many = counted(len(entry["findings"]), "finding")
            out.print(f"{entry['alert']}: {how_many}{said}", markup=False)
            for finding in entry["findings"]:
                out.print(f"  - {finding['title']}", markup=False)
    if failures:
        raise AlertsFailedError("; ".join(failures))


def check_build_job(name: str, schedule: Any = None) -> None:
    """``name`` is a build job of the schedule file, or the error names them."""
    if schedule is None:
        from analytics_core.schedules import load_schedule
        from analytics_core.settings import SchedulerSettings

        schedule = load_schedule(SchedulerSettings().schedule_file)
    builds = [b.name for b in schedule.builds]
    if name not in builds:
        known = ", ".join(builds) or "none"
        raise AlertsFailedError(f"{name[:80]!r} is not a build job; the build jobs are {known}")


def alerts_after_build(settings: Settings, build_job: str) -> None:
    """``analytics build --alerts-after JOB``: the alerts that follow the job,
    evaluated as the scheduler does (a child process with its own timeout).

    The build has been published by now; a failure still fails the command,
    because on AWS the task's exit code is all an operator sees of it: alerts
    that silently went unevaluated would look like a quiet week."""
    import os

    from orchestration.delivery_requests import run_alerts_after

    done = run_alerts_after(build_job, {**os.environ, "ANALYTICS_HOME": str(settings.home_dir)})
    for line in done.output.splitlines():
        out.print(line, markup=False, soft_wrap=True)
    if not done.ok:
        raise AlertsFailedError(
            f"the build succeeded and was published; the alerts after {build_job}"
            f" did not: {done.detail.removeprefix('; ')}"
        )


def _notify(alert: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
    from analytics_core.settings import SchedulerSettings
    from orchestration.delivery_requests import notify_alert
    from orchestration.scheduler import local_api_key

    config = SchedulerSettings()
    body = [
        {
            "key": f["key"],
            "title": f["title"],
            "lines": list(f["lines"]),
            "owner": f["owner"],
            "link": {"label": f["link"][0], "url": f["link"][1]} if f["link"] else None,
        }
        for f in findings
    ]
    return notify_alert(config, local_api_key(load_settings(), config), alert, body)


def _check_metric_names(settings: Settings, chosen: list[Any]) -> None:
    """An alert on a metric the last build's semantic manifest does not have
    fails here, in a moment, before the semantic layer opens (seconds)."""
    import json

    from analytics_core.alerts import check_metrics

    path = settings.built_artifact("semantic_manifest.json")
    if path is None:
        return  # nothing built yet: the engine parses the project and checks
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        names = [str(m["name"]) for m in manifest["metrics"]]
    except (OSError, ValueError, KeyError, TypeError):
        return  # unreadable: the engine says what is wrong with it
    check_metrics(chosen, names, None)


def evaluate(chosen: list[Any]) -> dict[str, list[Any]]:
    """Each alert's findings (questions.alerts.evaluate_alerts) on the warehouse
    the question engine reads."""
    from analytics_core.data_quality_findings import Owners
    from analytics_core.settings import DeliverySettings, QuestionSettings, SnowflakeSettings
    from analytics_core.warehouse import DuckDBClient, SnowflakeClient
    from questions.alerts import evaluate_alerts

    settings = load_settings()
    questions = QuestionSettings()
    client: Any
    if questions.warehouse == "snowflake":
        client = SnowflakeClient(
            SnowflakeSettings(),
            schema=questions.reporting_schema,
            statement_timeout_seconds=questions.statement_timeout_seconds,
            query_tag="analytics_platform:alerts",
        )
    else:
        client = DuckDBClient(settings.warehouse_path)
    engine: Any = None
    try:
        if any(a.kind == "metric" for a in chosen):
            from questions.local.engine import LocalQuestionEngine

            _check_metric_names(settings, chosen)

            err.print("opening the semantic layer ...", markup=False)
            engine = LocalQuestionEngine.open(settings, questions)
        return evaluate_alerts(
            chosen,
            engine=engine,
            warehouse=client,
            owners=Owners.from_file(settings.built_artifact("manifest.json")),
            now=dt.datetime.now(dt.UTC),
            ask_url=DeliverySettings().ui_url,
        )
    finally:
        client.close()
        if engine is not None:
            engine.close()
