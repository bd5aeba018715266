"""The UI's report service client against the real service process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics_core.settings import Settings
from tests.conftest import free_port
from tests.report_service import service as svc
from ui.report_client import ReportServiceClient, ReportServiceError, job_label, job_summary

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api(
    small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[svc.RunningService]:
    home = svc.home_with_warehouse(
        small_warehouse.warehouse_path, tmp_path_factory.mktemp("ui-client") / "home"
    )
    with svc.running(home) as service:
        yield service


@pytest.fixture
def client(api: svc.RunningService) -> Iterator[ReportServiceClient]:
    client = ReportServiceClient(api.url, svc.API_KEY, timeout=30)
    yield client
    client.close()


def test_catalog_job_and_files(client: ReportServiceClient) -> None:
    catalog = {entry["type"]: entry for entry in client.catalog()}
    assert {"daily_sales", "weekly_executive", "monthly_data_quality"} <= set(catalog)
    assert client.ready() == (True, [])
    created = client.create_job(
        "daily_sales", {"date": "2026-06-15"}, ["html", "csv"], idempotency_key="ui-1"
    )
    seen: list[str] = []
    job = client.wait(created["job_id"], on_update=lambda j: seen.append(j["status"]), poll=0.2)
    assert job["status"] == "succeeded", job
    assert seen[-1] == "succeeded"
    html = client.artifact(job["job_id"], "html")
    assert html.startswith(b"<!DOCTYPE html") or b"<html" in html[:200]
    csv = client.artifact(job["job_id"], "csv")
    assert b"revenue" in csv.lower()
    again = client.create_job(
        "daily_sales", {"date": "2026-06-15"}, ["html", "csv"], idempotency_key="ui-1"
    )
    assert again["job_id"] == created["job_id"]


def test_recent_jobs(api: svc.RunningService, client: ReportServiceClient) -> None:
    created = [client.create_job("daily_sales", {}, [fmt])["job_id"] for fmt in ("json", "csv")]
    finished = [client.wait(job_id, poll=0.2) for job_id in created]
    assert [job["status"] for job in finished] == ["succeeded", "succeeded"], finished
    recent = client.recent_jobs(limit=2)
    assert [job["job_id"] for job in recent] == created[::-1]
    assert recent == finished[::-1]  # the same body as client.job
    assert len(client.recent_jobs()) >= 3  # and the job of the test before
    succeeded = client.recent_jobs(limit=100, status="succeeded")
    assert set(created) <= {job["job_id"] for job in succeeded}
    assert all(job["status"] == "succeeded" for job in succeeded)
    failed = client.recent_jobs(limit=100, status="failed")
    assert not set(created) & {job["job_id"] for job in failed}
    for limit, status in ((0, None), (101, None), (5, "bogus")):
        with pytest.raises(ReportServiceError) as error:
            client.recent_jobs(limit=limit, status=status)
        assert error.value.status == 422
        assert ("status" if status else "limit") in str(error.value)
    wrong = ReportServiceClient(api.url, "not-the-key-000000")
    with pytest.raises(ReportServiceError) as error:
        wrong.recent_jobs()
    assert error.value.status == 401 and "not-the-key" not in str(error.value)
    wrong.close()


def test_bad_input_reads_as_the_service_said(client: ReportServiceClient) -> None:
    with pytest.raises(ReportServiceError) as error:
        client.create_job("no_such_report", {}, ["html"])
    assert error.value.status in (400, 422) and "no_such_report" in str(error.value)
    with pytest.raises(ReportServiceError) as error:
        client.job("00000000-0000-0000-0000-000000000000")
    assert error.value.status == 404
    for hostile in ("../../etc/passwd", "a/b", "x?y=1", ""):
        with pytest.raises(ReportServiceError, match="not a valid identifier"):
            client.job(hostile)


def test_wrong_key_and_no_service_are_readable(api: svc.RunningService) -> None:
    wrong = ReportServiceClient(api.url, "not-the-key-000000")
    with pytest.raises(ReportServiceError) as error:
        wrong.catalog()
    assert error.value.status == 401 and "not-the-key" not in str(error.value)
    # The message names the setting to fix, and where a local service keeps its key.
    assert "set REPORT_SERVICE_API_KEY" in str(error.value)
    assert "report_service/api_key" in str(error.value)
    gone = ReportServiceClient(f"http://127.0.0.1:{free_port()}", svc.API_KEY, timeout=2)
    with pytest.raises(ReportServiceError, match="cannot be reached"):
        gone.catalog()
    assert gone.ready()[0] is False


def test_ready_reasons_without_a_warehouse(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with svc.running(home) as service:
        ready, reasons = ReportServiceClient(service.url, svc.API_KEY).ready()
    assert not ready and reasons


def test_a_job_row_and_label_leave_out_the_parameters() -> None:
    job = {
        "job_id": "0123456789abcdef",
        "report_type": "daily_sales",
        "params": {"date": "2026-06-30", "note": "x" * 10_000},
        "status": "failed",
        "created_at": "2026-06-30T06:00:01.123456Z",
        "finished_at": None,
        "error": "the warehouse is not reachable",
        "artifacts": [{"format": "html"}, {"format": "csv"}],
    }
    row = job_summary(job)
    assert row == {
        "job": "01234567",
        "report": "daily_sales",
        "status": "failed",
        "created": "2026-06-30 06:00 UTC",
        "finished": "",
        "formats": "html, csv",
        "error": "the warehouse is not reachable",
    }
    assert job_label(job) == "daily_sales 01234567 (failed, 2026-06-30 06:00 UTC)"
    assert job_summary({})["job"] == "" and "unknown" in job_label({})
    assert None not in job_summary({}).values(), "no None cells"
    # A time with an offset is shown in UTC, to the minute.
    assert job_summary({"created_at": "2026-06-30T08:00:59+02:00"})["created"] == (
        "2026-06-30 06:00 UTC"
    )
