"""Hostile input at the service's edge (issue 15, items 2, 3, 11 and 14).

The real app in process (FastAPI's TestClient) on a real SQLite job store:

- job bodies nested too deeply, with lone surrogates, NaN, Infinity or huge
  numbers, in any field: 422 with the error shape, nothing stored; the same
  for query strings, paths and headers that are not UTF-8 text;
- an external-function batch answers an error for each bad row and a job for
  every other row, whatever the bad row holds;
- links (``Location``, ``status_url``, artifact URLs) never come from the
  request's ``Host``: relative, or on the configured public base URL;
- the OpenAPI document declares every status a route answers, errors with
  the error schema.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analytics_core.settings import ReportServiceSettings, Settings
from report_service.app import ReportService, create_app

pytestmark = pytest.mark.timeout(600)

KEY = "hardening-key-0123456789"
JSON = {"x-api-key": KEY, "content-type": "application/json"}


def make_service(home: Path, **settings: Any) -> ReportService:
    service = ReportServiceSettings(api_keys=KEY, **{"workers": 0, **settings})
    return ReportService(service, Settings(home=home))


@pytest.fixture
def service(tmp_path: Path) -> ReportService:
    home = tmp_path / "home"
    home.mkdir()
    return make_service(home)


@pytest.fixture
def client(service: ReportService) -> Iterator[TestClient]:
    with TestClient(create_app(service), raise_server_exceptions=False) as http:
        yield http


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return dict(body)


def stored_jobs(service: ReportService) -> int:
    return len(service.store.recent(100, None))


def nested(depth: int, leaf: str = '"x"') -> str:
    return '{"a": ' * depth + leaf + "}" * depth


# -- item 2: hostile job bodies ---------------------------------------------------------
SURROGATE = '"\\ud800"'  # the JSON text "\ud800"
HOSTILE_JOB_BODIES: list[tuple[str, bytes]] = [
    (
        "params nested 256 levels",
        f'{{"report_type": "daily_sales", "params": {nested(256)}}}'.encode(),
    ),
    (
        "params nested 40 levels",
        f'{{"report_type": "daily_sales", "params": {nested(40)}}}'.encode(),
    ),
    ("a body nested 200,000 levels", b"[" * 200_000 + b"]" * 200_000),
    (
        "a lone surrogate in a param",
        b'{"report_type": "daily_sales", "params": {"date": "\\ud800"}}',
    ),
    (
        "a low surrogate alone",
        b'{"report_type": "daily_sales", "params": {"date": "2026-06-01\\udfff"}}',
    ),
    ("a lone surrogate in a key", b'{"report_type": "daily_sales", "params": {"\\ud800": "x"}}'),
    ("a lone surrogate in report_type", b'{"report_type": "daily\\ud83d"}'),
    ("a lone surrogate in formats", b'{"report_type": "daily_sales", "formats": ["\\udc00"]}'),
    (
        "a lone surrogate deep down",
        f'{{"report_type": "daily_sales", "params": {nested(5, SURROGATE)}}}'.encode(),
    ),
    ("NaN", b'{"report_type": "daily_sales", "params": {"date": NaN}}'),
    ("Infinity", b'{"report_type": "daily_sales", "params": {"x": -Infinity}}'),
    (
        "a number that overflows to infinity",
        b'{"report_type": "daily_sales", "params": {"x": 1e400}}',
    ),
    (
        "an integer of 5000 digits",
        b'{"report_type": "daily_sales", "params": {"x": ' + b"9" * 5000 + b"}}",
    ),
    (
        "an integer of 200 digits",
        b'{"report_type": "daily_sales", "params": {"x": ' + b"9" * 200 + b"}}",
    ),
]


@pytest.mark.parametrize(
    ("case", "raw"), HOSTILE_JOB_BODIES, ids=[c for c, _ in HOSTILE_JOB_BODIES]
)
def test_hostile_job_bodies_are_422_and_store_nothing(
    service: ReportService, client: TestClient, case: str, raw: bytes
) -> None:
    before = stored_jobs(service)
    body = assert_error(client.post("/v1/reports/jobs", content=raw, headers=JSON), 422)
    assert body["error"]["code"] == "invalid_request"
    assert len(body["error"]["message"]) < 300
    assert stored_jobs(service) == before
    # And again with an Idempotency-Key: the key's path hashes the body first.
    headers = {**JSON, "Idempotency-Key": f"hostile-{abs(hash(case))}"}
    assert_error(client.post("/v1/reports/jobs", content=raw, headers=headers), 422)
    assert stored_jobs(service) == before


@pytest.mark.parametrize(
    "raw",
    [
        # A surrogate encoded as UTF-8 bytes (Python's json accepts it from bytes).
        b'{"report_type": "daily_sales", "params": {"date": "\xed\xa0\x80"}}',
        b'{"report_type": "daily_sales", "params": {"date": "\xff"}}',
        '{"report_type": "daily_sales"}'.encode("utf-16"),
    ],
)
def test_bodies_that_are_not_utf8_are_400(
    service: ReportService, client: TestClient, raw: bytes
) -> None:
    assert_error(client.post("/v1/reports/jobs", content=raw, headers=JSON), 400, "malformed_json")
    assert stored_jobs(service) == 0


def test_a_body_that_is_not_json_is_415(client: TestClient) -> None:
    headers = {"x-api-key": KEY, "content-type": "text/plain"}
    response = client.post(
        "/v1/reports/jobs", content=b'{"report_type": "daily_sales"}', headers=headers
    )
    assert_error(response, 415, "unsupported_media_type")


def test_the_depth_limit_is_a_setting_and_ordinary_bodies_pass(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with TestClient(create_app(make_service(home, max_json_depth=8))) as http:
        for depth in (8, 5000):
            body = f'{{"report_type": "daily_sales", "params": {nested(depth)}}}'
            refused = assert_error(http.post("/v1/reports/jobs", content=body, headers=JSON), 422)
            assert refused["error"]["message"] == "body: nested deeper than 8 levels", refused
        # Brackets inside strings are text, not nesting.
        brackets = json.dumps({"report_type": "daily_sales", "params": {"note": "[{" * 5000}})
        refused = assert_error(http.post("/v1/reports/jobs", content=brackets, headers=JSON), 422)
        assert "nested" not in refused["error"]["message"], refused
        good = http.post(
            "/v1/reports/jobs",
            json={"report_type": "daily_sales", "params": {"date": "2026-06-29"}},
            headers={"x-api-key": KEY, "Idempotency-Key": "k-1"},
        )
        assert good.status_code == 202, good.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/reports/jobs?status=%ff", 422),
        ("/v1/reports/jobs?status=%ed%a0%80", 422),
        ("/v1/reports/jobs?%ff=1", 422),
        ("/health?x=%c3", 422),
        ("/v1/reports/jobs/%ed%a0%80", 400),
        ("/v1/reports/jobs/%ff/artifacts/html", 400),
        ("/v1/reports/jobs/00000000-0000-0000-0000-000000000000/artifacts/%ed%b0%80", 400),
    ],
)
def test_query_strings_and_paths_must_be_utf8(client: TestClient, path: str, status: int) -> None:
    assert_error(client.get(path, headers={"x-api-key": KEY}), status)


def test_an_idempotency_key_that_is_not_ascii_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/reports/jobs",
        json={"report_type": "daily_sales"},
        headers={"x-api-key": KEY, "Idempotency-Key": "clé".encode()},  # type: ignore[dict-item]
    )
    assert_error(response, 422, "invalid_idempotency_key")


def test_too_many_headers_are_431_in_any_asgi_server(client: TestClient) -> None:
    headers = {f"x-h{i}": "v" for i in range(150)}
    assert_error(client.get("/health", headers=headers), 431, "headers_too_large")
    big = {"x-big": "v" * 70_000}
    assert_error(client.get("/health", headers=big), 431, "headers_too_large")


# -- item 3: one bad row answers for itself ----------------------------------------------
def batch_headers(batch: str) -> dict[str, str]:
    return {
        **JSON,
        "sf-external-function-current-query-id": "01b9-hardening",
        "sf-external-function-query-batch-id": batch,
    }


BAD_ROWS: list[tuple[str, str]] = [
    ("params a JSON string nested 1000 levels", json.dumps(nested(1000))),
    ("params a JSON string nested 100,000 levels", json.dumps("[" * 100_000 + "]" * 100_000)),
    ("params a VARIANT nested 100 levels", nested(100)),
    ("params a JSON string with a lone surrogate", json.dumps('{"date": "\\ud800"}')),
    ("a lone surrogate in params", '{"date": "\\ud800"}'),
    ("a lone surrogate in a params key", '{"\\udc00": 1}'),
    ("a lone surrogate in report_type", '"daily\\ud800"'),
    ("NaN in params", '{"date": NaN}'),
    ("Infinity as params", "Infinity"),
    ("NaN in a params string", json.dumps('{"date": NaN}')),
    ("1e400 in params", '{"x": 1e400}'),
    ("an integer of 5000 digits", '{"x": ' + "7" * 5000 + "}"),
    ("an integer of 5000 digits in a params string", json.dumps('{"x": ' + "7" * 5000 + "}")),
    ("a 1 MB report_type", json.dumps("r" * 1_000_000)),
    ("a 1 MB params string", json.dumps("{" * 10 + " " * 1_000_000)),
    ("params a number", "42"),
    ("params true", "true"),
    ("params a list", "[1, 2]"),
    ("report_type an object", '{"a": 1}'),
    ("formats not a list of names", '{"formats": {"a": [1]}}'),
    ("formats with a surrogate", '{"formats": ["\\ud800"]}'),
]


def bad_row(number: int, case: str, value: str) -> str:
    if case.startswith(("a lone surrogate in report_type", "a 1 MB report_type", "report_type")):
        return f"[{number}, {value}, {{}}]"
    return f'[{number}, "daily_sales", {value}]'


@pytest.mark.parametrize(("case", "value"), BAD_ROWS, ids=[c for c, _ in BAD_ROWS])
def test_a_bad_row_answers_an_error_and_the_others_their_jobs(
    service: ReportService, client: TestClient, case: str, value: str
) -> None:
    rows = ", ".join(
        [
            '[0, "daily_sales", {"date": "2026-06-29"}]',
            bad_row(1, case, value),
            '[2, "weekly_executive", null]',
        ]
    )
    response = client.post(
        "/v1/external/generate_report",
        content=f'{{"data": [{rows}]}}',
        headers=batch_headers(case[:40]),
    )
    assert response.status_code == 200, response.text[:500]
    data = response.json()["data"]
    assert [number for number, _ in data] == [0, 1, 2]
    assert set(data[0][1]) == {"job_id", "status", "status_url"}
    assert set(data[2][1]) == {"job_id", "status", "status_url"}
    assert set(data[1][1]) == {"error"}, data[1]
    assert data[1][1]["error"]["code"] and data[1][1]["error"]["message"]
    assert len(data[1][1]["error"]["message"]) < 400
    assert stored_jobs(service) == 2


def test_all_bad_rows_in_one_batch(service: ReportService, client: TestClient) -> None:
    cases = [(case, value) for case, value in BAD_ROWS if "1 MB" not in case]  # 2 MB at most
    rows = [bad_row(n, case, value) for n, (case, value) in enumerate(cases)]
    rows.append(f'[{len(cases)}, "daily_sales", {{}}]')
    response = client.post(
        "/v1/external/generate_report",
        content=f'{{"data": [{", ".join(rows)}]}}',
        headers=batch_headers("all"),
    )
    assert response.status_code == 200, response.text[:500]
    data = response.json()["data"]
    assert [number for number, _ in data] == list(range(len(cases) + 1))
    assert all(set(answer) == {"error"} for _, answer in data[:-1]), data
    assert "job_id" in data[-1][1]


@pytest.mark.parametrize(
    "row",
    [
        '[1, "\\ud800"]',
        "[1, NaN]",
        '[1, {"a": "\\ud800"}]',
        "[1, " + "9" * 5000 + "]",
        '[1, "' + "f" * 1_000_000 + '"]',
        "[1, " + nested(300) + "]",
    ],
)
def test_job_status_bad_rows_answer_errors(client: TestClient, row: str) -> None:
    body = f'{{"data": [[0, "00000000-0000-0000-0000-000000000000"], {row}]}}'
    response = client.post("/v1/external/job_status", content=body, headers=batch_headers("status"))
    assert response.status_code == 200, response.text[:500]
    data = response.json()["data"]
    assert [number for number, _ in data] == [0, 1]
    assert data[0][1]["error"]["code"] == "not_found"
    assert set(data[1][1]) == {"error"}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"data": [["\\ud800", "daily_sales", {}]]}',
        b'{"data": [[NaN, "daily_sales", {}]]}',
        b'{"data": [], "extra": "\\ud800"}',
        b'{"data": [[0, "daily_sales", {}]], "\\ud800": 1}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"data": [[0, "daily_sales", {"date": "\xed\xa0\x80"}]]}',
    ],
)
def test_a_bad_envelope_is_a_400_batch_error(client: TestClient, raw: bytes) -> None:
    for route in ("/v1/external/generate_report", "/v1/external/job_status"):
        response = client.post(route, content=raw, headers=batch_headers("envelope"))
        assert_error(response, 400)


# -- item 11: links never come from the Host header ---------------------------------------
@pytest.fixture(scope="module")
def rendered(small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a copy of the small warehouse and one succeeded job (json)."""
    import shutil

    home = tmp_path_factory.mktemp("links") / "home"
    home.mkdir()
    shutil.copy2(small_warehouse.warehouse_path, home / "warehouse.duckdb")
    rendering = make_service(home, workers=1, poll_seconds=0.1)
    with TestClient(create_app(rendering)) as http:
        created = http.post(
            "/v1/reports/jobs",
            json={"report_type": "daily_sales", "formats": ["json"]},
            headers=JSON,
        ).json()
        deadline = time.monotonic() + 180
        while (job := http.get(created["status_url"], headers=JSON).json())["status"] not in (
            "succeeded",
            "failed",
        ):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["status"] == "succeeded", job
    return home


def all_links(http: TestClient, host: str) -> list[str]:
    headers = {**JSON, "host": host}
    created = http.post("/v1/reports/jobs", json={"report_type": "daily_sales"}, headers=headers)
    assert created.status_code == 202, created.text
    links = [created.headers["location"], created.json()["status_url"]]
    for job in http.get("/v1/reports/jobs", headers=headers).json()["jobs"]:
        links += [artifact["url"] for artifact in job["artifacts"]]
        single = http.get(f"/v1/reports/jobs/{job['job_id']}", headers=headers).json()
        links += [artifact["url"] for artifact in single["artifacts"]]
    generated = http.post(
        "/v1/external/generate_report",
        json={"data": [[0, "daily_sales", {}]]},
        headers={**headers, "sf-external-function-query-batch-id": f"links-{host}"},
    ).json()
    links.append(generated["data"][0][1]["status_url"])
    ids = [
        [n, job["job_id"]]
        for n, job in enumerate(http.get("/v1/reports/jobs", headers=headers).json()["jobs"])
    ]
    status = http.post("/v1/external/job_status", json={"data": ids}, headers=headers).json()
    links += [artifact["url"] for _, job in status["data"] for artifact in job["artifacts"]]
    return links


@pytest.mark.slow
def test_links_are_relative_without_a_public_base_url(rendered: Path) -> None:
    with TestClient(create_app(make_service(rendered))) as http:
        links = all_links(http, "evil.example")
        assert any("/artifacts/json" in link for link in links), links
        for link in links:
            assert link.startswith("/v1/reports/jobs/"), link
            assert "evil" not in link
        # Relative links work against the service's own base URL (as the UI joins them).
        for link in links:
            assert http.get(link, headers=JSON).status_code == 200, link


@pytest.mark.slow
def test_links_use_the_public_base_url_when_set(rendered: Path) -> None:
    public = "https://reports.example.com/base"
    with TestClient(create_app(make_service(rendered, public_base_url=public + "/"))) as http:
        links = all_links(http, "evil.example")
        for link in links:
            assert link.startswith(f"{public}/v1/reports/jobs/"), link


# -- item 14: OpenAPI declares what routes answer --------------------------------------------
EXPECTED_STATUSES = {
    ("get", "/health"): {"200", "400", "413", "422", "431", "500"},
    ("get", "/ready"): {"200", "400", "413", "422", "431", "500", "503"},
    ("get", "/metrics"): {"200", "400", "413", "422", "431", "500"},
    ("get", "/v1/reports"): {"200", "400", "401", "413", "422", "431", "500"},
    ("post", "/v1/reports/jobs"): {"202", "400", "401", "413", "415", "422", "429", "431", "500"},
    ("get", "/v1/reports/jobs"): {"200", "400", "401", "413", "422", "431", "500"},
    ("get", "/v1/reports/jobs/{job_id}"): {"200", "400", "401", "404", "413", "422", "431", "500"},
    ("get", "/v1/reports/jobs/{job_id}/artifacts/{fmt}"): {
        "200",
        "307",
        "400",
        "401",
        "404",
        "409",
        "413",
        "422",
        "431",
        "500",
    },
    ("post", "/v1/external/generate_report"): {
        "200",
        "400",
        "401",
        "413",
        "415",
        "422",
        "429",
        "431",
        "500",
    },
    ("post", "/v1/external/job_status"): {"200", "400", "401", "413", "415", "422", "431", "500"},
    ("post", "/v1/external/deliver_subscription"): {
        "200",
        "400",
        "401",
        "413",
        "415",
        "422",
        "431",
        "500",
    },
    ("post", "/v1/deliveries"): {
        "202",
        "400",
        "401",
        "404",
        "413",
        "415",
        "422",
        "429",
        "431",
        "500",
        "503",
    },
    ("get", "/v1/deliveries"): {"200", "400", "401", "413", "422", "431", "500", "503"},
    ("post", "/v1/alerts/notify"): {
        "202",
        "400",
        "401",
        "404",
        "413",
        "415",
        "422",
        "431",
        "500",
        "503",
    },
}


def test_openapi_declares_every_status_with_the_error_schema(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) == set(EXPECTED_STATUSES)
    for key, operation in operations.items():
        assert set(operation["responses"]) == EXPECTED_STATUSES[key], key
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")) and key != ("get", "/ready"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (key, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "x-api-key"
    ok = operations[("get", "/v1/reports/jobs/{job_id}")]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/JobView"}


def test_fastapis_own_validation_errors_have_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/v1/reports/jobs?limit=0", headers=JSON), 422, "invalid_request")
    assert_error(client.post("/v1/reports/jobs", json={"report_type": 5}, headers=JSON), 422)
    response = client.delete("/v1/reports", headers=JSON)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"
