"""The Snowflake connection factory, against fakesnow."""

from __future__ import annotations

import os

import pytest

from analytics_core.errors import ConfigurationError
from analytics_core.settings import SnowflakeSettings
from analytics_core.snowflake import connect, connection_parameters


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({}, "SNOWFLAKE_ACCOUNT"),
        ({"account": "a"}, "SNOWFLAKE_USER"),
        ({"account": "a", "user": "u"}, "SNOWFLAKE_PASSWORD, SNOWFLAKE_PRIVATE_KEY or"),
        ({"account": "a", "user": "u", "private_key_path": "/nope.p8"}, "/nope.p8"),
        ({"account": "a", "user": "u", "password": "p", "port": 1}, "SNOWFLAKE_HOST"),
    ],
)
def test_missing_settings_name_the_variable(values, variable, monkeypatch) -> None:
    for name in list(os.environ):
        if name.startswith("SNOWFLAKE_"):
            monkeypatch.delenv(name)
    settings = SnowflakeSettings(**values)
    with pytest.raises(ConfigurationError) as info:
        connection_parameters(settings)
    assert variable in str(info.value)
    assert "'p'" not in str(info.value)


def test_key_pair_wins_over_password(tmp_path) -> None:
    key = tmp_path / "key.p8"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    secret = "not-a-real-password"
    settings = SnowflakeSettings(account="a", user="u", password=secret, private_key_path=str(key))
    params = connection_parameters(settings)
    assert params["private_key_file"] == str(key)
    assert "password" not in params
    assert secret not in repr(settings)


def test_connects_to_the_emulator(fakesnow_env, monkeypatch) -> None:
    for name, value in fakesnow_env.items():
        monkeypatch.setenv(name, value)
    connection = connect(SnowflakeSettings())
    try:
        cursor = connection.cursor()
        assert cursor.execute("select 1 + 1").fetchone() == (2,)
    finally:
        connection.close()


def _pem_key(passphrase: bytes | None = None) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


def test_a_key_given_as_text_reaches_the_connector_as_der() -> None:
    from cryptography.hazmat.primitives import serialization

    pem = _pem_key(b"open sesame")
    settings = SnowflakeSettings(
        account="a", user="u", private_key=pem, private_key_passphrase="open sesame"
    )
    params = connection_parameters(settings)
    der = params["private_key"]
    assert isinstance(der, bytes) and der[:1] == b"\x30"  # a DER SEQUENCE
    assert serialization.load_der_private_key(der, password=None).key_size == 2048
    assert "password" not in params and "private_key_file" not in params
    assert pem not in repr(settings)
    # A secret store that kept the key on one line with literal "\n"
    one_line = SnowflakeSettings(
        account="a",
        user="u",
        private_key=pem.replace("\n", "\\n"),
        private_key_passphrase="open sesame",
    )
    assert connection_parameters(one_line)["private_key"] == der


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"},
            "not a PEM",
        ),
        ({"private_key": "hunter2' or 1=1"}, "not a PEM"),
        ({"private_key": "x" * 100_000}, "not a PEM"),
        ({"private_key": "PEM", "private_key_path": "/k.p8"}, "not both"),
    ],
    ids=["truncated", "hostile", "oversized", "both"],
)
def test_a_bad_key_text_is_a_clear_error_that_does_not_quote_it(values, message) -> None:
    settings = SnowflakeSettings(account="a", user="u", **values)
    with pytest.raises(ConfigurationError, match=message) as info:
        connection_parameters(settings)
    assert values["private_key"][:20] not in str(info.value)


def test_an_encrypted_key_without_its_passphrase_says_so() -> None:
    settings = SnowflakeSettings(account="a", user="u", private_key=_pem_key(b"pw"))
    with pytest.raises(ConfigurationError, match="passphrase"):
        connection_parameters(settings)
