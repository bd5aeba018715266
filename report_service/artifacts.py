"""Where rendered report files go: the local store under ``ANALYTICS_HOME`` or S3.

Every file is keyed ``<job_id>/<filename>`` (under ``S3_REPORTS_BUCKET`` and
``REPORT_SERVICE_S3_PREFIX`` in S3; under
``$ANALYTICS_HOME/report_service/artifacts`` locally). Job ids and file names
may hold only ``A-Z a-z 0-9 . _ -`` and never ``..``; anything else is a
``ValueError`` before a byte is written. ``put`` returns the
:class:`~report_service.models.Artifact` (key, size, SHA-256, content type)
that the job store keeps; ``open`` streams it back in 64 KiB chunks and
raises :class:`~report_service.models.NotFoundError` at once (not on the
first chunk) when the file is gone; ``presigned_url`` is a time-limited
download link from S3 (``None`` locally: the API streams the file itself).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from report_service.models import Artifact, NotFoundError

if TYPE_CHECKING:
    from analytics_core.settings import ReportServiceSettings, Settings

#: Content type of each format's file.
CONTENT_TYPES: Final[dict[str, str]] = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
#: Files are read and streamed in chunks of this many bytes.
CHUNK_SIZE: Final = 64 * 1024
#: The longest job id or file name accepted.
MAX_NAME_LENGTH: Final = 200

_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]+")


def safe_name(value: str, what: str) -> str:
    """``value`` if it is a safe path segment, else ``ValueError``."""
    if (
        not isinstance(value, str)
        or len(value) > MAX_NAME_LENGTH
        or not _SAFE_NAME.fullmatch(value)
        or ".." in value
        or value == "."
    ):
        raise ValueError(
            f"{what} {value!r:.80} is not allowed: use 1-{MAX_NAME_LENGTH} characters "
            "of A-Z a-z 0-9 . _ - and no '..'"
        )
    return value


def _copy_hashing(source: IO[bytes], target: IO[bytes] | None) -> tuple[str, int]:
    """Copy ``source`` to ``target`` (if any); its SHA-256 (hex) and size."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest(), size


class ArtifactStore(ABC):
    """Stores a job's rendered files."""

    @abstractmethod
    def put(
        self, job_id: str, fmt: str, source: Path, *, filename: str, content_type: str
    ) -> Artifact:
        """Store ``source`` as ``<job_id>/<filename>``; its :class:`Artifact`.

        Storing the same key again replaces the file (a retried job)."""

    @abstractmethod
    def open(self, artifact: Artifact) -> Iterator[bytes]:
        """The file's bytes in chunks of 64 KiB; :class:`NotFoundError` (raised
        by this call, before iterating) when it is missing."""

    @abstractmethod
    def presigned_url(self, artifact: Artifact) -> str | None:
        """A time-limited download URL, or ``None`` when the store has none."""


class LocalArtifactStore(ArtifactStore):
    """Files under ``root``: written to a temporary file beside the target and
    renamed over it, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root) or path == root:
            raise ValueError(f"artifact key {key!r:.80} points outside the artifact store")
        return path

    def put(
        self, job_id: str, fmt: str, source: Path, *, filename: str, content_type: str
    ) -> Artifact:
        key = f"{safe_name(job_id, 'job id')}/{safe_name(filename, 'file name')}"
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{filename}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as tmp, Path(source).open("rb") as src:
                sha256, size = _copy_hashing(src, tmp)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.chmod(tmp_name, 0o644)  # mkstemp makes it 0600
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return Artifact(format=fmt, key=key, bytes=size, sha256=sha256, content_type=content_type)

    def open(self, artifact: Artifact) -> Iterator[bytes]:
        path = self._path(artifact.key)
        try:
            handle = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFoundError(f"the {artifact.format} file of this job is gone") from None
        return _read_chunks(handle)

    def presigned_url(self, artifact: Artifact) -> str | None:
        return None


def _read_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk


class S3ArtifactStore(ArtifactStore):
    """Objects ``s3://<bucket>/<prefix>/<job_id>/<filename>``.

    Uploads carry an S3 SHA-256 checksum and ``x-amz-meta-sha256`` (hex);
    downloads go through presigned GET URLs valid ``presign_seconds``, which
    name the file (``Content-Disposition: attachment``)."""

    def __init__(
        self, bucket: str, prefix: str = "", client: Any = None, *, presign_seconds: int = 300
    ) -> None:
        if not bucket:
            raise ValueError("an S3 artifact store needs a bucket")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            import boto3  # type: ignore[import-untyped]
            from botocore.config import Config  # type: ignore[import-untyped]

            client = boto3.client("s3", config=Config(signature_version="s3v4"))
        self.client = client
        self.presign_seconds = presign_seconds

    def key_for(self, job_id: str, filename: str) -> str:
        parts = [self.prefix, safe_name(job_id, "job id"), safe_name(filename, "file name")]
        return "/".join(p for p in parts if p)

    def put(
        self, job_id: str, fmt: str, source: Path, *, filename: str, content_type: str
    ) -> Artifact:
        key = self.key_for(job_id, filename)
        with Path(source).open("rb") as src:
            sha256, size = _copy_hashing(src, None)
        self.client.upload_file(
            str(source),
            self.bucket,
            key,
            ExtraArgs={
                "ContentType": content_type,
                "ChecksumAlgorithm": "SHA256",
                "Metadata": {"sha256": sha256},
            },
        )
        return Artifact(format=fmt, key=key, bytes=size, sha256=sha256, content_type=content_type)

    def open(self, artifact: Artifact) -> Iterator[bytes]:
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=artifact.key)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                raise NotFoundError(f"the {artifact.format} file of this job is gone") from None
            raise
        return _body_chunks(response["Body"])

    def presigned_url(self, artifact: Artifact) -> str | None:
        filename = artifact.key.rsplit("/", 1)[-1]
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": artifact.key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
                "ResponseContentType": artifact.content_type,
            },
            ExpiresIn=self.presign_seconds,
        )
        return url


def _body_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk_size=CHUNK_SIZE)
    finally:
        body.close()


def open_artifact_store(service: ReportServiceSettings, settings: Settings) -> ArtifactStore:
    """S3 when ``S3_REPORTS_BUCKET`` is set, else files under ``ANALYTICS_HOME``."""
    if service.s3_bucket:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            region_name=service.aws_region,
            endpoint_url=service.aws_endpoint_url,
            # SigV4 presigned URLs (botocore still defaults to SigV2 for some regions).
            config=Config(signature_version="s3v4"),
        )
        return S3ArtifactStore(
            service.s3_bucket,
            service.s3_prefix,
            client,
            presign_seconds=service.presign_seconds,
        )
    return LocalArtifactStore(settings.home_dir / "report_service" / "artifacts")
