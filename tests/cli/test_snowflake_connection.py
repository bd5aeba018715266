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
        ({"account": "a", "user": "u"}, "SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH"),
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
    connection = connect()
    try:
        cursor = connection.cursor()
        assert cursor.execute("select 1 + 1").fetchone() == (2,)
    finally:
        connection.close()
