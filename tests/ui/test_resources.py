"""The UI's warehouse client comes from the UI's own settings (``UI_*``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics_core.settings import Settings, SnowflakeSettings, UISettings
from analytics_core.warehouse import DuckDBClient, SnowflakeClient, WarehouseError
from ui.resources import open_ui_warehouse


def test_the_ui_reads_the_published_file_by_default(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    client = open_ui_warehouse(UISettings(), settings, SnowflakeSettings(account=None))
    try:
        assert isinstance(client, DuckDBClient)
        assert client.path == settings.warehouse_path
        with pytest.raises(WarehouseError, match="no published warehouse") as info:
            client.query("select 1", {})
        assert info.value.retryable is True
    finally:
        client.close()


def test_the_ui_on_snowflake_uses_its_own_schema_timeout_and_tag(tmp_path: Path) -> None:
    ui = UISettings(
        warehouse="snowflake",
        reporting_schema="dev_alice_reporting",
        statement_timeout_seconds=15,
        query_tag="ui:test",
    )
    client = open_ui_warehouse(ui, Settings(home=tmp_path), SnowflakeSettings(account=None))
    try:
        assert isinstance(client, SnowflakeClient)
        assert client.schema == "dev_alice_reporting"
        assert client.pool.session_parameters == {
            "QUERY_TAG": "ui:test",
            "STATEMENT_TIMEOUT_IN_SECONDS": 15,
        }
        # Without an account the first query says so, and trying again will not help.
        with pytest.raises(WarehouseError, match="Snowflake is not configured") as info:
            client.query("select 1", {})
        assert info.value.retryable is False
    finally:
        client.close()
