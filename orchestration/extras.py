"""Which extra of the package installs what: the ``analytics`` command is in
every install, each component's packages are an extra (``pyproject.toml``), so
a command whose component is not installed says which extra it needs."""

from __future__ import annotations

import importlib.util

#: Top-level module -> the extras that install it (the components' own
#: imports; pyproject.toml's [project.optional-dependencies] is the definition).
EXTRAS_OF: dict[str, tuple[str, ...]] = {
    "dbt": ("dbt",),
    "pyarrow": ("dbt",),
    "numpy": ("dbt", "report-service"),
    "httpx": ("dbt", "ui"),
    "fastapi": ("report-service",),
    "starlette": ("report-service",),
    "uvicorn": ("report-service",),
    "jinja2": ("report-service", "questions"),
    "weasyprint": ("report-service",),
    "vl_convert": ("report-service",),
    "openpyxl": ("report-service",),
    "prometheus_client": ("report-service",),
    "metricflow": ("questions",),
    "metricflow_semantics": ("questions",),
    "metricflow_semantic_interfaces": ("questions",),
    "sqlglot": ("questions",),
    "streamlit": ("ui",),
    "snowflake": ("snowflake",),
    "boto3": ("aws",),
    "botocore": ("aws",),
}


class MissingExtraError(ModuleNotFoundError):
    """A component's package is not installed (raised before a child process
    would fail on it)."""


def missing_extra_message(exc: ModuleNotFoundError) -> str | None:
    """One line naming the extra that installs the missing module, or ``None``
    when the module is not one an extra installs (a real bug, not a smaller
    install)."""
    top = (exc.name or "").split(".")[0]
    extras = EXTRAS_OF.get(top)
    if not extras:
        return None
    named = " or ".join(f"'{extra}'" for extra in extras)
    return (
        f"{top} is not installed: this command needs the {named} extra "
        f"(pip install 'analytics-platform[{extras[0]}]', or [all] for everything)"
    )


def require(module: str) -> None:
    """Fail now, with the extra's name, when ``module`` is not installed."""
    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(f"No module named {module!r}", name=module)
