"""Every report, with explicit parameters, through every trigger, to a
``succeeded`` job with its files.

One real service process (``analytics serve report-service``, real workers)
on a copy of the small published warehouse (data up to 2026-06-30) serves
every trigger:

- REST: ``POST /v1/reports/jobs``;
- Snowflake's external function: ``POST /v1/external/generate_report``,
  params as an object and as a JSON string;
- the schedule: the local scheduler's report path (``CommandRunner.report``)
  for each report job of ``analytics_core/schedules.yml``, its placeholders
  filled for a due time inside the data;
- the CLI: ``analytics report TYPE --param KEY=VALUE``;
- the UI: the Reports page in Streamlit's AppTest (the form's widgets, the
  report client, the service).

The cases are parametrized over the catalog (and the schedule file), so a new
report is covered without editing this file. Its explicit values are picked
from :data:`SAMPLES`: a parameter that accepts none of them fails
:func:`explicit_params` with a message saying to add one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics_core.schedules import load_schedule
from analytics_core.settings import PROJECT_ROOT, SchedulerSettings, Settings
from orchestration.scheduler_runner import CommandRunner
from report_service.models import InvalidRequestError
from report_service.reports import CATALOG
from tests.conftest import run_cli
from tests.report_service import service as svc
from ui.report_form import form_fields

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

#: html and one cheap format: the json document says which period was rendered.
FORMATS = ["html", "json"]
#: Explicit values inside the small warehouse's data (never a report's
#: default): a Wednesday, a Monday, a month.
SAMPLES = ("2026-06-17", "2026-06-08", "2026-05")
#: A moment after which every scheduled report had a run due inside the data.
SCHEDULE_AT = dt.datetime(2026, 6, 18, 12, 0, tzinfo=dt.UTC)
APP = str(PROJECT_ROOT / "ui" / "app.py")


def explicit_params(report_type: str) -> dict[str, str]:
    """For every parameter of the report, the first sample it accepts."""
    definition = CATALOG[report_type]
    params: dict[str, str] = {}
    for name in definition.params_model.model_fields:
        for sample in SAMPLES:
            try:
                definition.validate_params({name: sample})
            except InvalidRequestError:
                continue
            params[name] = sample
            break
        else:
            raise AssertionError(
                f"{report_type}.{name} accepts none of {SAMPLES}: add an explicit value "
                "for it to SAMPLES in this file"
            )
    return params


@pytest.fixture(scope="module")
def service(
    small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[svc.RunningService]:
    home = svc.home_with_warehouse(
        small_warehouse.warehouse_path, tmp_path_factory.mktemp("every-trigger") / "home"
    )
    with svc.running(home, {"REPORT_SERVICE_WORKERS": "2"}) as running:
        yield running


def assert_succeeded(
    service: svc.RunningService, job_id: str, report_type: str, params: dict[str, Any]
) -> None:
    """The job succeeded with one file per format, rendered for ``params``."""
    job = service.wait_for_job(job_id)
    assert job["status"] == "succeeded", job
    assert job["report_type"] == report_type
    assert job["params"] == params, "the job keeps the parameters as they were sent"
    assert [a["format"] for a in job["artifacts"]] == FORMATS
    with service.client(headers=service.headers) as http:
        for artifact in job["artifacts"]:
            response = http.get(artifact["url"])
            assert response.status_code == 200, response.text
            assert len(response.content) == artifact["bytes"] > 0
        document = http.get(f"/v1/reports/jobs/{job_id}/artifacts/json").json()
    assert document["params"] == params, "the report was rendered for the explicit period"


@pytest.mark.parametrize("report_type", list(CATALOG))
def test_rest(service: svc.RunningService, report_type: str) -> None:
    params = explicit_params(report_type)
    with service.client(headers=service.headers) as http:
        response = http.post(
            "/v1/reports/jobs",
            json={"report_type": report_type, "params": params, "formats": FORMATS},
        )
    assert response.status_code == 202, response.text
    assert_succeeded(service, response.json()["job_id"], report_type, params)


@pytest.mark.parametrize("as_text", [False, True], ids=["object", "json_string"])
@pytest.mark.parametrize("report_type", list(CATALOG))
def test_external_function(service: svc.RunningService, report_type: str, as_text: bool) -> None:
    params = explicit_params(report_type)
    argument: Any = {**params, "formats": FORMATS}
    if as_text:
        argument = json.dumps(argument)
    with service.client(headers=service.headers) as http:
        response = http.post(
            "/v1/external/generate_report", json={"data": [[0, report_type, argument]]}
        )
    assert response.status_code == 200, response.text
    [[number, answer]] = response.json()["data"]
    assert number == 0 and "job_id" in answer, answer
    assert_succeeded(service, answer["job_id"], report_type, params)


SCHEDULED = load_schedule().reports


@pytest.mark.parametrize("scheduled", SCHEDULED, ids=[job.name for job in SCHEDULED])
def test_schedule(service: svc.RunningService, scheduled: Any) -> None:
    due = scheduled.previous_run(SCHEDULE_AT)
    params = scheduled.params_for(due)
    assert params and params != scheduled.params, "placeholders filled in"
    config = SchedulerSettings(report_service_url=service.url, report_service_api_key=svc.API_KEY)
    runner = CommandRunner(Settings(home=service.home), config, svc.API_KEY)
    job = dataclasses.replace(scheduled, formats=tuple(FORMATS))
    detail = runner(job, due)
    match = re.fullmatch(r"report job ([0-9a-f-]{36}) \(\w+\)", detail)
    assert match, detail
    assert_succeeded(service, match.group(1), scheduled.report_type, params)


@pytest.mark.parametrize("report_type", list(CATALOG))
def test_cli(service: svc.RunningService, report_type: str, tmp_path: Path) -> None:
    params = explicit_params(report_type)
    options = [f"--param={name}={value}" for name, value in params.items()]
    for fmt in FORMATS:
        out = tmp_path / f"{report_type}.{fmt}"
        run_cli(
            "report", report_type, *options, "--format", fmt, "--out", str(out),
            home=service.home, check=True,
        )  # fmt: skip
        assert out.stat().st_size > 0
    document = json.loads((tmp_path / f"{report_type}.json").read_text(encoding="utf-8"))
    assert document["params"] == params


@pytest.fixture
def ui_service(service: svc.RunningService, monkeypatch: pytest.MonkeyPatch) -> svc.RunningService:
    monkeypatch.setenv("ANALYTICS_HOME", str(service.home))
    monkeypatch.setenv("REPORT_SERVICE_URL", service.url)
    monkeypatch.setenv("REPORT_SERVICE_API_KEY", svc.API_KEY)
    st.cache_resource.clear()
    return service


@pytest.mark.parametrize("report_type", list(CATALOG))
def test_ui(ui_service: svc.RunningService, report_type: str) -> None:
    params = explicit_params(report_type)
    test = AppTest.from_file(APP, default_timeout=180)
    test.run()
    test.switch_page("views/reports.py").run()
    assert not test.exception, test.exception
    next(s for s in test.selectbox if s.label == "Report").set_value(report_type).run()
    assert not test.exception, test.exception
    with httpx.Client(base_url=ui_service.url, headers=ui_service.headers) as http:
        [entry] = [e for e in http.get("/v1/reports").json()["reports"] if e["type"] == report_type]
    for field in form_fields(entry["params_schema"]):
        key = f"{report_type}-{field.name}"
        value = params[field.name]
        if field.kind == "date":
            test.date_input(key=key).set_value(dt.date.fromisoformat(value))
        else:
            test.text_input(key=key).set_value(value)
    next(m for m in test.multiselect if m.label == "Formats").set_value(FORMATS)
    next(b for b in test.button if b.label == "Run report").click().run()
    assert not test.exception, test.exception
    assert not test.error, [e.value for e in test.error]
    shown = test.session_state["shown_job"]
    assert_succeeded(ui_service, shown["job_id"], report_type, params)
