"""Production dbt artifacts and the docs site, moved by the pipelines.

- ``analytics ci fetch-state --from URL --to DIR``: production's
  ``manifest.json`` for slim CI (``--state DIR``), before a change is built;
- ``analytics ci publish --from DIR --to URL``: after a build on main, its
  artifacts (the next run's state) or the docs site (``index.html``,
  ``manifest.json``, ``catalog.json``, ...).

``URL`` is ``s3://bucket/prefix`` (the private bucket of the infrastructure;
credentials from the environment, as everywhere) or a local folder. An upload
writes every file, then ``_published.json`` last, listing them with their
SHA-256: a reader that finds the marker finds a complete set.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from analytics_core.errors import AnalyticsError, first_line

MARKER = "_published.json"
#: What a docs site is made of (``dbt docs generate``).
DOCS_FILES = ("index.html", "manifest.json", "catalog.json", "run_results.json", "sources.json")
#: What slim CI needs of production.
STATE_FILES = ("manifest.json",)
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json"}


class ArtifactsError(AnalyticsError):
    """Artifacts could not be published or fetched; the message says which and why."""


def _split(url: str) -> tuple[str, str, str]:
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ArtifactsError(f"{url!r} has no bucket (s3://bucket/prefix)")
        return "s3", parsed.netloc, parsed.path.strip("/")
    if parsed.scheme in ("", "file"):
        return "file", "", parsed.path if parsed.scheme == "file" else url
    raise ArtifactsError(f"{url!r}: use s3://bucket/prefix or a local folder")


def _key(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def publish(
    source: Path, url: str, names: Sequence[str], *, required: Sequence[str]
) -> dict[str, Any]:
    """Upload ``names`` that exist in ``source`` (``required`` must), marker last."""
    missing = [n for n in required if not (source / n).is_file()]
    if missing:
        raise ArtifactsError(f"{source} has no {', '.join(missing)}; build first")
    files = [n for n in names if (source / n).is_file()]
    marker = {
        "published_at": datetime.now(UTC).isoformat(),
        "files": {n: hashlib.sha256((source / n).read_bytes()).hexdigest() for n in files},
    }
    kind, bucket, prefix = _split(url)
    if kind == "file":
        target = Path(prefix)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copy2(source / name, target / f".{name}.tmp")
            (target / f".{name}.tmp").replace(target / name)
        (target / MARKER).write_text(json.dumps(marker, indent=2))
        return marker
    client = _s3()
    try:
        for name in files:
            client.upload_file(
                str(source / name),
                bucket,
                _key(prefix, name),
                ExtraArgs={
                    "ContentType": CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream"),
                    "ServerSideEncryption": "AES256",
                },
            )
        client.put_object(
            Bucket=bucket,
            Key=_key(prefix, MARKER),
            Body=json.dumps(marker, indent=2).encode(),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )
    except Exception as exc:  # botocore's errors: one line, no credentials in it
        raise ArtifactsError(f"cannot publish to {url}: {_reason(exc)}") from None
    return marker


def fetch(url: str, target: Path, names: Sequence[str] = STATE_FILES) -> list[str]:
    """Download ``names`` of the last complete publication into ``target``; each
    file is checked against the marker's SHA-256."""
    kind, bucket, prefix = _split(url)
    target.mkdir(parents=True, exist_ok=True)
    try:
        if kind == "file":
            marker = json.loads((Path(prefix) / MARKER).read_text())
        else:
            client = _s3()
            body = client.get_object(Bucket=bucket, Key=_key(prefix, MARKER))["Body"].read()
            marker = json.loads(body)
    except FileNotFoundError:
        raise ArtifactsError(f"nothing published at {url} yet") from None
    except Exception as exc:
        if "NoSuchKey" in type(exc).__name__ or "NoSuchKey" in str(exc):
            raise ArtifactsError(f"nothing published at {url} yet") from None
        raise ArtifactsError(f"cannot read {url}: {_reason(exc)}") from None
    fetched = []
    for name in names:
        expected = marker.get("files", {}).get(name)
        if expected is None:
            raise ArtifactsError(f"{url} has no {name}")
        partial = target / f".{name}.part"
        try:
            if kind == "file":
                shutil.copy2(Path(prefix) / name, partial)
            else:
                client.download_file(bucket, _key(prefix, name), str(partial))
        except Exception as exc:
            raise ArtifactsError(f"cannot fetch {name} from {url}: {_reason(exc)}") from None
        if hashlib.sha256(partial.read_bytes()).hexdigest() != expected:
            partial.unlink()
            raise ArtifactsError(f"{name} at {url} does not match its checksum")
        partial.replace(target / name)
        fetched.append(name)
    return fetched


def _s3() -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.client("s3")


def _reason(exc: Exception) -> str:
    return first_line(exc, limit=300)
