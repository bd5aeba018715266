"""Artifact stores: local files under tmp_path and S3 on a moto server process."""

from __future__ import annotations

import hashlib
import os
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from analytics_core.settings import ReportServiceSettings, Settings
from report_service.artifacts import (
    CHUNK_SIZE,
    CONTENT_TYPES,
    ArtifactStore,
    LocalArtifactStore,
    S3ArtifactStore,
    open_artifact_store,
)
from report_service.models import FORMATS, Artifact, NotFoundError

SIZE = 5 * 1024 * 1024 + 123  # several MB, not a multiple of the chunk size


def s3_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        config=Config(signature_version="s3v4"),
    )


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    data = os.urandom(SIZE)
    path = tmp_path_factory.mktemp("artifacts") / "report.pdf"
    path.write_bytes(data)
    return path, data


@pytest.fixture
def bucket(aws_env: dict[str, str]) -> str:
    name = f"reports-{uuid.uuid4().hex[:12]}"
    s3_client(aws_env["AWS_ENDPOINT_URL"]).create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "artifacts")
    bucket: str = request.getfixturevalue("bucket")
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    return S3ArtifactStore(bucket, "reports/", s3_client(endpoint), presign_seconds=120)


def test_content_types_cover_every_format() -> None:
    assert set(CONTENT_TYPES) == set(FORMATS)
    assert CONTENT_TYPES["html"] == "text/html; charset=utf-8"


def test_put_and_open_round_trip(store: ArtifactStore, big_file: tuple[Path, bytes]) -> None:
    path, data = big_file
    artifact = store.put(
        "job-1", "pdf", path, filename="daily_sales.pdf", content_type=CONTENT_TYPES["pdf"]
    )
    assert artifact.format == "pdf"
    assert artifact.bytes == SIZE
    assert artifact.sha256 == hashlib.sha256(data).hexdigest()
    assert artifact.content_type == "application/pdf"
    assert artifact.key.endswith("job-1/daily_sales.pdf")
    chunks = list(store.open(artifact))
    assert b"".join(chunks) == data
    assert all(len(chunk) <= CHUNK_SIZE for chunk in chunks)
    assert len(chunks) > 1

    # Storing the same key again replaces the file.
    small = path.parent / "small.csv"
    small.write_bytes(b"a,b\n1,2\n")
    again = store.put(
        "job-1", "pdf", small, filename="daily_sales.pdf", content_type=CONTENT_TYPES["pdf"]
    )
    assert again.key == artifact.key and again.bytes == 8
    assert b"".join(store.open(again)) == b"a,b\n1,2\n"


def test_local_store_layout(tmp_path: Path, big_file: tuple[Path, bytes]) -> None:
    root = tmp_path / "artifacts"
    store = LocalArtifactStore(root)
    artifact = store.put("job-2", "pdf", big_file[0], filename="r.pdf", content_type="x")
    assert artifact.key == "job-2/r.pdf"
    assert (root / "job-2" / "r.pdf").read_bytes() == big_file[1]
    assert [p.name for p in (root / "job-2").iterdir()] == ["r.pdf"]  # no temp files left
    assert store.presigned_url(artifact) is None


@pytest.mark.parametrize(
    ("job_id", "filename"),
    [
        ("..", "x.pdf"),
        ("../escape", "x.pdf"),
        ("job", "../x.pdf"),
        ("job", "..x.pdf"),
        ("job/sub", "x.pdf"),
        ("job", "a/b.pdf"),
        ("/etc", "passwd"),
        ("job", ""),
        ("", "x.pdf"),
        ("job", "x\x00.pdf"),
        ("job", "x y.pdf"),
        ("jöb", "x.pdf"),
        (".", "x.pdf"),
        ("job", "x" * 300),
    ],
)
def test_unsafe_names_are_refused(
    store: ArtifactStore, tmp_path: Path, job_id: str, filename: str
) -> None:
    source = tmp_path / "source.csv"
    source.write_bytes(b"x")
    with pytest.raises(ValueError, match="not allowed"):
        store.put(job_id, "csv", source, filename=filename, content_type="text/csv")


def test_local_open_refuses_keys_outside_the_root(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    store = LocalArtifactStore(tmp_path / "artifacts")
    for key in ("../secret.txt", str(secret), "job/../../secret.txt"):
        artifact = Artifact(format="csv", key=key, bytes=6, sha256="0" * 64, content_type="x")
        with pytest.raises(ValueError, match="outside"):
            store.open(artifact)


def test_local_open_refuses_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    root = tmp_path / "artifacts"
    (root / "job").mkdir(parents=True)
    (root / "job" / "link.csv").symlink_to(secret)
    artifact = Artifact(format="csv", key="job/link.csv", bytes=6, sha256="0", content_type="x")
    with pytest.raises(ValueError, match="outside"):
        LocalArtifactStore(root).open(artifact)


def test_missing_artifact_is_not_found(store: ArtifactStore) -> None:
    key = "reports/job-x/gone.csv" if isinstance(store, S3ArtifactStore) else "job-x/gone.csv"
    artifact = Artifact(format="csv", key=key, bytes=1, sha256="0" * 64, content_type="text/csv")
    with pytest.raises(NotFoundError):
        store.open(artifact)  # raised by the call, before iterating


def test_s3_object_and_presigned_download(
    bucket: str, aws_env: dict[str, str], big_file: tuple[Path, bytes]
) -> None:
    client = s3_client(aws_env["AWS_ENDPOINT_URL"])
    store = S3ArtifactStore(bucket, "/reports/", client, presign_seconds=120)
    path, data = big_file
    artifact = store.put(
        "job-3", "pdf", path, filename="weekly.pdf", content_type=CONTENT_TYPES["pdf"]
    )
    assert artifact.key == "reports/job-3/weekly.pdf"
    head = client.head_object(Bucket=bucket, Key=artifact.key)
    assert head["ContentLength"] == SIZE
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"]["sha256"] == hashlib.sha256(data).hexdigest()

    url = store.presigned_url(artifact)
    assert url is not None and "X-Amz-Expires=120" in url
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - http to moto
        assert response.status == 200
        downloaded = response.read()
        disposition = response.headers["Content-Disposition"]
    assert downloaded == data
    assert disposition == 'attachment; filename="weekly.pdf"'


def test_open_artifact_store_follows_the_settings(
    tmp_path: Path, aws_env: dict[str, str], bucket: str
) -> None:
    settings = Settings(home=tmp_path / "home")
    local = open_artifact_store(ReportServiceSettings(S3_REPORTS_BUCKET=None), settings)
    assert isinstance(local, LocalArtifactStore)
    assert local.root == settings.home_dir / "report_service" / "artifacts"

    service = ReportServiceSettings(S3_REPORTS_BUCKET=bucket, presign_seconds=60)
    s3 = open_artifact_store(service, settings)
    assert isinstance(s3, S3ArtifactStore)
    assert s3.bucket == bucket and s3.prefix == "reports" and s3.presign_seconds == 60
    source = tmp_path / "r.json"
    source.write_bytes(b"{}")
    assert "X-Amz-Expires=60" in str(
        s3.presigned_url(
            s3.put("j", "json", source, filename="a.json", content_type="application/json")
        )
    )
    artifact = s3.put("job-4", "json", source, filename="r.json", content_type="application/json")
    assert b"".join(s3.open(artifact)) == b"{}"
