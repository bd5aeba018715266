"""The secrets a delivery names: chat and webhook URLs, webhook signing keys.

The schedule file names a secret (``secret: slack_leadership``); its value
never lives in the repository. It is read from the environment,
``DELIVERY_SECRET_<NAME>`` (the name upper-cased, every character other than
a letter or digit made ``_``), or from AWS Secrets Manager,
``<DELIVERY_SECRETS_PREFIX><name>``. The value is the URL itself, or a JSON
object ``{"url": ..., "signing_secret": "whsec_..."}`` (a webhook's signing
key, per the Standard Webhooks specification).

Values are never logged or put in an error: an error names the secret and
what is wrong with it, never what it holds.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from analytics_core.settings import DeliverySettings
from report_service.delivery.errors import PermanentSendError, RetryableSendError

#: Values read from Secrets Manager are kept this long (a rotation shows soon).
CACHE_SECONDS = 300.0
MAX_URL_CHARS = 2048


@dataclass(frozen=True, repr=False)
class Target:
    """Where a chat message or webhook goes (repr hides the values)."""

    url: str
    signing_secret: bytes | None = None

    def __repr__(self) -> str:
        return "Target(<hidden>)"


def env_name(secret: str) -> str:
    return "DELIVERY_SECRET_" + re.sub(r"[^A-Z0-9]", "_", secret.upper())


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(name: str, url: Any) -> str:
    """A URL a message may be posted to: https, or http to this machine only."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS:
        raise PermanentSendError(f"secret {name} does not hold a URL")
    if re.search(r"[\x00-\x20\x7f]", url):
        raise PermanentSendError(f"secret {name}: its URL has spaces or control characters")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.username or parts.password:
        raise PermanentSendError(f"secret {name}: its URL must not carry a user or password")
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and _loopback(host):
        return url  # a relay or test receiver on this machine
    raise PermanentSendError(
        f"secret {name}: its URL must be https:// (plain http only to this machine)"
    )


def signing_key(name: str, value: Any) -> bytes:
    """The key of a ``whsec_<base64>`` signing secret."""
    if not isinstance(value, str) or not value.startswith("whsec_"):
        raise PermanentSendError(
            f"secret {name}: signing_secret must be whsec_ followed by base64 (Standard Webhooks)"
        )
    try:
        key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise PermanentSendError(f"secret {name}: signing_secret is not valid base64") from None
    if not 24 <= len(key) <= 64:
        raise PermanentSendError(
            f"secret {name}: signing_secret must hold 24 to 64 bytes of key, not {len(key)}"
        )
    return key


def parse_target(name: str, value: str, channel: str) -> Target:
    text = value.strip()
    signing: bytes | None = None
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise PermanentSendError(f"secret {name} is neither a URL nor valid JSON") from None
        if not isinstance(data, dict):
            raise PermanentSendError(f"secret {name}: expected a JSON object with url")
        url = check_url(name, data.get("url"))
        if data.get("signing_secret") is not None:
            signing = signing_key(name, data.get("signing_secret"))
    else:
        url = check_url(name, text)
    if channel == "webhook" and signing is None:
        raise PermanentSendError(
            f'secret {name}: a webhook needs {{"url": ..., "signing_secret": "whsec_..."}} '
            "(every webhook is signed)"
        )
    return Target(url=url, signing_secret=signing)


class SecretResolver:
    """Reads named secrets from the environment or Secrets Manager."""

    def __init__(
        self,
        settings: DeliverySettings,
        environ: Mapping[str, str] | None = None,
        client: Any = None,
        region: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        self.settings = settings
        self.environ = environ if environ is not None else os.environ
        self._client = client
        self._region = region
        self._endpoint = endpoint_url
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def target(self, name: str, channel: str) -> Target:
        return parse_target(name, self.value(name), channel)

    def value(self, name: str) -> str:
        if self.settings.secrets_source == "env":
            value = self.environ.get(env_name(name))
            if not value:
                raise PermanentSendError(
                    f"secret {name} is not set: set {env_name(name)} in the report "
                    "service's environment"
                )
            return value
        with self._lock:
            cached = self._cache.get(name)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        value = self._from_secrets_manager(name)
        with self._lock:
            self._cache[name] = (time.monotonic(), value)
        return value

    def _from_secrets_manager(self, name: str) -> str:
        secret_id = self.settings.secrets_prefix + name
        if self._client is None:
            import boto3  # type: ignore[import-untyped]

            self._client = boto3.client(
                "secretsmanager", region_name=self._region, endpoint_url=self._endpoint
            )
        try:
            answer = self._client.get_secret_value(SecretId=secret_id)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in ("ResourceNotFoundException", "AccessDeniedException"):
                raise PermanentSendError(
                    f"secret {secret_id} cannot be read from Secrets Manager ({code})"
                ) from None
            raise RetryableSendError(
                f"Secrets Manager did not answer for {secret_id} ({type(exc).__name__} {code})"
            ) from None
        value = answer.get("SecretString")
        if not value:
            raise PermanentSendError(f"secret {secret_id} holds no text")
        return str(value)
