"""The service as it runs in AWS: jobs in DynamoDB, files and events in S3, API keys
from Secrets Manager, all on a moto server the tests start."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from analytics_core.settings import Settings
from tests.report_service import service as svc

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REGION = "eu-west-1"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
SECRET_KEY = "key-from-secrets-manager-42"


@pytest.fixture
def aws(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    suffix = uuid.uuid4().hex[:8]
    bucket, table, secret = f"reports-{suffix}", f"report-jobs-{suffix}", f"report-keys-{suffix}"
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=moto_server)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    secrets = boto3.client("secretsmanager", region_name=REGION, endpoint_url=moto_server)
    secrets.create_secret(Name=secret, SecretString=json.dumps([SECRET_KEY]))
    from report_service.delivery.ledger_dynamodb import DynamoDeliveryLedger
    from report_service.stores.dynamodb import DynamoJobStore

    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_server)
    DynamoJobStore(table, dynamodb).ensure_table()
    # The delivery ledger's table too: the service's delivery loop reads it.
    DynamoDeliveryLedger(f"{table}-deliveries", dynamodb).ensure_table()
    yield {
        **AWS_ENV,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_server,
        "REPORT_SERVICE_JOB_STORE": "dynamodb",
        "REPORT_SERVICE_DYNAMODB_TABLE": table,
        "REPORT_SERVICE_DELIVERY_TABLE": f"{table}-deliveries",
        "S3_REPORTS_BUCKET": bucket,
        "ANALYTICS_EVENTS_URL": f"s3://{bucket}/events",
        "REPORT_SERVICE_API_KEYS": "",
        "REPORT_SERVICE_API_KEYS_SECRET": secret,
    }


def test_jobs_in_dynamodb_files_and_events_in_s3(
    aws: dict[str, str], tmp_path: Path, small_warehouse: Settings, moto_server: str
) -> None:
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    with svc.running(home, aws) as service:
        service.headers = {"x-api-key": SECRET_KEY}
        with service.client() as anonymous:
            assert (
                anonymous.get("/v1/reports", headers={"x-api-key": svc.API_KEY}).status_code == 401
            )
        with service.client(headers=service.headers) as http:
            created = http.post(
                "/v1/reports/jobs",
                json={"report_type": "daily_sales", "formats": ["csv", "html"]},
                headers={"Idempotency-Key": "aws-1"},
            )
            assert created.status_code == 202, created.text
            job_id = created.json()["job_id"]
            again = http.post(
                "/v1/reports/jobs",
                json={"report_type": "daily_sales", "formats": ["csv", "html"]},
                headers={"Idempotency-Key": "aws-1"},
            )
            assert again.json()["job_id"] == job_id
            job = service.wait_for_job(job_id)
            assert job["status"] == "succeeded", job
            for artifact in job["artifacts"]:
                redirect = http.get(artifact["url"])
                assert redirect.status_code == 307, redirect.text
                location = redirect.headers["location"]
                assert location.startswith(moto_server)
                download = httpx.get(location)
                assert download.status_code == 200
                assert hashlib.sha256(download.content).hexdigest() == artifact["sha256"]
                assert len(download.content) == artifact["bytes"]

    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=moto_server)
    items = dynamodb.scan(TableName=aws["REPORT_SERVICE_DYNAMODB_TABLE"])["Items"]
    assert job_id in json.dumps(items)
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=moto_server)
    listed = s3.list_objects_v2(Bucket=aws["S3_REPORTS_BUCKET"], Prefix="events/report_jobs/")
    events = [
        json.loads(line)
        for item in listed.get("Contents", [])
        for line in s3.get_object(Bucket=aws["S3_REPORTS_BUCKET"], Key=item["Key"])["Body"]
        .read()
        .decode()
        .splitlines()
    ]
    events.sort(key=lambda event: event["at"])  # one object per batch, listed by key
    assert [e["status"] for e in events if e["job_id"] == job_id] == [
        "queued",
        "running",
        "succeeded",
    ]
    log = service.log_text()
    assert SECRET_KEY not in log and "testing" not in log
    # The delivery loop works its DynamoDB ledger quietly.
    assert "delivery loop failed" not in log


def test_an_unreadable_key_secret_stops_the_start(
    aws: dict[str, str], tmp_path: Path, small_warehouse: Settings
) -> None:
    home = svc.home_with_warehouse(small_warehouse.warehouse_path, tmp_path / "home")
    with pytest.raises(AssertionError, match="exited"):
        svc.start(home, {**aws, "REPORT_SERVICE_API_KEYS_SECRET": "no-such-secret"})
