"""Connections to Snowflake (or the local fakesnow emulator) from settings.

Settings come from :class:`analytics_core.settings.SnowflakeSettings`
(``SNOWFLAKE_*`` environment variables). Secrets are passed straight to the
connector and never appear in messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics_core.errors import AnalyticsError, ConfigurationError, first_line
from analytics_core.settings import SnowflakeSettings

if TYPE_CHECKING:
    from snowflake.connector import SnowflakeConnection


class SnowflakeConnectionError(AnalyticsError):
    """Snowflake refused or could not be reached."""


def _der_private_key(pem: str, passphrase: str | None) -> bytes:
    """The PEM private key of SNOWFLAKE_PRIVATE_KEY as the DER bytes the
    connector takes. The message of a bad key never quotes it."""
    from cryptography.hazmat.primitives import serialization

    text = pem.strip().replace("\\n", "\n")  # a secret pasted on one line
    try:
        key = serialization.load_pem_private_key(
            text.encode("utf-8"), password=passphrase.encode("utf-8") if passphrase else None
        )
    except (ValueError, TypeError) as exc:
        reason = (
            "a passphrase is needed or wrong"
            if "password" in str(exc).lower()
            else ("it is not a PEM private key")
        )
        raise ConfigurationError(f"SNOWFLAKE_PRIVATE_KEY cannot be read: {reason}") from None
    return key.private_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def connection_parameters(settings: SnowflakeSettings) -> dict[str, Any]:
    """The keyword arguments for ``snowflake.connector.connect``.

    Raises :class:`ConfigurationError` naming the first missing variable.
    """
    if not settings.account:
        raise ConfigurationError("SNOWFLAKE_ACCOUNT is not set")
    if not settings.user:
        raise ConfigurationError("SNOWFLAKE_USER is not set")
    params: dict[str, Any] = {
        "account": settings.account,
        "user": settings.user,
        "database": settings.database,
        "warehouse": settings.warehouse,
        "application": "analytics_platform",
        "login_timeout": 60,
    }
    if settings.role:
        params["role"] = settings.role
    if settings.private_key and settings.private_key_path:
        raise ConfigurationError(
            "set SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH, not both"
        )
    if settings.private_key:
        params["private_key"] = _der_private_key(
            settings.private_key, settings.private_key_passphrase
        )
    elif settings.private_key_path:
        key_path = Path(settings.private_key_path).expanduser()
        if not key_path.is_file():
            raise ConfigurationError(
                f"SNOWFLAKE_PRIVATE_KEY_PATH points to {key_path}, which is not a file"
            )
        params["private_key_file"] = str(key_path)
        if settings.private_key_passphrase:
            params["private_key_file_pwd"] = settings.private_key_passphrase
    elif settings.password:
        params["password"] = settings.password
    else:
        raise ConfigurationError(
            "set SNOWFLAKE_PASSWORD, SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH"
        )
    if settings.host:
        params["host"] = settings.host
        params["protocol"] = settings.protocol
        if settings.port is not None:
            params["port"] = settings.port
    elif settings.port is not None:
        raise ConfigurationError("SNOWFLAKE_PORT is set but SNOWFLAKE_HOST is not")
    return params


def connect(settings: SnowflakeSettings) -> SnowflakeConnection:
    """Open a Snowflake connection using the database and warehouse from settings."""
    import snowflake.connector  # slow import: only when a connection is wanted

    params = connection_parameters(settings)
    try:
        return snowflake.connector.connect(**params)
    except snowflake.connector.errors.Error as exc:
        raise SnowflakeConnectionError(
            f"cannot connect to Snowflake account {settings.account!r} as "
            f"{settings.user!r}: {first_line(exc)}"
        ) from exc
