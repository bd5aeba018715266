"""The report service's HTTP API, in process: its app under Starlette's
``TestClient`` with its workers running, on a copy of the small warehouse.

Every route gets good input and hostile input (wrong types, unknown types,
bad dates, SQL in parameters, oversized and malformed bodies, path
traversal): 4xx with the error shape, never a 500. What needs a real process
(a raw socket, a chunked body, the process's log) is in
``test_api_process.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from analytics_core.settings import ReportServiceSettings, Settings
from report_service.routes.deps import get_warehouse
from report_service.warehouse import open_warehouse_client
from tests.report_service import service as svc

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def api(
    small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[svc.InProcessService]:
    home = svc.home_with_warehouse(
        small_warehouse.warehouse_path, tmp_path_factory.mktemp("api") / "home"
    )
    with svc.in_process(home, workers=2) as service:
        yield service


@pytest.fixture
def client(api: svc.InProcessService) -> httpx.Client:
    return api.client(headers=api.headers)


@pytest.fixture
def anonymous(api: svc.InProcessService) -> httpx.Client:
    """A client without a key."""
    return api.client()


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body


def post_job(client: httpx.Client, body: Any, **headers: str) -> httpx.Response:
    return client.post("/v1/reports/jobs", json=body, headers=headers)


# -- operations routes ------------------------------------------------------------------
def test_health_needs_nothing(anonymous: httpx.Client) -> None:
    response = anonymous.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


def test_ready_when_the_warehouse_is_there(anonymous: httpx.Client) -> None:
    response = anonymous.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


def test_ready_is_503_with_reasons_without_a_warehouse(
    api: svc.InProcessService, tmp_path: Path
) -> None:
    """The warehouse dependency overridden with the real client of a home that
    has no warehouse file."""
    empty = Settings(home=tmp_path / "empty-home")
    clients: list[Any] = []

    def no_warehouse() -> Any:
        client = open_warehouse_client(ReportServiceSettings(), empty)
        clients.append(client)
        return client

    api.app.dependency_overrides[get_warehouse] = lambda: no_warehouse
    try:
        anonymous = api.client()
        assert anonymous.get("/health").status_code == 200
        response = anonymous.get("/ready")
    finally:
        api.app.dependency_overrides.clear()
        for client in clients:
            client.close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert any("warehouse" in reason for reason in body["reasons"]), body
    assert clients, "the overriding warehouse was asked for"
    assert api.client().get("/ready").status_code == 200  # the override is gone


def test_openapi_docs_and_metrics(anonymous: httpx.Client, client: httpx.Client) -> None:
    assert anonymous.get("/docs").status_code == 200
    spec = anonymous.get("/openapi.json").json()
    for path in (
        "/v1/reports",
        "/v1/reports/jobs",
        "/v1/reports/jobs/{job_id}",
        "/v1/reports/jobs/{job_id}/artifacts/{fmt}",
        "/v1/external/generate_report",
        "/v1/external/job_status",
    ):
        assert path in spec["paths"]
    client.get("/v1/reports")
    metrics = anonymous.get("/metrics").text
    assert "report_service_request_duration_seconds_bucket" in metrics
    assert 'route="/v1/reports"' in metrics
    assert "report_service_queue_depth" in metrics


# -- authentication ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/reports"),
        ("POST", "/v1/reports/jobs"),
        ("GET", "/v1/reports/jobs"),
        ("GET", "/v1/reports/jobs?limit=5&status=failed"),
        ("GET", "/v1/reports/jobs/00000000-0000-0000-0000-000000000000"),
        ("GET", "/v1/reports/jobs/00000000-0000-0000-0000-000000000000/artifacts/pdf"),
        ("POST", "/v1/external/generate_report"),
        ("POST", "/v1/external/job_status"),
    ],
)
@pytest.mark.parametrize(
    "key", [None, "", "wrong-key", svc.API_KEY + "x", svc.API_KEY[:-1], "ключ".encode()]
)
def test_every_v1_route_needs_a_valid_key(
    anonymous: httpx.Client, method: str, path: str, key: str | bytes | None
) -> None:
    headers = {} if key is None else {"x-api-key": key}
    body = {"data": [[0, "daily_sales", {}]]} if method == "POST" else None
    response = anonymous.request(method, path, headers=headers, json=body)
    assert_error(response, 401, "unauthorized")


def test_either_configured_key_works(anonymous: httpx.Client) -> None:
    for key in (svc.API_KEY, svc.OTHER_KEY):
        response = anonymous.get("/v1/reports", headers={"x-api-key": key})
        assert response.status_code == 200


# -- catalog and jobs ---------------------------------------------------------------------
def test_catalog(client: httpx.Client) -> None:
    reports = {entry["type"]: entry for entry in client.get("/v1/reports").json()["reports"]}
    assert set(reports) == {"daily_sales", "weekly_executive", "monthly_data_quality"}
    assert reports["daily_sales"]["schedule"] == "0 6 * * *"
    assert reports["weekly_executive"]["schedule"] == "0 8 * * 1"
    assert reports["monthly_data_quality"]["schedule"] == "0 7 1 * *"
    for entry in reports.values():
        assert set(entry["formats"]) == {"html", "pdf", "csv", "xlsx", "json"}
        assert entry["params_schema"]["type"] == "object"
        assert entry["title"] and entry["description"]


def test_a_job_renders_every_format_and_serves_its_files(
    api: svc.InProcessService, client: httpx.Client
) -> None:
    formats = ["html", "pdf", "csv", "xlsx", "json"]
    response = post_job(client, {"report_type": "daily_sales", "params": {}, "formats": formats})
    assert response.status_code == 202, response.text
    created = response.json()
    assert created["status"] == "queued"
    assert response.headers["location"] == created["status_url"]
    assert created["status_url"].endswith(f"/v1/reports/jobs/{created['job_id']}")

    job = api.wait_for_job(created["job_id"])
    assert job["status"] == "succeeded", job
    assert job["report_type"] == "daily_sales"
    assert job["started_at"] and job["finished_at"] and job["error"] is None
    assert sorted(a["format"] for a in job["artifacts"]) == sorted(formats)
    for artifact in job["artifacts"]:
        download = client.get(artifact["url"])
        assert download.status_code == 200, download.text
        assert len(download.content) == artifact["bytes"]
        assert hashlib.sha256(download.content).hexdigest() == artifact["sha256"]
    pdf = client.get(f"/v1/reports/jobs/{job['job_id']}/artifacts/pdf")
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    document = client.get(f"/v1/reports/jobs/{job['job_id']}/artifacts/json").json()
    assert document  # the numbers themselves are checked in test_reports
    html = client.get(f"/v1/reports/jobs/{job['job_id']}/artifacts/html")
    assert html.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in html.headers["content-security-policy"]


def test_a_failing_job_ends_failed_with_its_error(
    api: svc.InProcessService, client: httpx.Client
) -> None:
    # A valid day far before any data: the report says so instead of rendering zeros.
    response = post_job(client, {"report_type": "daily_sales", "params": {"date": "2001-01-01"}})
    assert response.status_code == 202, response.text
    job = api.wait_for_job(response.json()["job_id"])
    if job["status"] == "failed":
        assert job["error"]
        assert job["artifacts"] == []
        assert_error(client.get(f"/v1/reports/jobs/{job['job_id']}/artifacts/html"), 404)
    else:  # a report may also render an explicit "no data" page
        assert job["status"] == "succeeded"


def test_a_period_phrase_is_stored_as_its_date(
    api: svc.InProcessService, client: httpx.Client
) -> None:
    """``week_start: "last week"`` is queued as that week's Monday (UTC), so the
    job renders the same week whenever a worker gets to it."""
    before = dt.datetime.now(dt.UTC).date()
    body = {"report_type": "weekly_executive", "params": {"week_start": "last week"}}
    response = post_job(client, {**body, "formats": ["json"]})
    after = dt.datetime.now(dt.UTC).date()
    assert response.status_code == 202, response.text
    job = api.wait_for_job(response.json()["job_id"])
    expected = {(day - dt.timedelta(days=day.weekday() + 7)).isoformat() for day in (before, after)}
    assert job["params"]["week_start"] in expected
    assert job["status"] in {"succeeded", "failed"}
    wrong = post_job(client, {"report_type": "daily_sales", "params": {"date": "last week"}})
    error = assert_error(wrong, 422)
    assert "date: the phrase names last week" in error["error"]["message"]


def test_idempotency_key(client: httpx.Client) -> None:
    body = {"report_type": "daily_sales", "params": {}, "formats": ["json"]}
    first = post_job(client, body, **{"Idempotency-Key": "nightly-2026-06-30"})
    again = post_job(client, body, **{"Idempotency-Key": "nightly-2026-06-30"})
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]
    other = post_job(client, body, **{"Idempotency-Key": "nightly-2026-07-01"})
    assert other.json()["job_id"] != first.json()["job_id"]
    changed = post_job(
        client, {**body, "formats": ["csv"]}, **{"Idempotency-Key": "nightly-2026-06-30"}
    )
    assert_error(changed, 422, "idempotency_key_reused")
    bad_key = post_job(client, body, **{"Idempotency-Key": "x" * 201})
    assert_error(bad_key, 422)


def test_keys_do_not_share_idempotency(api: svc.InProcessService) -> None:
    body = {"report_type": "daily_sales", "params": {}, "formats": ["json"]}
    ids = set()
    for key in (svc.API_KEY, svc.OTHER_KEY):
        http = api.client(headers={"x-api-key": key, "Idempotency-Key": "shared"})
        ids.add(http.post("/v1/reports/jobs", json=body).json()["job_id"])
    assert len(ids) == 2


# -- recent jobs -----------------------------------------------------------------------------
def list_jobs(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/reports/jobs", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"jobs"}
    jobs: list[dict[str, Any]] = body["jobs"]
    return jobs


def test_recent_jobs_are_listed_newest_first(
    api: svc.InProcessService, client: httpx.Client
) -> None:
    created = []
    for fmt in ("json", "csv", "json"):
        response = post_job(client, {"report_type": "daily_sales", "formats": [fmt]})
        assert response.status_code == 202, response.text
        created.append(response.json()["job_id"])
    finished = {job_id: api.wait_for_job(job_id) for job_id in created}
    assert all(job["status"] == "succeeded" for job in finished.values()), finished

    newest = list_jobs(client, limit=3)
    assert [job["job_id"] for job in newest] == created[::-1]
    # Each entry is exactly what the job's own route answers.
    for job in newest:
        assert job == finished[job["job_id"]]
        assert job == client.get(f"/v1/reports/jobs/{job['job_id']}").json()

    everything = list_jobs(client, limit=100)
    assert everything[:3] == newest
    stamps = [job["created_at"] for job in everything]
    assert stamps == sorted(stamps, reverse=True)
    ids = [job["job_id"] for job in everything]
    assert len(set(ids)) == len(ids)
    # (Jobs of earlier tests may still be running: compare ids, not bodies.)
    assert [job["job_id"] for job in list_jobs(client)] == ids[:20]  # the default limit

    succeeded = list_jobs(client, status="succeeded", limit=100)
    assert succeeded and all(job["status"] == "succeeded" for job in succeeded)
    assert set(created) <= {job["job_id"] for job in succeeded}
    failed = list_jobs(client, status="failed", limit=100)
    assert all(job["status"] == "failed" for job in failed)
    assert not set(created) & {job["job_id"] for job in failed}
    assert {job["job_id"] for job in failed + succeeded} <= set(ids)


def test_recent_jobs_default_limit_and_queued_filter(
    tmp_path: Path, small_warehouse: Settings
) -> None:
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    with svc.in_process(home, workers=0) as service:
        http = service.client(headers=service.headers)
        assert list_jobs(http) == []
        body = {"report_type": "daily_sales", "formats": ["json"]}
        created = [post_job(http, body).json()["job_id"] for _ in range(25)]
        newest_first = created[::-1]
        assert [job["job_id"] for job in list_jobs(http)] == newest_first[:20]
        assert [job["job_id"] for job in list_jobs(http, limit=100)] == newest_first
        assert [job["job_id"] for job in list_jobs(http, limit=1)] == newest_first[:1]
        queued = list_jobs(http, status="queued", limit=100)
        assert [job["job_id"] for job in queued] == newest_first
        assert all(job["status"] == "queued" and job["started_at"] is None for job in queued)
        for status in ("running", "succeeded", "failed"):
            assert list_jobs(http, status=status) == []


@pytest.mark.parametrize(
    ("query", "field", "hint"),
    [
        ("limit=0", "limit", "greater than or equal to 1"),
        ("limit=101", "limit", "less than or equal to 100"),
        ("limit=-5", "limit", "greater than or equal to 1"),
        ("limit=abc", "limit", "integer"),
        ("limit=1.5", "limit", "integer"),
        ("limit=", "limit", "integer"),
        ("limit=" + "9" * 5000, "limit", "integer"),
        ("limit=1&limit=500", "limit", "less than or equal to 100"),
        ("status=bogus", "status", "'failed'"),
        ("status=FAILED", "status", "'failed'"),
        ("status=", "status", "'queued'"),
        ("status=failed%27%20or%201%3D1%20--", "status", "'succeeded'"),
        ("status=%00", "status", "'running'"),
        ("status=failed&limit=abc", "limit", "integer"),
    ],
)
def test_bad_list_queries_are_422_with_a_clear_message(
    client: httpx.Client, query: str, field: str, hint: str
) -> None:
    body = assert_error(client.get(f"/v1/reports/jobs?{query}"), 422, "invalid_request")
    message = body["error"]["message"]
    assert message.startswith(f"query.{field}: "), message
    assert hint in message
    assert len(message) < 300  # the input is not echoed back


# -- hostile input ---------------------------------------------------------------------------
BAD_JOB_BODIES: list[tuple[Any, int]] = [
    ({"report_type": 5}, 422),
    ({"report_type": None}, 422),
    ({}, 422),
    ({"report_type": "daily_sales", "params": "date=2026-06-01"}, 422),
    ({"report_type": "daily_sales", "params": []}, 422),
    ({"report_type": "daily_sales", "formats": "pdf"}, 422),
    ({"report_type": "daily_sales", "formats": []}, 422),
    ({"report_type": "daily_sales", "formats": ["exe"]}, 422),
    ({"report_type": "daily_sales", "formats": ["../../etc/passwd"]}, 422),
    ({"report_type": "daily_sales", "unexpected": 1}, 422),
    ({"report_type": "no_such_report"}, 422),
    ({"report_type": "daily_sales; drop table reporting.rpt_daily_sales"}, 422),
    ({"report_type": "x" * 10_000}, 422),
    ({"report_type": "daily_sales", "params": {"date": "2026-02-30"}}, 422),
    # A period phrase is fine ("yesterday"), but it has to name one day.
    ({"report_type": "daily_sales", "params": {"date": "last month"}}, 422),
    ({"report_type": "daily_sales", "params": {"date": "yesterday" * 1_000}}, 422),
    ({"report_type": "daily_sales", "params": {"date": "yesterday'; drop table x; --"}}, 422),
    ({"report_type": "weekly_executive", "params": {"week_start": "last month"}}, 422),
    ({"report_type": "monthly_data_quality", "params": {"month": "next month"}}, 422),
    ({"report_type": "daily_sales", "params": {"date": 20260601}}, 422),
    ({"report_type": "daily_sales", "params": {"date": "9999-12-31"}}, 422),
    ({"report_type": "daily_sales", "params": {"date": "2026-06-01'; drop table x; --"}}, 422),
    ({"report_type": "daily_sales", "params": {"region": "' or 1=1 --"}}, 422),
    ({"report_type": "daily_sales", "params": {"date": {"$gt": ""}}}, 422),
    ({"report_type": "weekly_executive", "params": {"week_start": "2026-06-03"}}, 422),
    ({"report_type": "monthly_data_quality", "params": {"month": "2026-13"}}, 422),
    ({"report_type": "monthly_data_quality", "params": {"month": "../2026-01"}}, 422),
    ([1, 2, 3], 422),
    ("daily_sales", 422),
    (None, 422),
]


@pytest.mark.parametrize(("body", "status"), BAD_JOB_BODIES)
def test_bad_job_requests(client: httpx.Client, body: Any, status: int) -> None:
    assert_error(post_job(client, body), status)


def test_deeply_nested_params_are_refused(client: httpx.Client) -> None:
    nested: Any = "x"
    for _ in range(200):
        nested = {"a": nested}
    assert_error(post_job(client, {"report_type": "daily_sales", "params": nested}), 422)


@pytest.mark.parametrize(
    "raw",
    [b"{", b"not json", b'{"report_type": "daily_sales",}', b"\xff\xfe\x00", b""],
)
def test_malformed_json_is_400(client: httpx.Client, raw: bytes) -> None:
    response = client.post(
        "/v1/reports/jobs", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    assert_error(response, response.status_code)


def test_oversized_body_is_413(client: httpx.Client) -> None:
    big = {"report_type": "daily_sales", "params": {"pad": "x" * (3 * 1024 * 1024)}}
    assert_error(post_job(client, big), 413, "payload_too_large")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/reports/jobs/not-a-job",
        "/v1/reports/jobs/00000000-0000-0000-0000-000000000000",
        "/v1/reports/jobs/..%2F..%2Fetc%2Fpasswd",
        "/v1/reports/jobs/00000000-0000-0000-0000-000000000000/artifacts/pdf",
        "/v1/reports/jobs/00000000-0000-0000-0000-000000000000/artifacts/..%2F..%2Fjobs.sqlite3",
        "/v1/reports/jobs/%00/artifacts/html",
        "/v1/reports/jobs/" + "a" * 5000,
        "/v1/no/such/route",
    ],
)
def test_unknown_jobs_and_traversal_are_404(client: httpx.Client, path: str) -> None:
    assert_error(client.get(path), 404)


def test_artifact_names_cannot_escape(api: svc.InProcessService, client: httpx.Client) -> None:
    created = post_job(client, {"report_type": "daily_sales", "formats": ["json"]}).json()
    job = api.wait_for_job(created["job_id"])
    assert job["status"] == "succeeded"
    base = f"/v1/reports/jobs/{job['job_id']}/artifacts"
    for name in ("..%2F..%2Fapi_key", "..%2Fjobs.sqlite3", "json%00.html", "JSON", "html"):
        response = client.get(f"{base}/{name}")
        assert response.status_code == 404, (name, response.text)
        assert_error(response, 404)
    assert svc.API_KEY not in client.get(f"{base}/json").text


def test_wrong_methods_are_405(client: httpx.Client) -> None:
    assert_error(client.delete("/v1/reports"), 405)
    assert_error(client.put("/v1/reports/jobs", json={}), 405)


def test_job_events_are_written(api: svc.InProcessService, client: httpx.Client) -> None:
    created = post_job(client, {"report_type": "daily_sales", "formats": ["json"]}).json()
    api.wait_for_job(created["job_id"])
    events = [
        json.loads(line)
        for path in (api.home / "events").rglob("*.jsonl")
        for line in path.read_text().splitlines()
        if created["job_id"] in line
    ]
    assert [event["status"] for event in events] == ["queued", "running", "succeeded"]
    assert all(event["trigger"] == "api" for event in events)
    assert events[-1]["duration_ms"] >= 0


def test_queue_full_is_429(tmp_path: Path, small_warehouse: Settings) -> None:
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    with svc.in_process(home, workers=0, queue_limit=3) as service:
        http = service.client(headers=service.headers)
        body = {"report_type": "daily_sales", "formats": ["json"]}
        accepted = [post_job(http, body).status_code for _ in range(3)]
        assert accepted == [202, 202, 202]
        refused = post_job(http, body)
        assert_error(refused, 429, "queue_full")
        assert refused.headers["retry-after"]
