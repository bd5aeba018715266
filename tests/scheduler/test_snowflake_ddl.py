"""``analytics snowflake-ddl``: the rendered DDL against a reviewed golden file,
every statement through a Snowflake parser, idempotent forms only, the API
key only where it belongs, and hostile inputs refused."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import sqlglot
from sqlfluff.core import FluffConfig, Linter

from analytics_core.errors import ConfigurationError
from analytics_core.schedules import load_schedule
from orchestration.snowflake_ddl import (
    DeployInputs,
    inputs_from_terraform,
    render_checks,
    render_script,
    render_statements,
)
from tests.conftest import ANALYTICS, analytics_env

GOLDEN = Path(__file__).parent / "golden"
GATEWAY = "https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod"
ROLE = "arn:aws:iam::123456789012:role/analytics-snowflake-api"
KEY = "test-key-0123456789"
INPUTS = DeployInputs(GATEWAY, ROLE, "ANALYTICS", api_key=KEY)


def parses_in_sqlfluff(statement: str) -> list[str]:
    """sqlfluff's Snowflake dialect: the unparsable parts of ``statement``."""
    linter = Linter(config=FluffConfig(overrides={"dialect": "snowflake", "templater": "raw"}))
    parsed = linter.parse_string(statement + ";\n")
    return [str(v.desc()) for v in parsed.violations]


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; review and set UPDATE_GOLDEN=1 to accept"


def test_the_ddl_matches_the_reviewed_file() -> None:
    statements = render_statements(load_schedule(), INPUTS)
    check_golden("snowflake_ddl.sql", render_script(statements, {"schedule": "schedules.yml"}))
    checks = render_checks(load_schedule(), INPUTS)
    check_golden("snowflake_checks.sql", render_script(checks, {"schedule": "schedules.yml"}))


def test_every_statement_parses_as_snowflake() -> None:
    schedule = load_schedule()
    for statement in render_statements(schedule, INPUTS) + render_checks(schedule, INPUTS):
        sqlglot.parse_one(statement, read="snowflake")  # raises on a syntax error
        if statement.startswith("ALTER API INTEGRATION"):
            # sqlfluff has no grammar for it: its properties are checked instead.
            properties = re.findall(r"^\s+([A-Z_]+) = ", statement, flags=re.MULTILINE)
            assert properties == ["API_AWS_ROLE_ARN", "API_KEY", "API_ALLOWED_PREFIXES", "ENABLED"]
            continue
        assert parses_in_sqlfluff(statement) == [], statement
    # The body of every task is a real query, not text sqlglot gave up on.
    for job in schedule.reports:
        [task] = [s for s in render_statements(schedule, INPUTS) if f"report_{job.name}\n" in s]
        body = task.split("\nAS\n", 1)[1]
        assert isinstance(sqlglot.parse_one(body, read="snowflake"), sqlglot.exp.Select)
        assert f"SCHEDULE = 'USING CRON {job.cron} UTC'" in task


def test_each_task_delivers_its_subscriptions_for_its_scheduled_time() -> None:
    schedule = load_schedule()
    assert schedule.subscriptions, "the shipped schedule has example subscriptions"
    statements = render_statements(schedule, INPUTS)
    for job in schedule.reports:
        [task] = [s for s in statements if f"report_{job.name}\n" in s]
        select = sqlglot.parse_one(task.split("\nAS\n", 1)[1], read="snowflake")
        calls = [
            (str(e.this), e.expressions[0].name)
            for e in select.find_all(sqlglot.exp.Anonymous)
            if str(e.this).lower() == "deliver_subscription_via_ecs"
        ]
        wanted = [s.name for s in schedule.subscriptions if s.report == job.name]
        assert [name for _, name in calls] == wanted
        # The run's original scheduled time: a retried run names the same deliveries.
        assert wanted == [] or "CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP" in task
        assert [a.alias for a in select.expressions][1:] == wanted


def test_only_idempotent_forms_and_the_key_only_in_the_integration() -> None:
    statements = render_statements(load_schedule(), INPUTS)
    for statement in statements:
        first = statement.split("\n", 1)[0]
        if first.startswith("CREATE"):
            assert re.match(
                r"CREATE (OR REPLACE |OR ALTER |\w+ \w+ IF NOT EXISTS|SCHEMA IF)", first
            )
        # The integration is never replaced: that would change its external id.
        assert not first.startswith("CREATE OR REPLACE API INTEGRATION")
    with_key = [s for s in statements if KEY in s]
    assert [s.split()[0:3] for s in with_key] == [
        ["CREATE", "API", "INTEGRATION"],
        ["ALTER", "API", "INTEGRATION"],
    ]
    without = render_statements(load_schedule(), DeployInputs(GATEWAY, ROLE, "ANALYTICS"))
    assert not any("API_KEY" in s for s in without)
    tasks = [s for s in statements if s.startswith("CREATE OR ALTER TASK")]
    resumed = [s for s in statements if s.startswith("ALTER TASK") and s.endswith("RESUME")]
    assert len(tasks) == len(resumed) == len(load_schedule().reports) == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"gateway_url": "http://abc.execute-api.eu-west-1.amazonaws.com/prod"}, "gateway URL"),
        ({"gateway_url": GATEWAY + "'); DROP DATABASE x; --"}, "gateway URL"),
        ({"gateway_url": "https://evil.example.com/prod"}, "gateway URL"),
        ({"role_arn": "arn:aws:iam::1234:role/x"}, "role ARN"),
        ({"role_arn": ROLE + "' ENABLED = FALSE"}, "role ARN"),
        ({"database": 'ANALYTICS"; DROP'}, "database"),
        ({"schema": "reporting.x"}, "schema"),
        ({"operator_role": "r" * 300}, "operator_role"),
        ({"api_key": "has space here"}, "API key"),
        ({"api_key": "short"}, "API key"),
        ({"max_batch_rows": 0}, "max batch rows"),
    ],
)
def test_bad_inputs_are_refused_by_name(changes: dict[str, object], message: str) -> None:
    inputs = DeployInputs(**{**INPUTS.__dict__, **changes})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=message):
        render_statements(load_schedule(), inputs)


def test_terraform_outputs_are_the_inputs(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "api_gateway_url": {"value": GATEWAY, "sensitive": False},
                "snowflake_api_role_arn": {"value": ROLE, "sensitive": False},
            }
        )
    )
    inputs = inputs_from_terraform(outputs, database="ANALYTICS")
    assert (inputs.gateway_url, inputs.role_arn) == (GATEWAY, ROLE)
    outputs.write_text(json.dumps({"api_gateway_url": {"value": GATEWAY}}))
    with pytest.raises(ConfigurationError, match="missing role_arn"):
        inputs_from_terraform(outputs, database="ANALYTICS")
    outputs.write_text("{not json")
    with pytest.raises(ConfigurationError, match="cannot read Terraform outputs"):
        inputs_from_terraform(outputs, database="ANALYTICS")


def test_terraform_outputs_read_from_the_root_module_state(tmp_path: Path) -> None:
    """A root module's directory: ``terraform output -json`` is run there (it
    reads the state; no provider is needed)."""
    import shutil

    root = tmp_path / "aws"
    root.mkdir()
    (root / "outputs.tf").write_text('output "api_gateway_url" { value = "x" }\n')
    state = {
        "version": 4,
        "terraform_version": "1.9.0",
        "serial": 3,
        "lineage": "0b5f8a4e-9d55-4c59-9f0e-3e0d1b7c2a11",
        "outputs": {
            "api_gateway_url": {"value": GATEWAY, "type": "string"},
            "snowflake_api_role_arn": {"value": ROLE, "type": "string"},
        },
        "resources": [],
        "check_results": None,
    }
    (root / "terraform.tfstate").write_text(json.dumps(state))
    if shutil.which("terraform") is None:
        with pytest.raises(ConfigurationError, match="terraform is not on PATH"):
            inputs_from_terraform(root, database="ANALYTICS")
        return
    inputs = inputs_from_terraform(root, database="ANALYTICS")
    assert (inputs.gateway_url, inputs.role_arn) == (GATEWAY, ROLE)
    (root / "terraform.tfstate").write_text("{broken")
    with pytest.raises(ConfigurationError, match=r"terraform output in .* failed"):
        inputs_from_terraform(root, database="ANALYTICS")


def test_the_command(tmp_path: Path) -> None:
    env = analytics_env(tmp_path / "home", {"REPORT_SERVICE_API_KEY": KEY})
    out = tmp_path / "deploy.sql"
    done = subprocess.run(
        [
            str(ANALYTICS),
            "snowflake-ddl",
            *("--gateway-url", GATEWAY, "--role-arn", ROLE),
            "--database",
            "ANALYTICS",
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text() == render_script(
        render_statements(load_schedule(), INPUTS),
        {"schedule": "schedules.yml", "gateway": GATEWAY, "kind": "deployment"},
    )
    assert oct(out.stat().st_mode & 0o777) == "0o600"  # it holds the key
    assert KEY not in done.stderr + done.stdout
    env.pop("REPORT_SERVICE_API_KEY")
    done = subprocess.run(
        [str(ANALYTICS), "snowflake-ddl", "--gateway-url", GATEWAY, "--role-arn", "nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: role ARN 'nope'") and "Traceback" not in done.stderr


@pytest.mark.slow  # processes, emulators or dbt: over 15 s in the fast lane
def test_statements_are_applied_through_dbt_without_logging_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dbt path runs the rendered statements in order; here on the local
    DuckDB target with statements DuckDB understands (the emulator has no API
    integrations). A marker standing for the API key must not reach dbt's logs."""
    import duckdb

    from analytics_core.settings import Settings
    from orchestration.snowflake_ddl import apply_with_dbt

    database = tmp_path / "ddl.duckdb"
    monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(database))
    settings = Settings(home=tmp_path / "home")
    secret = "API_KEY_MARKER_6f1c"
    statements = [
        "create schema if not exists ddl_check",
        f"create or replace table ddl_check.applied as select 1 as step, '{secret}' as note",
        "insert into ddl_check.applied values (2, 'second')",
    ]
    assert apply_with_dbt(statements, settings, "local") == 3
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select step from ddl_check.applied order by step").fetchall() == [
            (1,),
            (2,),
        ]
    logs = "".join(p.read_text(errors="replace") for p in settings.dbt_log_path.rglob("*"))
    assert secret not in logs
    with pytest.raises(ConfigurationError, match="apply_statements failed"):
        apply_with_dbt(["select * from no_such_table"], settings, "local")
