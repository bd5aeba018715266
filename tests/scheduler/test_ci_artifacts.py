"""Production dbt artifacts and the docs site: published to S3 (a moto server)
or a folder, fetched back for slim CI, checked against their checksums."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from orchestration.ci_artifacts import (
    DOCS_FILES,
    MARKER,
    STATE_FILES,
    ArtifactsError,
    fetch,
    publish,
)
from tests.conftest import ANALYTICS, analytics_env
from tests.report_service.conftest import aws_env, moto_server  # noqa: F401 - fixtures


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "index.html").write_text("<html>docs</html>")
    (folder / "manifest.json").write_text(json.dumps({"nodes": {"model.x": {}}}))
    (folder / "catalog.json").write_text("{}")
    return folder


@pytest.fixture
def bucket(aws_env: dict[str, str]) -> str:  # noqa: F811 - the imported fixture
    import boto3

    name = f"artifacts-{uuid.uuid4().hex[:8]}"
    region = aws_env["AWS_REGION"]
    where = {} if region == "us-east-1" else {"LocationConstraint": region}
    boto3.client("s3").create_bucket(
        Bucket=name, **({"CreateBucketConfiguration": where} if where else {})
    )
    return name


def test_state_round_trip_through_s3(docs: Path, bucket: str, tmp_path: Path) -> None:
    url = f"s3://{bucket}/dbt/prod"
    marker = publish(docs, url, STATE_FILES, required=STATE_FILES)
    assert list(marker["files"]) == ["manifest.json"]
    fetched = fetch(url, tmp_path / "state")
    assert fetched == ["manifest.json"]
    assert (tmp_path / "state" / "manifest.json").read_bytes() == (
        docs / "manifest.json"
    ).read_bytes()


def test_docs_site_is_published_with_types_and_marker_last(docs: Path, bucket: str) -> None:
    import boto3

    publish(docs, f"s3://{bucket}/docs", DOCS_FILES, required=("index.html",))
    client = boto3.client("s3")
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["docs/_published.json", "docs/catalog.json", "docs/index.html",
                    "docs/manifest.json"]  # fmt: skip
    head = client.head_object(Bucket=bucket, Key="docs/index.html")
    assert head["ContentType"] == "text/html; charset=utf-8"
    assert head["ServerSideEncryption"] == "AES256"


def test_a_tampered_or_missing_publication_is_refused(docs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "published"
    with pytest.raises(ArtifactsError, match="nothing published"):
        fetch(str(folder), tmp_path / "state")
    publish(docs, str(folder), STATE_FILES, required=STATE_FILES)
    (folder / "manifest.json").write_text("{}")
    with pytest.raises(ArtifactsError, match="does not match its checksum"):
        fetch(str(folder), tmp_path / "state")
    assert not (tmp_path / "state" / "manifest.json").exists()
    marker = json.loads((folder / MARKER).read_text())
    assert set(marker) == {"published_at", "files"}


@pytest.mark.parametrize(
    ("url", "message"),
    [("s3:///no-bucket", "has no bucket"), ("ftp://host/x", "use s3://bucket/prefix")],
)
def test_bad_urls(docs: Path, url: str, message: str) -> None:
    with pytest.raises(ArtifactsError, match=message):
        publish(docs, url, STATE_FILES, required=STATE_FILES)


def test_nothing_to_publish_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactsError, match=r"has no manifest\.json; build first"):
        publish(tmp_path, str(tmp_path / "out"), STATE_FILES, required=STATE_FILES)


def test_the_commands(docs: Path, tmp_path: Path) -> None:
    env = analytics_env(tmp_path / "home")
    folder = tmp_path / "prod"
    done = subprocess.run(
        [str(ANALYTICS), "ci", "publish", "docs", "--from", str(docs), "--to", str(folder)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (folder / "index.html").is_file()
    done = subprocess.run(
        [str(ANALYTICS), "ci", "fetch-state", "--from", str(folder), "--to", str(tmp_path / "s")],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "s" / "manifest.json").is_file()
    done = subprocess.run(
        [str(ANALYTICS), "ci", "publish", "everything", "--to", str(folder)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "error: publish state or docs, not 'everything'"
