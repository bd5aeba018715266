"""``analytics snowflake-ddl``: the Snowflake side of the report service
(API integration, external functions, report tasks, grants)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from analytics_core.errors import ConfigurationError
from orchestration.commands.common import (
    UsageError,
    err,
    load_settings,
)


def snowflake_ddl(
    terraform_outputs: Annotated[
        Path | None,
        typer.Option(
            help="The output of terraform output -json for infra/terraform/aws (a file it"
            " wrote, or the module's directory): the gateway URL and role ARN."
        ),
    ] = None,
    gateway_url: Annotated[
        str | None, typer.Option(help="API Gateway stage URL in front of the report service.")
    ] = None,
    role_arn: Annotated[
        str | None, typer.Option(help="IAM role Snowflake assumes to call the gateway.")
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(help="Database of the reporting schema (default SNOWFLAKE_DATABASE)."),
    ] = None,
    schema: Annotated[str, typer.Option(help="Schema of the functions and tasks.")] = "reporting",
    operator_role: Annotated[
        str, typer.Option(help="Role that runs the tasks and may call the functions.")
    ] = "analytics_operator",
    api_key_env: Annotated[
        str,
        typer.Option(help="Environment variable holding the API key the gateway expects."),
    ] = "REPORT_SERVICE_API_KEY",
    checks: Annotated[
        bool, typer.Option("--checks", help="Print the post-deploy checks instead.")
    ] = False,
    out_path: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file (default: stdout).")
    ] = None,
    apply_with_dbt: Annotated[
        str | None,
        typer.Option(
            metavar="TARGET",
            help="Apply it with dbt run-operation apply_statements on this dbt target.",
        ),
    ] = None,
) -> None:
    """The Snowflake DDL: API integration, external functions, report tasks, grants."""
    from analytics_core.schedules import check_reports, load_schedule
    from analytics_core.settings import SchedulerSettings, SnowflakeSettings
    from orchestration.snowflake_ddl import (
        inputs_from_terraform,
        render_checks,
        render_script,
        render_statements,
    )
    from report_service.reports import CATALOG

    schedule = load_schedule(SchedulerSettings().schedule_file)
    check_reports(schedule, CATALOG)
    api_key = os.environ.get(api_key_env) or None
    overrides = {
        "gateway_url": gateway_url,
        "role_arn": role_arn,
        "database": database or SnowflakeSettings().database,
        "schema": schema,
        "operator_role": operator_role,
        "api_key": api_key,
    }
    if terraform_outputs is not None:
        inputs = inputs_from_terraform(terraform_outputs, **overrides)
    else:
        from orchestration.snowflake_ddl import DeployInputs

        missing = [n for n in ("gateway_url", "role_arn", "database") if not overrides[n]]
        if missing:
            raise ConfigurationError(
                "give --terraform-outputs, or "
                + ", ".join("--" + m.replace("_", "-") for m in missing)
            )
        inputs = DeployInputs(
            gateway_url=str(gateway_url),
            role_arn=str(role_arn),
            database=str(overrides["database"]),
            schema=schema,
            operator_role=operator_role,
            api_key=api_key,
        ).checked()
    if not checks and api_key is None:
        err.print(
            f"warning: {api_key_env} is not set: the API integration gets no API_KEY,"
            " and the report service will refuse Snowflake's calls",
            markup=False,
        )
    statements = (render_checks if checks else render_statements)(schedule, inputs)
    if apply_with_dbt is not None:
        from orchestration.snowflake_ddl import apply_with_dbt as apply

        count = apply(statements, load_settings(), apply_with_dbt)
        err.print(f"applied {count} statements on dbt target {apply_with_dbt}", markup=False)
        return
    script = render_script(
        statements,
        {
            "schedule": str(schedule.path.name),
            "gateway": inputs.gateway_url,
            "kind": "post-deploy checks" if checks else "deployment",
        },
    )
    if out_path is None:
        sys.stdout.write(script)
        return
    if not out_path.parent.is_dir():
        raise UsageError(f"--out: the folder {out_path.parent} does not exist")
    from analytics_core.private_files import write_private

    # Created 0600 (it may hold the API key), atomically: never readable by others.
    write_private(out_path, script)
    err.print(f"wrote {len(statements)} statements to {out_path}", markup=False)
