"""The same dbt project builds with the real dbt-snowflake adapter.

A fakesnow server stands in for Snowflake (see README: what the emulator
cannot run and how that is covered instead). The generator loads raw data
into it; ``analytics build --target emulator --full-refresh`` builds the
whole project, once for this module (``emulator_build``): the run history
must record that build and its source freshness, and the reporting views
must then hold exactly what the DuckDB build of the same raw data holds.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlglot

from analytics_core.settings import Settings
from tests.conftest import VENV_BIN, analytics_env, emulator_connection, emulator_env, run_cli
from tests.monitoring.test_run_results import LOGS, rows
from tests.warehouses import BASE, WarehouseTemplates, start_from_parse_of

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.minutes(3)]

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


DATABASE = "emulator_ci"
PREFIX = "ci_run"


@dataclass(frozen=True)
class EmulatorBuild:
    home: Path
    env: dict[str, str]
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def emulator_build(
    fakesnow_server: tuple[str, int], tmp_path_factory: pytest.TempPathFactory
) -> EmulatorBuild:
    """``GENERATE`` into the emulator, then ``analytics build --target emulator
    --full-refresh`` of the whole project (source freshness first, hooks
    included): the one emulator build of the real project in the suite (about
    a minute and a half; the run-history test had a second, smaller one)."""
    env = {**emulator_env(fakesnow_server), "SNOWFLAKE_DATABASE": DATABASE}
    env["DBT_SCHEMA_PREFIX"] = PREFIX
    home = tmp_path_factory.mktemp("emulator") / "home"
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
    return EmulatorBuild(home, env, result)


def test_emulator_build_records_runs(emulator_build: EmulatorBuild) -> None:
    """The run history on Snowflake: the build and its source freshness, each
    node's result, the tests' results and the sources' freshness (first in
    the module: the later tests run dbt and questions on the same emulator)."""
    with emulator_connection(emulator_build.env, DATABASE) as con:
        raw = {t: rows(con, f"select * from {PREFIX}_monitoring_raw.{t}") for t in LOGS}
        invocations = rows(con, f"select * from {PREFIX}_monitoring.dbt_invocations")
        status = rows(con, f"select * from {PREFIX}_monitoring.dbt_node_status")
        tests = rows(con, f"select * from {PREFIX}_monitoring.dbt_test_results")
        freshness = rows(con, f"select * from {PREFIX}_monitoring.source_freshness_status")
    assert {row["command"] for row in invocations} == {"freshness", "build"}
    build = next(row for row in invocations if row["command"] == "build")
    assert build["status"] == "success"
    assert build["target_name"] == "emulator"
    assert build["nodes_total"] == len(
        [r for r in raw["dbt_node_results_log"] if r["invocation_id"] == build["invocation_id"]]
    )
    assert len(freshness) == 5 == len(raw["dbt_source_freshness_log"])
    assert tests and all(row["status"] == "pass" for row in tests)
    # The nodes that build or test data (the whole project: seeds and
    # snapshots too), not the sources, exposures and saved queries it ran.
    ran = {r["resource_type"] for r in raw["dbt_node_results_log"]}
    assert ran >= {"source", "exposure", "saved_query"}
    assert {row["resource_type"] for row in status} == {"model", "test", "seed", "snapshot"}
    models = [r for r in raw["dbt_node_results_log"] if r["resource_type"] == "model"]
    # Snowflake reports rows affected (DuckDB does not)
    assert any(r["rows_affected"] is not None for r in models)


def test_emulator_full_refresh_build_matches_duckdb(
    emulator_build: EmulatorBuild, tmp_path: Path, warehouse_templates: WarehouseTemplates
) -> None:
    home, env, result = emulator_build.home, emulator_build.env, emulator_build.result
    # Late sources are a warning line, not an error (the generated data is old).
    assert not [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert "Traceback" not in result.stderr

    connection = emulator_connection(env, DATABASE)
    try:
        cursor = connection.cursor()
        cursor.execute(QUERY.format(schema=f"{PREFIX}_reporting"))
        on_emulator = normalise(cursor.fetchall())
        cursor.execute(f"select count(*) from {PREFIX}_monitoring.quarantined_rows")
        quarantined = cursor.fetchone()
    finally:
        connection.close()

    local_home = tmp_path / "local"
    run_cli(*GENERATE, home=local_home, check=True)
    start_from_parse_of(warehouse_templates.get(BASE), local_home)
    run_cli("build", home=local_home, check=True)
    with duckdb.connect(str(Settings(home=local_home).warehouse_path), read_only=True) as con:
        on_duckdb = normalise(con.execute(QUERY.format(schema="reporting")).fetchall())
        local_quarantined = con.execute(
            "select count(*) from monitoring.quarantined_rows"
        ).fetchone()

    assert on_emulator, "the emulator build published no revenue"
    assert on_emulator == on_duckdb
    assert quarantined == local_quarantined

    check_incremental_branches_compile_for_snowflake(home, env)

    # Questions: the local engine compiles Snowflake SQL for the emulator's
    # prefixed schemas and answers as it does on DuckDB.
    questions_env = {
        **env,
        "QUESTIONS_ENGINE": "local",
        "QUESTIONS_WAREHOUSE": "snowflake",
        "QUESTIONS_REPORTING_SCHEMA": f"{PREFIX}_reporting",
    }
    for question in ASKED:
        args = ("ask", question, "--as-of", "2026-02-15", "--json")
        snowflake_answer = json.loads(
            run_cli(*args, home=home, env=questions_env, check=True).stdout
        )
        duckdb_answer = json.loads(run_cli(*args, home=local_home, check=True).stdout)
        assert snowflake_answer["status"] == duckdb_answer["status"] == "answered", question
        assert f"{DATABASE}.{PREFIX}_processed_data" in snowflake_answer["sql"].lower()
        assert snowflake_answer["interpretation"] == duckdb_answer["interpretation"]
        assert [c.lower() for c in snowflake_answer["columns"]] == duckdb_answer["columns"]
        assert rounded(snowflake_answer["rows"]) == rounded(duckdb_answer["rows"]), question
        # The data's last day, read on each warehouse when the engine opened,
        # and the columns' labels and kinds (Snowflake's names are upper case).
        assert snowflake_answer["data_through"] == duckdb_answer["data_through"]
        assert duckdb_answer["data_through"] is not None
        assert [(c["label"], c["kind"], c["unit"]) for c in snowflake_answer["columns_meta"]] == [
            (c["label"], c["kind"], c["unit"]) for c in duckdb_answer["columns_meta"]
        ]


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


#: Incremental models whose incremental branch fakesnow never runs (it cannot
#: run an incremental model a second time), with a fragment only that branch
#: renders.
INCREMENTAL_BRANCHES = {
    "stg_shop__orders": "_sync_key",
    "stg_shop__order_items": "_sync_key",
    # the facts and the quarantine validate just the changed orders from
    # staging (macros/validation.sql), in a nested WITH
    "fct_orders": "_sync_key",
    "fct_order_items": "_sync_key",
    "quarantined_rows": "_sync_key",
    "rpt_daily_sales": "int_orders__changed_periods",
    "rpt_product_performance": "int_orders__changed_periods",
    "rpt_weekly_kpis": "int_orders__changed_periods",
    "rpt_monthly_region_targets": "int_orders__changed_periods",
    "rpt_customer_counts": "int_orders__changed_periods",
}


def check_incremental_branches_compile_for_snowflake(home: Path, env: dict[str, str]) -> None:
    """With the emulator's relations in place, ``dbt compile`` renders the
    incremental branch of each model (is_incremental() is true); each must
    parse with sqlglot's Snowflake dialect."""
    settings = Settings(home=home)
    target_path = home / "compile-incremental"
    proc = subprocess.run(
        [
            str(VENV_BIN / "dbt"),
            "compile",
            "--target",
            "emulator",
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(settings.dbt_profiles_dir),
            "--target-path",
            str(target_path),
            "--log-path",
            str(home / "compile-logs"),
            *(arg for model in INCREMENTAL_BRANCHES for arg in ("--select", model)),
        ],
        env=analytics_env(home, env),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for model, fragment in INCREMENTAL_BRANCHES.items():
        (compiled,) = target_path.glob(f"compiled/**/{model}.sql")
        sql = compiled.read_text()
        assert fragment in sql, f"{model}: the incremental branch was not compiled"
        parsed = sqlglot.parse_one(sql, read="snowflake")
        assert parsed.find(sqlglot.exp.Select) is not None, model
