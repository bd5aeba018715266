"""The same dbt project builds with the real dbt-snowflake adapter.

A fakesnow server stands in for Snowflake (see README: what the emulator
cannot run and how that is covered instead). The generator loads raw data
into it; ``analytics build --target emulator --full-refresh`` builds the
whole project; the reporting views must then hold exactly what the DuckDB
build of the same raw data holds.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analytics_core.settings import Settings
from tests.conftest import emulator_connection, run_cli

pytestmark = pytest.mark.slow

GENERATE = ("generate", "--scale", "0.003", "--seed", "3", "--end-date", "2026-02-28")
QUERY = """
select month_start, region, revenue_usd, orders, units_sold
from {schema}.rpt_monthly_region_targets
where orders > 0
order by month_start, region
"""


def normalise(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [
        (
            str(month)[:10],
            region,
            Decimal(str(revenue)).quantize(Decimal("0.01")),
            int(orders),
            int(units),
        )
        for month, region, revenue, orders, units in rows
    ]


def test_emulator_full_refresh_build_matches_duckdb(
    tmp_path: Path, fakesnow_env: dict[str, str]
) -> None:
    env = {**fakesnow_env, "SNOWFLAKE_DATABASE": "emulator_ci", "DBT_SCHEMA_PREFIX": "ci_run"}
    home = tmp_path / "home"
    run_cli(*GENERATE, "--target", "snowflake", home=home, env=env, check=True)
    result = run_cli(
        "build",
        "--target",
        "emulator",
        "--full-refresh",
        home=home,
        env=env,
        check=True,
        timeout=1500,
    )
    # Late sources are a warning line, not an error (the generated data is old).
    assert not [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert "Traceback" not in result.stderr

    connection = emulator_connection(env, "emulator_ci")
    try:
        cursor = connection.cursor()
        cursor.execute(QUERY.format(schema="ci_run_reporting"))
        on_emulator = normalise(cursor.fetchall())
        cursor.execute("select count(*) from ci_run_monitoring.quarantined_rows")
        quarantined = cursor.fetchone()
    finally:
        connection.close()

    local_home = tmp_path / "local"
    run_cli(*GENERATE, home=local_home, check=True)
    run_cli("build", home=local_home, check=True)
    with duckdb.connect(str(Settings(home=local_home).warehouse_path), read_only=True) as con:
        on_duckdb = normalise(con.execute(QUERY.format(schema="reporting")).fetchall())
        local_quarantined = con.execute(
            "select count(*) from monitoring.quarantined_rows"
        ).fetchone()

    assert on_emulator, "the emulator build published no revenue"
    assert on_emulator == on_duckdb
    assert quarantined == local_quarantined

    # Questions: the local engine compiles Snowflake SQL for the emulator's
    # prefixed schemas and answers as it does on DuckDB.
    questions_env = {
        **env,
        "QUESTIONS_ENGINE": "local",
        "QUESTIONS_WAREHOUSE": "snowflake",
        "QUESTIONS_REPORTING_SCHEMA": "ci_run_reporting",
    }
    for question in ASKED:
        args = ("ask", question, "--as-of", "2026-02-15", "--json")
        snowflake_answer = json.loads(
            run_cli(*args, home=home, env=questions_env, check=True).stdout
        )
        duckdb_answer = json.loads(run_cli(*args, home=local_home, check=True).stdout)
        assert snowflake_answer["status"] == duckdb_answer["status"] == "answered", question
        assert "emulator_ci.ci_run_processed_data" in snowflake_answer["sql"].lower()
        assert snowflake_answer["interpretation"] == duckdb_answer["interpretation"]
        assert [c.lower() for c in snowflake_answer["columns"]] == duckdb_answer["columns"]
        assert rounded(snowflake_answer["rows"]) == rounded(duckdb_answer["rows"]), question


ASKED = (
    "revenue and orders by region in January 2026",
    "average order value by channel last month",
    "top 3 categories by units sold this year",
)


def rounded(rows: list[list[object]]) -> list[tuple[object, ...]]:
    return sorted(
        tuple(round(float(v), 4) if isinstance(v, int | float) else str(v)[:10] for v in row)
        for row in rows
    )
