"""Snowflake's external-function protocol, spoken to the service's app in
process (``TestClient``): nothing here needs a real process (no signals,
restarts or raw sockets); the served process is exercised by
``test_every_trigger.py`` (an external-function job rendered end to end),
``test_api.py`` and ``test_server_limits.py``.

Snowflake posts ``{"data": [[row_number, args...], ...]}`` with
``sf-external-function-*`` headers and expects one answer row per input row,
same numbers, same order; it retries a batch (same query and batch id) on
429, 5xx and network errors. This replica takes requests only
(``workers=0``) so the jobs stay queued and countable; it needs no warehouse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from analytics_core.settings import ReportServiceSettings, Settings
from report_service.app import create_app
from report_service.service import ReportService
from tests.report_service import service as svc

pytestmark = [pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("external") / "home"
    settings = ReportServiceSettings(
        api_keys=f"{svc.API_KEY},{svc.OTHER_KEY}", workers=0, queue_limit=100_000
    )
    with TestClient(create_app(ReportService(settings, Settings(home=home)))) as app:
        yield app


@pytest.fixture
def client(api: TestClient) -> TestClient:
    api.headers["x-api-key"] = svc.API_KEY
    return api


def snowflake_headers(query_id: str, batch_id: str) -> dict[str, str]:
    return {
        "sf-external-function-format": "json",
        "sf-external-function-format-version": "1.0",
        "sf-external-function-current-query-id": query_id,
        "sf-external-function-query-batch-id": batch_id,
        "sf-external-function-name": "GENERATE_REPORT",
        "sf-external-function-return-format": "json",
        "content-type": "application/json",
    }


def queue_depth(api: TestClient) -> float:
    text = api.get("/metrics").text
    match = re.search(r"^report_service_queue_depth (\S+)$", text, re.MULTILINE)
    assert match, text
    return float(match.group(1))


def generate(client: httpx.Client, rows: list[list[Any]], query: str, batch: str) -> Any:
    return client.post(
        "/v1/external/generate_report",
        json={"data": rows},
        headers=snowflake_headers(query, batch),
    )


def test_one_answer_per_row_in_order(client: httpx.Client) -> None:
    rows = [
        [0, "daily_sales", {"date": "2026-06-29"}],
        [1, "weekly_executive", None],
        [2, "monthly_data_quality", '{"month": "2026-05"}'],
        [3, "daily_sales", {"formats": ["pdf", "csv"]}],
    ]
    response = generate(client, rows, "01b2-query-a", "01b2-query-a:0")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [row[0] for row in data] == [0, 1, 2, 3]
    for _, answer in data:
        assert set(answer) == {"job_id", "status", "status_url"}
        assert answer["status"] == "queued"
        assert answer["status_url"].endswith(answer["job_id"])
    assert len({answer["job_id"] for _, answer in data}) == 4

    status = client.post(
        "/v1/external/job_status",
        json={"data": [[7, data[3][1]["job_id"]], [8, "no-such-job"], [9, data[0][1]["job_id"]]]},
    )
    assert status.status_code == 200
    answers = status.json()["data"]
    assert [row[0] for row in answers] == [7, 8, 9]
    assert answers[0][1]["job_id"] == data[3][1]["job_id"]
    assert answers[0][1]["report_type"] == "daily_sales"
    assert answers[0][1]["status"] == "queued"
    assert answers[1][1]["error"]["code"] == "not_found"
    assert answers[2][1]["params"] == {"date": "2026-06-29"}


def test_a_retried_batch_returns_the_same_jobs_and_creates_nothing(
    api: TestClient, client: httpx.Client
) -> None:
    rows = [[n, "daily_sales", {"date": "2026-06-30"}] for n in range(25)]
    first = generate(client, rows, "01b3-query-retry", "01b3-query-retry:4").json()["data"]
    depth = queue_depth(api)
    for _ in range(3):
        again = generate(client, rows, "01b3-query-retry", "01b3-query-retry:4").json()["data"]
        assert again == first
    assert queue_depth(api) == depth
    other_batch = generate(client, rows, "01b3-query-retry", "01b3-query-retry:5").json()["data"]
    assert {a["job_id"] for _, a in other_batch}.isdisjoint({a["job_id"] for _, a in first})


def test_bad_rows_answer_errors_without_failing_the_batch(client: httpx.Client) -> None:
    rows = [
        [0, "daily_sales", {}],
        [1, "no_such_report", {}],
        [2, "daily_sales", {"date": "2026-02-30"}],
        [3, "daily_sales", "not json"],
        [4, 42, {}],
        [5, "daily_sales"],
        [6, "daily_sales", {"date": "2026-06-01'); drop table jobs; --"}],
        [7, "daily_sales", [1, 2]],
        [8, "daily_sales", {"formats": ["exe"]}],
        [9, "weekly_executive", {"week_start": "2026-06-03"}],
    ]
    response = generate(client, rows, "01b4-query-bad", "01b4-query-bad:0")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [row[0] for row in data] == list(range(10))
    assert "job_id" in data[0][1]
    for number, answer in data[1:]:
        assert set(answer) == {"error"}, (number, answer)
        assert answer["error"]["code"] and answer["error"]["message"]


def test_a_thousand_rows_in_one_batch(client: httpx.Client) -> None:
    rows = [[n, "daily_sales", {"date": "2026-06-15"}] for n in range(1000)]
    response = generate(client, rows, "01b5-query-big", "01b5-query-big:0")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [row[0] for row in data] == list(range(1000))
    assert len({answer["job_id"] for _, answer in data}) == 1000


def test_a_ten_megabyte_body_is_413(client: httpx.Client) -> None:
    padding = "x" * (10 * 1024 * 1024)
    response = generate(client, [[0, "daily_sales", {"pad": padding}]], "q", "q:0")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"{",
        b"[]",
        b'{"rows": [[0, "daily_sales", {}]]}',
        b'{"data": "daily_sales"}',
        b'{"data": [["zero", "daily_sales", {}]]}',
        b'{"data": [[]]}',
        b'{"data": [0, 1]}',
        b'{"data": [[0, "daily_sales", {}], [0, "daily_sales", {}]]}',
        b'{"data": [[1.5, "daily_sales", {}]]}',
    ],
)
def test_a_malformed_body_is_400(client: httpx.Client, raw: bytes) -> None:
    for route in ("/v1/external/generate_report", "/v1/external/job_status"):
        response = client.post(route, content=raw, headers=snowflake_headers("q", "q:1"))
        assert response.status_code == 400, (route, raw, response.text)
        body = response.json()
        assert set(body) == {"error"}
        assert body["error"]["message"]


def test_an_empty_batch_answers_an_empty_batch(client: httpx.Client) -> None:
    response = generate(client, [], "q-empty", "q-empty:0")
    assert response.status_code == 200
    assert response.json() == {"data": []}


def test_the_answer_is_plain_json_snowflake_can_read(client: httpx.Client) -> None:
    response = generate(client, [[0, "daily_sales", {}]], "q-json", "q-json:0")
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(response.content)["data"][0][0] == 0
