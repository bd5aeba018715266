"""dbt's run results and source freshness, recorded in the warehouse.

The on-run-start hook creates ``monitoring_raw.dbt_*_log``; the on-run-end
hook ``record_run_results(results)`` appends one invocation's rows; the views
in ``monitoring`` (``dbt_invocations``, ``dbt_node_executions``,
``dbt_test_results``, ``dbt_node_status``, ``source_freshness_*``) read them.

Everything here runs the real dbt CLI:

- the real project on a copy of a built DuckDB warehouse, with raw data
  corrupted so a staging test fails, and ``dbt source freshness`` compared
  with the ``sources.json`` of the same run;
- a throw-away project (its macro path links to the project's macros) with
  hundreds of nodes, a model whose error text is hostile SQL, and the
  on-run-end hook listed twice (a retried upload), on DuckDB and on the
  Snowflake adapter against the fakesnow emulator;
- ``analytics build --target emulator`` of the real project: its run
  history is checked on the suite's one emulator build of the project
  (``tests/warehouse/test_emulator.py``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics_core.settings import PROJECT_ROOT, Settings
from orchestration.build import local_invocation
from tests.conftest import emulator_connection
from tests.warehouses import PARSE_FILE

pytestmark = [pytest.mark.slow, pytest.mark.minutes(3)]

DBT = Path(sys.executable).parent / "dbt"
MACROS = PROJECT_ROOT / "dbt_project" / "macros"
LOGS = ("dbt_invocations_log", "dbt_node_results_log", "dbt_source_freshness_log")
MAX_TEXT = 2000
#: Text a node message can carry: quotes, backslashes (Snowflake escapes),
#: dollar quoting, statement terminators, comments, newlines, unicode.
HOSTILE = "it's \\ a \\' back\\\\slash $$ dollar $$; drop table x; -- \n newline\r\t ünïcödé ✓ 🚀 "
SECONDS_PER_PERIOD = {"minute": 60, "hour": 3600, "day": 86400}


# ------------------------------------------------------------------ helpers


def dbt_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANALYTICS_", "SNOWFLAKE_", "DBT_", "GITHUB_"))
    }
    env.update({"NO_COLOR": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    env.update(extra or {})
    return env


def run_dbt(
    *args: str,
    project_dir: Path,
    profiles_dir: Path,
    work: Path,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``dbt ARGS`` with its target and log folders under ``work``."""
    return subprocess.run(
        [
            str(DBT),
            *args,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(profiles_dir),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        cwd=work,
        env=dbt_env(env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def artifact(work: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((work / "target" / name).read_text())
    return data


def rows(con: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows as dicts with lower-case keys (Snowflake answers in upper case)."""
    cursor = con.cursor()
    if params:
        cursor.execute(sql, params)
    else:
        cursor.execute(sql)
    names = [d[0].lower() for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def utc(text: str | None) -> datetime | None:
    """An artifact timestamp as a naive UTC datetime (how the logs store them)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def naive(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=None)


def stored_text(text: str | None) -> str | None:
    return None if text is None else text.replace("\x00", "")[:MAX_TEXT]


def assert_logged_results_match(logged: list[dict[str, Any]], results: dict[str, Any]) -> None:
    """Every result of run_results.json is logged once, with its facts."""
    by_id = {row["unique_id"]: row for row in logged}
    assert len(by_id) == len(logged), "a node result was logged twice"
    expected = [r for r in results["results"] if not r["unique_id"].startswith("operation.")]
    assert set(by_id) == {r["unique_id"] for r in expected}
    for result in expected:
        row = by_id[result["unique_id"]]
        assert row["status"] == result["status"], result["unique_id"]
        assert row["failures"] == result["failures"], result["unique_id"]
        assert row["message"] == stored_text(result["message"]), result["unique_id"]
        assert math.isclose(row["execution_seconds"], result["execution_time"], abs_tol=1e-5)
        execute = [t for t in result["timing"] if t["name"] == "execute"]
        if execute:
            assert naive(row["started_at"]) == utc(execute[0]["started_at"])
            assert naive(row["completed_at"]) == utc(execute[0]["completed_at"])


# ------------------------------------------------- the real project, DuckDB


FULL_PARSE = "Starting full parse"


def small_warehouse_work(small_warehouse: Settings, work: Path) -> dict[str, str]:
    """A copy of the built small warehouse in ``work`` that dbt (in ``work``,
    see :func:`run_dbt`) opens where ``analytics build`` opens a build copy,
    at the same path relative to where it runs (``local_invocation``); with
    the small warehouse's own parse of the project in ``work``'s target
    folder. dbt keeps a parse while the connection settings (that path
    among them) are the same, so it reads only what changed instead of
    parsing the whole project (about 10 s each time). Returns the
    environment that points dbt at the copy."""
    home = Settings(home=work)
    invocation = local_invocation(home, home.build_warehouse_path)
    path = invocation.env["ANALYTICS_DUCKDB_PATH"]
    (work / path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(small_warehouse.warehouse_path, work / path)
    (work / "target").mkdir()
    shutil.copy2(small_warehouse.dbt_target_path / PARSE_FILE, work / "target" / PARSE_FILE)
    return {"ANALYTICS_DUCKDB_PATH": path}


def assert_parse_kept(work: Path) -> None:
    log = (work / "logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")
    assert FULL_PARSE not in log, "dbt parsed the whole project again (see small_warehouse_work)"


@pytest.fixture(scope="module")
def failed_work(small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The failed build's work folder; its warehouse is :func:`warehouse_copy`."""
    work = tmp_path_factory.mktemp("failed-build")
    small_warehouse_work(small_warehouse, work)
    return work


@pytest.fixture(scope="module")
def warehouse_copy(failed_work: Path) -> Path:
    """The failed build's private copy of the built small warehouse (named
    warehouse.duckdb, like every build copy, so dbt's catalog name is the
    published one's)."""
    path = Settings(home=failed_work).build_warehouse_path
    assert path.name == "warehouse.duckdb" and path.is_file()
    return path


@pytest.fixture(scope="module")
def failed_build(
    small_warehouse: Settings, failed_work: Path, warehouse_copy: Path
) -> dict[str, Any]:
    """``dbt build --full-refresh`` of the real project after a customer with
    an unknown segment arrived in raw data: the staging accepted_values test
    of segment fails with 1 row."""
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(
            "insert into raw_data.shop_customers by name "
            "select * replace (999999001 as customer_id, 'pirate' as segment) "
            "from raw_data.shop_customers limit 1"
        )
    proc = run_dbt(
        "build",
        "--full-refresh",
        "--target",
        "local",
        project_dir=PROJECT_ROOT,
        profiles_dir=small_warehouse.dbt_dir / "profiles",
        work=failed_work,
        env={
            "ANALYTICS_DUCKDB_PATH": str(warehouse_copy.relative_to(failed_work)),
            "ANALYTICS_GIT_COMMIT": "c0ffee" * 6,
        },
    )
    assert_parse_kept(failed_work)
    return {"proc": proc, "work": failed_work, "results": artifact(failed_work, "run_results.json")}


def test_failing_build_is_recorded_with_its_failing_test(
    failed_build: dict[str, Any], warehouse_copy: Path
) -> None:
    proc = failed_build["proc"]
    assert proc.returncode == 1, proc.stdout[-3000:]
    invocation_id = failed_build["results"]["metadata"]["invocation_id"]
    # the hook itself passed: dbt failed only because of the test
    hooks = [r for r in failed_build["results"]["results"] if "on-run-end" in r["unique_id"]]
    assert hooks and all(r["status"] == "success" for r in hooks), hooks

    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        (invocation,) = rows(
            con, "select * from monitoring.dbt_invocations where invocation_id = ?", [invocation_id]
        )
        tests = rows(
            con,
            "select * from monitoring.dbt_test_results where invocation_id = ? "
            "and test_name like 'accepted_values_stg_shop__customers_segment%'",
            [invocation_id],
        )
        (status,) = rows(
            con,
            "select * from monitoring.dbt_node_status where unique_id = ?",
            [tests[0]["unique_id"]],
        )
        logged = rows(
            con,
            "select * from monitoring_raw.dbt_node_results_log where invocation_id = ?",
            [invocation_id],
        )
        per_day = rows(
            con,
            "select test_date, sum(failures) as failing_rows from monitoring.dbt_test_results "
            "where status = 'fail' group by test_date",
        )

    assert invocation["status"] == "failed"
    assert invocation["command"] == "build"
    assert invocation["is_full_refresh"] is True
    assert invocation["git_commit"] == "c0ffee" * 6
    assert invocation["nodes_failed"] >= 1
    assert invocation["nodes_total"] == len(logged)
    assert invocation["elapsed_seconds"] > 0
    assert invocation["run_date"] == invocation["started_at"].date()

    (test,) = tests
    assert test["status"] == "fail"
    assert test["failures"] == 1
    assert test["severity"] == "error"
    assert test["tested_node"] == "model.analytics_platform.stg_shop__customers"
    assert test["message"] == "Got 1 result, configured to fail if != 0"
    assert per_day and sum(day["failing_rows"] for day in per_day) >= 1

    assert status["last_status"] == "fail"
    assert status["last_failures"] == 1
    assert status["last_invocation_id"] == invocation_id
    assert status["last_failure_at"] == status["last_run_at"]
    # it passed in the earlier (published) build, which the copy's history keeps
    assert status["last_success_at"] is not None
    assert status["last_success_at"] < status["last_failure_at"]
    assert status["runs_total"] >= 2

    assert_logged_results_match(logged, failed_build["results"])
    models = [
        row for row in logged if row["resource_type"] == "model" and row["status"] == "success"
    ]
    assert all(row["compiled_code_hash"] and len(row["compiled_code_hash"]) == 32 for row in models)
    assert all(row["rows_affected"] is None for row in models)  # DuckDB reports none
    assert {row["materialization"] for row in models} >= {"table", "view", "incremental"}


def test_history_is_kept_across_full_refresh(
    failed_build: dict[str, Any], warehouse_copy: Path
) -> None:
    """The published build's own runs (source freshness, build) are still
    there after a --full-refresh build appended its own."""
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        invocations = rows(con, "select * from monitoring.dbt_invocations order by started_at")
    commands = [row["command"] for row in invocations]
    assert commands[-1] == "build"
    assert invocations[-1]["invocation_id"] == failed_build["results"]["metadata"]["invocation_id"]
    assert commands.count("build") >= 2
    assert "freshness" in commands
    earlier = next(row for row in invocations if row["command"] == "build")
    assert earlier["status"] == "success"
    assert earlier["nodes_failed"] == 0
    assert earlier["nodes_errored"] == 0


def test_source_freshness_rows_equal_sources_json(
    small_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`dbt source freshness` on a warehouse whose fx_rates table is gone:
    four sources are checked, one is a runtime error."""
    work = tmp_path_factory.mktemp("freshness")
    env = small_warehouse_work(small_warehouse, work)
    warehouse = work / env["ANALYTICS_DUCKDB_PATH"]
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table raw_data.fx_rates")
    proc = run_dbt(
        "source",
        "freshness",
        "--target",
        "local",
        project_dir=PROJECT_ROOT,
        profiles_dir=small_warehouse.dbt_dir / "profiles",
        work=work,
        env=env,
    )
    assert_parse_kept(work)
    sources = artifact(work, "sources.json")
    assert sources["results"], proc.stdout[-3000:]
    invocation_id = sources["metadata"]["invocation_id"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        logged = {
            row["unique_id"]: row
            for row in rows(
                con,
                "select * from monitoring_raw.dbt_source_freshness_log where invocation_id = ?",
                [invocation_id],
            )
        }
        history = rows(
            con,
            "select * from monitoring.source_freshness_history where invocation_id = ?",
            [invocation_id],
        )
        latest = {
            row["unique_id"]: row
            for row in rows(con, "select * from monitoring.source_freshness_status")
        }
        (invocation,) = rows(
            con, "select * from monitoring.dbt_invocations where invocation_id = ?", [invocation_id]
        )

    # sources.json leaves out a source that could not be checked (dbt 1.11
    # writes only SourceFreshnessResult there); the log keeps it.
    missing = "source.analytics_platform.fx.fx_rates"
    assert set(logged) == {r["unique_id"] for r in sources["results"]} | {missing}
    assert logged[missing]["status"] == "runtime error"
    assert "fx_rates" in logged[missing]["message"]
    assert logged[missing]["max_loaded_at"] is None
    assert len(history) == len(logged)
    for result in sources["results"]:
        row = logged[result["unique_id"]]
        assert row["status"] == result["status"]
        if result["status"] == "runtime error":
            assert row["message"] == stored_text(result["error"])
            assert row["max_loaded_at"] is None
            continue
        assert row["max_loaded_at"] == utc(result["max_loaded_at"])
        assert row["snapshotted_at"] == utc(result["snapshotted_at"])
        assert math.isclose(row["age_seconds"], result["max_loaded_at_time_ago_in_s"], abs_tol=1e-5)
        for threshold in ("warn_after", "error_after"):
            criteria = result["criteria"][threshold]
            expected = criteria["count"] * SECONDS_PER_PERIOD[criteria["period"]]
            assert row[f"{threshold}_seconds"] == expected
        assert row["loaded_at_field"] == "_loaded_at"
    for unique_id, row in logged.items():
        assert latest[unique_id]["status"] == row["status"]
        assert latest[unique_id]["last_invocation_id"] == invocation_id
        assert latest[unique_id]["is_breach"] == (row["status"] != "pass")
    assert invocation["command"] == "freshness"
    assert invocation["nodes_total"] == len(logged)
    assert invocation["nodes_errored"] >= 1


# ------------------------------------------------ a throw-away project


def write_tmp_project(root: Path, *, tests: int, batch_size: int) -> Path:
    """A project with a model, ``tests`` singular tests, a model that fails
    with hostile text, and the on-run-end hook listed twice (a retry)."""
    project = root / "project"
    (project / "models").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "macros").symlink_to(MACROS, target_is_directory=True)
    (project / "dbt_project.yml").write_text(
        "name: run_results_probe\n"
        "version: '1.0'\n"
        "config-version: 2\n"
        "profile: run_results_probe\n"
        "macro-paths: [macros]\n"
        "vars:\n"
        "  production_targets: [prod, local]\n"
        f"  run_results_batch_size: {batch_size}\n"
        "on-run-start:\n"
        '  - "{{ create_run_results_tables() }}"\n'
        "on-run-end:\n"
        '  - "{{ record_run_results(results) }}"\n'
        '  - "{{ record_run_results(results) }}"\n'
    )
    (project / "models" / "numbers.sql").write_text("select 1 as n union all select 2 as n\n")
    # The error message is the hostile text, raised when the model compiles.
    (project / "models" / "hostile.sql").write_text(
        "{% if execute %}{{ exceptions.raise_compiler_error(var('hostile_message')) }}{% endif %}\n"
        "select 1 as n\n"
    )
    for i in range(tests):
        (project / "tests" / f"check_{i:04d}.sql").write_text(
            f"select n from {{{{ ref('numbers') }}}} where n > {i + 10}\n"
        )
    (project / "profiles.yml").write_text(
        "run_results_probe:\n"
        "  target: local\n"
        "  outputs:\n"
        "    local:\n"
        "      type: duckdb\n"
        "      path: \"{{ env_var('PROBE_DUCKDB_PATH') }}\"\n"
        "      schema: main\n"
        "      threads: 4\n"
        "    emulator:\n"
        "      type: snowflake\n"
        "      account: fakesnow\n"
        "      user: fake\n"
        "      password: snow\n"
        "      host: \"{{ env_var('SNOWFLAKE_HOST') }}\"\n"
        "      port: \"{{ env_var('SNOWFLAKE_PORT') | as_number }}\"\n"
        "      protocol: http\n"
        "      database: probe\n"
        "      warehouse: probe_wh\n"
        "      schema: \"{{ env_var('DBT_SCHEMA_PREFIX') }}\"\n"
        "      threads: 1\n"
    )
    return project


def probe_connection(target: str, env: Mapping[str, str], database: Path) -> Any:
    if target == "local":
        return duckdb.connect(str(database), read_only=True)
    return emulator_connection(env, "probe")


@pytest.mark.parametrize(
    ("target", "tests", "batch_size"), [("local", 100, 25), ("emulator", 9, 4)]
)
def test_hostile_text_chunked_idempotent_upload(
    target: str,
    tests: int,
    batch_size: int,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    env = {"PROBE_DUCKDB_PATH": str(tmp_path / "probe.duckdb")}
    schema = "monitoring_raw"
    if target == "emulator":
        host, port = request.getfixturevalue("fakesnow_server")
        prefix = f"probe_{uuid.uuid4().hex[:8]}"
        env |= {"SNOWFLAKE_HOST": host, "SNOWFLAKE_PORT": str(port), "DBT_SCHEMA_PREFIX": prefix}
        schema = f"{prefix}_monitoring_raw"
    project = write_tmp_project(tmp_path, tests=tests, batch_size=batch_size)
    message = HOSTILE + "x" * 5000
    note = HOSTILE.replace("\n", " ").replace("\r", " ")
    runs = []
    # 1: everything; the hostile model errors. 2 (DuckDB only, to save time):
    # without it, so dbt succeeds with hostile text in its command line.
    for extra in ([], ["--exclude", "hostile"])[: 2 if target == "local" else 1]:
        work = tmp_path / f"run{len(runs)}"
        work.mkdir()
        proc = run_dbt(
            "build",
            "--target",
            target,
            "--vars",
            json.dumps({"note": note, "hostile_message": message}, ensure_ascii=False),
            *extra,
            project_dir=project,
            profiles_dir=project,
            work=work,
            env=env,
        )
        results = artifact(work, "run_results.json")
        hooks = [r for r in results["results"] if r["unique_id"].startswith("operation.")]
        assert hooks and all(r["status"] == "success" for r in hooks), hooks
        runs.append({"proc": proc, "work": work, "results": results})
    assert runs[0]["proc"].returncode == 1  # the hostile model only
    assert all(run["proc"].returncode == 0 for run in runs[1:]), runs[-1]["proc"].stdout[-3000:]

    with probe_connection(target, env, tmp_path / "probe.duckdb") as con:
        for run in runs:
            invocation_id = run["results"]["metadata"]["invocation_id"]
            logged = rows(
                con,
                f"select * from {schema}.dbt_node_results_log "
                f"where invocation_id = '{invocation_id}'",
            )
            # retried upload (the hook listed twice): each result once
            assert_logged_results_match(logged, run["results"])
            (invocation,) = rows(
                con,
                f"select * from {schema}.dbt_invocations_log "
                f"where invocation_id = '{invocation_id}'",
            )
            assert invocation["invocation_command"] == stored_text(
                run["results"]["args"]["invocation_command"]
            )
            assert json.dumps(note, ensure_ascii=False)[1:-1] in invocation["invocation_command"]
            assert invocation["nodes_total"] == len(logged)
        (hostile,) = rows(
            con,
            f"select message from {schema}.dbt_node_results_log "
            "where unique_id = 'model.run_results_probe.hostile'",
        )
        assert hostile["message"].startswith("Compilation Error in model hostile")
        assert HOSTILE.split("\n")[0] in hostile["message"]
        assert len(hostile["message"]) == MAX_TEXT
        counts = rows(
            con,
            f"select count(*) as n, count(distinct invocation_id) as invocations "
            f"from {schema}.dbt_invocations_log",
        )
        assert (counts[0]["n"], counts[0]["invocations"]) == (len(runs), len(runs))

    # chunked: ceil(nodes / batch) INSERT statements per upload, twice (the retry)
    log = (runs[0]["work"] / "logs" / "dbt.log").read_text()
    nodes = tests + 2
    inserts = [
        line
        for line in log.splitlines()
        if "insert into" in line.lower() and "dbt_node_results_log" in line.lower()
    ]
    assert len(inserts) == 2 * math.ceil(nodes / batch_size)
