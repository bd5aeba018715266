"""The production runner of the local scheduler (:mod:`orchestration.scheduler`):
builds through ``analytics build`` as a child process (then the alerts that
follow the build), reports through the report service's external-function
endpoint (then the report job's subscriptions)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import httpx

from analytics_core.schedules import BuildJob, Job, ReportJob, Schedule
from analytics_core.settings import SchedulerSettings, Settings
from orchestration.delivery_requests import service_error
from orchestration.scheduler import JobFailedError, _ts


class CommandRunner:
    """The production runner: builds through ``analytics build``; reports through
    the report service's external-function endpoint."""

    def __init__(
        self,
        settings: Settings,
        config: SchedulerSettings,
        api_key: str | None,
        schedule: Schedule | None = None,
    ) -> None:
        self.settings = settings
        self.config = config
        self.api_key = api_key
        #: Whose subscriptions follow a report job (none without a schedule).
        self.schedule = schedule

    def __call__(self, job: Job, due: dt.datetime) -> str:
        if isinstance(job, BuildJob):
            return self.build(job)
        if isinstance(job, ReportJob):
            return self.report(job, due)
        raise JobFailedError(f"{job.name}: unknown kind of job {job.kind!r}")

    def build(self, job: BuildJob) -> str:
        command = [sys.executable, "-m", "orchestration.cli", "build", *job.build_args()]
        env = {**os.environ, "ANALYTICS_HOME": str(self.settings.home_dir)}
        try:
            done = subprocess.run(  # noqa: S603 - our interpreter, arguments from the schedule
                command,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.config.build_timeout_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise JobFailedError(
                f"analytics build ran longer than {self.config.build_timeout_seconds:g} s"
            ) from None
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            raise JobFailedError(
                lines[-1] if lines else f"analytics build exited {done.returncode}"
            )
        described = "analytics build " + " ".join(job.build_args())
        nothing_new = next(
            (line.strip() for line in done.stdout.splitlines() if line.startswith("nothing new")),
            None,
        )
        # A build with nothing to do says so: "nothing new in raw data since ...".
        if nothing_new:
            return f"{described}: {nothing_new}"
        return described + self.alerts_after(job, env)

    def alerts_after(self, job: BuildJob, env: dict[str, str]) -> str:
        """Run the alerts that follow ``job``; a failure is said, not a failed build."""
        if self.schedule is None or not self.schedule.alerts_after(job.name):
            return ""
        from orchestration.delivery_requests import run_alerts_after

        # A failure is said in the run's detail; the build itself succeeded.
        return run_alerts_after(job.name, env).detail

    def report(self, job: ReportJob, due: dt.datetime) -> str:
        params = {**job.params_for(due), "formats": list(job.formats)}
        headers = {"sf-external-function-query-batch-id": f"schedule:{job.name}:{_ts(due)}"}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        url = self.config.report_service_url.rstrip("/") + "/v1/external/generate_report"
        try:
            response = httpx.post(
                url,
                json={"data": [[0, job.report_type, params]]},
                headers=headers,
                timeout=self.config.request_timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise JobFailedError(f"the report service at {url} cannot be reached: {exc}") from None
        if response.status_code != 200:
            raise JobFailedError(service_error(response))
        try:
            [[_, answer]] = response.json()["data"]
        except (ValueError, KeyError, TypeError):
            raise JobFailedError("the report service answered in an unexpected shape") from None
        if not isinstance(answer, dict) or "job_id" not in answer:
            message = answer.get("error", {}).get("message") if isinstance(answer, dict) else None
            raise JobFailedError(f"the report service refused the job: {message or answer!r}")
        detail = f"report job {answer['job_id']} ({answer.get('status')})"
        queued = self.deliver(job, due)
        return f"{detail}; {queued}" if queued else detail

    def deliver(self, job: ReportJob, due: dt.datetime) -> str | None:
        """Queue the deliveries of the subscriptions of ``job`` for ``due``
        (the service makes each once, so a retried run sends nothing twice)."""
        names = (
            [s.name for s in self.schedule.subscriptions if s.report == job.name]
            if self.schedule
            else []
        )
        if not names:
            return None
        from orchestration.delivery_requests import DeliveryRequestError, queue_deliveries

        try:
            return queue_deliveries(self.config, self.api_key, names, due)
        except DeliveryRequestError as exc:
            raise JobFailedError(str(exc)) from None
