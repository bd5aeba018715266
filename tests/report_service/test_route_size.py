"""No route of the report service is longer than 40 lines (issue 17): routes
live in ``report_service/routes/`` as module-level functions and what they
share is a dependency or a helper. Read with ``ast``, so the check sees the
source as written."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from analytics_core.settings import ReportServiceSettings, Settings
from report_service.app import create_app
from report_service.service import ReportService

ROUTES = Path(__file__).resolve().parents[2] / "report_service" / "routes"
MAX_LINES = 40
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route"}


def route_functions(source: str) -> dict[str, int]:
    """Each route function of a module and its length in lines (``def`` to its
    last line, decorators not counted): a function decorated with
    ``@<router>.<method>(...)`` or passed to ``<router>.add_api_route(path, f)``."""
    tree = ast.parse(source)
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    names = set()
    for node in functions.values():
        for decorator in node.decorator_list:
            call = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(call, ast.Attribute) and call.attr in HTTP_METHODS:
                names.add(node.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_api_route"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Name)
        ):
            names.add(node.args[1].id)
    return {name: (functions[name].end_lineno or 0) - functions[name].lineno + 1 for name in names}


def all_routes() -> dict[str, int]:
    routes: dict[str, int] = {}
    for path in sorted(ROUTES.glob("*.py")):
        found = route_functions(path.read_text(encoding="utf-8"))
        routes.update({f"{path.name}:{name}": lines for name, lines in found.items()})
    return routes


def test_no_route_is_longer_than_40_lines() -> None:
    too_long = {name: lines for name, lines in all_routes().items() if lines > MAX_LINES}
    assert not too_long, f"routes over {MAX_LINES} lines: {too_long}"


def test_the_check_sees_every_route_of_the_app(tmp_path: Path) -> None:
    """Every operation of the OpenAPI document is a function the check measured:
    a route defined some other way (a closure, another folder) would escape it."""
    service = ReportService(ReportServiceSettings(api_keys="k", workers=0), Settings(home=tmp_path))
    operations = set()
    for path, methods in create_app(service).openapi()["paths"].items():
        for method, operation in methods.items():
            # FastAPI's operation id: the function's name, then the path and method.
            suffix = re.sub(r"\W", "_", path) + "_" + method
            assert operation["operationId"].endswith(suffix)
            operations.add(operation["operationId"].removesuffix(suffix))
    measured = {name.split(":")[1] for name in all_routes()}
    assert len(operations) == 14
    assert operations <= measured, operations - measured


def test_the_check_finds_a_long_route() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    source = (
        "@router.get('/a')\ndef short() -> None:\n    pass\n\n"
        f"def long() -> None:\n{body}\n\n"
        "routes.add_api_route('/b', long)\n"
    )
    assert route_functions(source) == {"short": 2, "long": MAX_LINES + 1}
