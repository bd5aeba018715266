"""A schema-driven fuzz of the report service's own OpenAPI document (schemathesis).

The app in process (ASGI) on a real SQLite job store and a copy of the small
warehouse holding rendered jobs (every format), plus one queued and one
failed job. For every operation, schemathesis generates requests that fit
the schema (positive) and requests that do not (negative), with a valid API
key and without one, and checks each answer: never a 5xx, a documented
status, a body that conforms to the documented schema, a documented content
type and documented headers. The routes that take a job id are also fuzzed
with the ids of real jobs. A home without a warehouse covers the error
paths (``/ready`` is then a documented 503).

Bounded and repeatable: a fixed number of examples per operation, no
deadline, derandomized (the same cases on every run), no example database.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from analytics_core.settings import ReportServiceSettings, Settings
from report_service.app import ReportService, create_app
from report_service.models import FORMATS, Job, utcnow

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600), pytest.mark.minutes(2)]

KEY = "fuzz-key-0123456789"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
FUZZ_SETTINGS = settings(
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def service_for(home: Path, **extra: Any) -> ReportService:
    settings_ = ReportServiceSettings(api_keys=KEY, **{"workers": 0, **extra})
    return ReportService(settings_, Settings(home=home))


@pytest.fixture(scope="module")
def warehouse_home(small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a copy of the small warehouse and jobs in every state: one
    rendered in every format, one failed, one queued."""
    home = tmp_path_factory.mktemp("fuzz") / "home"
    home.mkdir()
    shutil.copy2(small_warehouse.warehouse_path, home / "warehouse.duckdb")
    rendering = service_for(home, workers=1, poll_seconds=0.1, max_attempts=1)
    headers = {"x-api-key": KEY}
    with TestClient(create_app(rendering)) as http:
        ids = [
            http.post(
                "/v1/reports/jobs",
                json={"report_type": "daily_sales", "formats": list(FORMATS)},
                headers=headers,
            ).json()["job_id"],
            # A date after the warehouse's last: the job fails (no data).
            http.post(
                "/v1/reports/jobs",
                json={"report_type": "daily_sales", "params": {"date": "2026-07-15"}},
                headers=headers,
            ).json()["job_id"],
        ]
        deadline = time.monotonic() + 300
        for job_id in ids:
            while http.get(f"/v1/reports/jobs/{job_id}", headers=headers).json()["status"] not in (
                "succeeded",
                "failed",
            ):
                assert time.monotonic() < deadline
                time.sleep(0.2)
    return home


def known_jobs(service: ReportService) -> list[Job]:
    """The store's jobs, plus one queued job (no worker runs in the fuzzed app)."""
    queued = Job(
        job_id="5f0c9a52-0d6e-4b1a-9a57-3f1f6c2d8b10",
        report_type="weekly_executive",
        params={},
        formats=["html"],
        status="queued",
        created_at=utcnow(),
    )
    service.store.create_many([queued])
    return service.store.recent(100, None)


def fuzz(
    service: ReportService,
    *,
    examples: int,
    job_ids: list[str],
    allowed_5xx: frozenset[str] = frozenset(),
) -> list[str]:
    """Fuzz every operation of the app's OpenAPI document with at most ``examples``
    cases per operation, mode and key; the failures found. ``job_ids``: real jobs
    (the first one rendered in every format) for the routes that take one;
    ``allowed_5xx``: operations whose documented 5xx is expected here."""
    app = create_app(service)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    with TestClient(app):  # the app's lifespan: started and stopped as a server does
        for result in schema.get_all_operations():
            operation = result.ok()
            variants: list[dict[str, Any]] = [{}]
            if "{job_id}" in operation.path:
                variants += [{"path_parameters": {"job_id": job_id}} for job_id in job_ids]
            if "{fmt}" in operation.path:
                variants += [
                    {"path_parameters": {"job_id": job_id, "fmt": fmt}}
                    for index, job_id in enumerate(job_ids)
                    for fmt in (FORMATS if index == 0 else FORMATS[:1])
                ]
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for key in (KEY, None):
                    for variant in variants:
                        label = f"{operation.label} {mode.value} key={bool(key)} {variant}"
                        checks = [
                            check
                            for check in CHECKS
                            if not (check is not_a_server_error and operation.label in allowed_5xx)
                        ]
                        strategy = operation.as_strategy(generation_mode=mode, **variant)
                        failure = run(strategy, key, checks, examples)
                        if failure is not None:
                            failures.append(f"{label}:\n{failure}")
    return failures


def run(strategy: Any, key: str | None, checks: list[Any], examples: int) -> str | None:
    headers = {"x-api-key": key} if key else {}

    @settings(FUZZ_SETTINGS, max_examples=examples)
    @given(case=strategy)
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=checks)

    try:
        check()
    except Unsatisfiable:
        return None  # nothing to break: no parameter can be made invalid
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
        return str(exc)[:3000]
    return None


def test_fuzz_the_openapi_document_against_a_service_with_a_warehouse(
    warehouse_home: Path,
) -> None:
    service = service_for(warehouse_home)
    jobs = {job.status: job.job_id for job in known_jobs(service)}
    assert set(jobs) == {"succeeded", "failed", "queued"}
    job_ids = [jobs["succeeded"], jobs["failed"], jobs["queued"]]
    # 20 cases per operation, mode, key and job: about 10,000 requests (the
    # routes grew to 20; 30 each took 140 s of the suite for what 20 find).
    failures = fuzz(service, examples=20, job_ids=job_ids)
    assert not failures, "\n\n".join(failures)


def test_fuzz_the_error_paths_of_a_service_without_a_warehouse(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    service = service_for(home, queue_limit=5)
    with TestClient(create_app(service)) as http:
        assert http.get("/ready").status_code == 503
    # /ready's documented 503 is its answer here; any other 5xx is a failure.
    failures = fuzz(service, examples=15, job_ids=[], allowed_5xx=frozenset({"GET /ready"}))
    assert not failures, "\n\n".join(failures)
