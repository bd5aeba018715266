"""``analytics report``: one report rendered now, without the service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from orchestration.commands.common import (
    UsageError,
    load_settings,
    out,
)


class ReportCommand(TyperCommand):
    """``report --help`` lists the report types and their parameters from the
    catalog itself, imported only when the help is asked for (it costs most
    of a second)."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        from report_service.reports.catalog import CATALOG

        rows = []
        for name, definition in CATALOG.items():
            params = ", ".join(definition.params_model.model_fields) or "no parameters"
            rows.append((name, f"{definition.title} ({params})"))
        with formatter.section("Report types"):
            formatter.write_dl(rows)
        super().format_epilog(ctx, formatter)


def report(
    report_type: Annotated[
        str, typer.Argument(metavar="TYPE", help="A report type (listed below).")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A report parameter as KEY=VALUE (repeatable)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html, pdf, csv, xlsx or json.")
    ] = "html",
    out_path: Annotated[
        str | None,
        typer.Option("--out", "-o", help="Where to write the file (default: TYPE.FORMAT here)."),
    ] = None,
) -> None:
    """Render one report now from the published warehouse (no service needed)."""
    import shutil
    import tempfile

    from analytics_core.settings import ReportServiceSettings
    from report_service.reports import render_report
    from report_service.warehouse import open_warehouse_client, snowflake_from_env

    params: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param must be KEY=VALUE, not {item!r}")
        params[key.strip()] = value
    settings = load_settings()
    target = Path(out_path) if out_path else Path.cwd() / f"{report_type}.{fmt}"
    if target.is_dir():
        target = target / f"{report_type}.{fmt}"
    if not target.parent.is_dir():
        raise UsageError(f"--out: the folder {target.parent} does not exist")
    service = ReportServiceSettings()
    client = open_warehouse_client(service, settings, snowflake_from_env(service))
    try:
        with tempfile.TemporaryDirectory(prefix="analytics-report-") as tmp:
            files = render_report(report_type, params, [fmt], client, Path(tmp))
            shutil.move(str(files[fmt]), target)
    finally:
        client.close()
    out.print(f"wrote {target} ({target.stat().st_size:,} bytes)")
