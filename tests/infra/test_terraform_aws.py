"""The AWS Terraform (``infra/terraform/aws``) held to the code it deploys.

The HCL is parsed with python-hcl2; expressions that need Terraform's own
functions (the schedule conversion, locals, variable validations, the task
environments) are evaluated by ``terraform console`` on a copy of the
provider-free files (variables, locals, schedule), with references to
resources and modules standing in as strings. What the code says comes from
the code: the settings classes, the FastAPI app's routes, the boto3 calls
(AST), the job store's table definition, the schedule file and its parser.
The Snowflake names each task runs with come from the Snowflake module
(``infra/terraform/snowflake``, its ``component_settings`` and environment
files), environment by environment.
"""

from __future__ import annotations

import ast
import calendar
import fnmatch
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import hcl2
import pytest
from croniter import croniter
from pydantic_settings import BaseSettings

from analytics_core.schedules import load_schedule
from analytics_core.settings import (
    PROJECT_ROOT,
    DeliverySettings,
    QuestionSettings,
    ReportServiceSettings,
    SchedulerSettings,
    Settings,
    SnowflakeSettings,
    UISettings,
)
from analytics_core.snowflake import connection_parameters
from orchestration.ci_plan import IMAGES
from orchestration.snowflake_ddl import TERRAFORM_OUTPUTS
from tests.infra.terraform_support import (
    Console,
    ConsoleError,
    hcl_expression,
    load_tf,
    locals_of,
    named,
    resources,
    terraform,
    text,
)
from tests.infra.tools import uv_command

AWS = PROJECT_ROOT / "infra" / "terraform" / "aws"
SNOWFLAKE = PROJECT_ROOT / "infra" / "terraform" / "snowflake"
MODULES = AWS / "modules"
DEV_TFVARS = AWS / "environments" / "dev.tfvars"
PROD_TFVARS = AWS / "environments" / "prod.tfvars"
TFVARS = {"dev": DEV_TFVARS, "prod": PROD_TFVARS}
CONSOLE_FILES = ("variables.tf", "locals.tf", "schedule.tf")
SECRET = {"oidc_client_secret": "not-a-real-secret"}

#: The tasks: module name in main.tf -> what runs in it.
TASKS = {"report_service_task": "report_service", "ui_task": "ui", "dbt_runner_task": "dbt_runner"}
#: Each task -> its component in the Snowflake module's ``component_settings``
#: (also the key of the AWS variable ``snowflake_components``), and the
#: platform role (key of its ``role_names``) that component must run as.
SNOWFLAKE_COMPONENTS = {"report_service": "report_service", "ui": "ui", "dbt_runner": "dbt"}
COMPONENT_ROLES = {"report_service": "reporter", "ui": "analyst", "dbt": "transformer"}
#: What ECS injects from each component's Snowflake secret (secrets.tf).
SNOWFLAKE_LOGIN = {"SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PRIVATE_KEY"}
#: Environment variables the tasks may set that are not settings: Python's
#: temporary directory (the read-only root file system has no writable /tmp
#: the images own).
PROCESS_ENV = {"TMPDIR"}
SETTINGS_CLASSES: tuple[type[BaseSettings], ...] = (
    Settings,
    SnowflakeSettings,
    ReportServiceSettings,
    QuestionSettings,
    UISettings,
    SchedulerSettings,
    DeliverySettings,
)


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def root() -> dict[str, list[Any]]:
    return load_tf(AWS)


@pytest.fixture(scope="module")
def modules(root: dict[str, list[Any]]) -> dict[str, Any]:
    return named(root, "module")


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Console:
    schedule = (PROJECT_ROOT / "analytics_core" / "schedules.yml").read_text(encoding="utf-8")
    return Console(
        tmp_path_factory.mktemp("tf"),
        AWS,
        CONSOLE_FILES,
        {"analytics_core/schedules.yml": schedule},
    )


@pytest.fixture(scope="module")
def local_values(root: dict[str, list[Any]], console: Console) -> dict[str, Any]:
    """Every local of the root module that the console can evaluate."""
    names = sorted(locals_of(root))
    values = console.evaluate([f"local.{n}" for n in names], DEV_TFVARS, SECRET)
    return dict(zip(names, values, strict=True))


def _evaluate_tasks(
    modules: dict[str, Any], console: Console, tfvars: Path
) -> dict[str, dict[str, Any]]:
    """Each task module's arguments with ``tfvars``, evaluated (unknown references as "<...>")."""
    keys = ("environment", "secrets", "secret_arns", "container_port", "health_check_path")
    keys += ("stop_timeout", "entry_point", "command", "user", "writable_paths")
    keys += ("task_policy_json", "container_name", "image")
    out: dict[str, dict[str, Any]] = {}
    for name, what in TASKS.items():
        body = modules[name]
        present = [k for k in keys if k in body]
        values = console.evaluate([hcl_expression(body[k]) for k in present], tfvars, SECRET)
        out[what] = {**dict.fromkeys(keys), **dict(zip(present, values, strict=True))}
    return out


@pytest.fixture(scope="module")
def tasks(modules: dict[str, Any], console: Console) -> dict[str, dict[str, Any]]:
    return _evaluate_tasks(modules, console, DEV_TFVARS)


@pytest.fixture(scope="module")
def tasks_by_environment(
    modules: dict[str, Any], console: Console
) -> dict[str, dict[str, dict[str, Any]]]:
    return {env: _evaluate_tasks(modules, console, tfvars) for env, tfvars in TFVARS.items()}


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    """A real, unencrypted PKCS#8 RSA key, as a service user's secret holds it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def module_doc(name: str) -> dict[str, list[Any]]:
    return load_tf(MODULES / name)


# -- images and ports -----------------------------------------------------------------------------
def test_ecr_repositories_are_the_ci_images_plus_the_dbt_runner(local_values):
    ci_images = {
        image
        for images in IMAGES.values()
        for image in (images if isinstance(images, tuple | list) else (images,))
    }
    assert set(local_values["images"].values()) == ci_images | {"dbt-runner"}
    for image in local_values["images"].values():
        assert (PROJECT_ROOT / "infra" / "docker" / f"{image}.Dockerfile").is_file(), image
    repo = resources(module_doc("ecr"))["aws_ecr_repository"]["this"]
    assert text(repo["image_tag_mutability"]) == "IMMUTABLE"
    assert repo["image_scanning_configuration"][0]["scan_on_push"] is True
    assert "aws_ecr_lifecycle_policy" in resources(module_doc("ecr"))


def test_container_ports_are_the_ports_the_apps_listen_on(tasks, local_values, modules):
    report, ui = tasks["report_service"], tasks["ui"]
    service_port = ReportServiceSettings.model_fields["port"].default
    ui_port = UISettings.model_fields["port"].default
    assert (
        report["container_port"]
        == service_port
        == int(report["environment"]["REPORT_SERVICE_PORT"])
    )
    assert ui["container_port"] == ui_port == int(ui["environment"]["UI_PORT"])
    # The apps bind every interface in a container (the default is loopback).
    assert report["environment"]["REPORT_SERVICE_HOST"] == "0.0.0.0"
    assert ui["environment"]["UI_HOST"] == "0.0.0.0"
    assert report["entry_point"] + report["command"] == ["analytics", "serve", "report-service"]
    assert ui["entry_point"] + ui["command"] == ["analytics", "serve", "ui"]
    # The services and target groups use the same ports.
    lb = modules["load_balancing"]
    assert text(modules["report_service"]["container_port"]) == "${local.report_service_port}"
    assert text(modules["ui"]["container_port"]) == "${local.ui_port}"
    assert lb["report_service_port"] == "${local.report_service_port}"
    assert lb["ui_port"] == "${local.ui_port}"
    assert local_values["report_service_port"] == service_port
    assert local_values["ui_port"] == ui_port


def _app_routes(tmp_path: Path) -> list[tuple[str, set[str]]]:
    from report_service.app import ReportService, create_app

    service = ReportService(
        ReportServiceSettings(api_keys="test-key-123"),
        Settings(home=tmp_path),
        start_workers=False,
    )
    app = create_app(service)
    # The app's own routes (the docs, the OpenAPI document) and, as the OpenAPI
    # document lists them, the routes of its routers: included routers are not
    # flattened into ``app.routes``.
    own = [
        (route.path, set(getattr(route, "methods", None) or ()))
        for route in app.routes
        if hasattr(route, "path")
    ]
    paths = app.openapi()["paths"]
    return own + [(path, {method.upper() for method in ops}) for path, ops in paths.items()]


def _alb_matches(pattern: str, path: str) -> bool:
    """ALB path patterns: case-sensitive, * any characters, ? one character."""
    return fnmatch.fnmatchcase(path, pattern)


def test_report_service_health_checks_are_routes_of_the_app(tmp_path, tasks, local_values):
    routes = _app_routes(tmp_path)
    get_paths = {path for path, methods in routes if "GET" in methods}
    health = local_values["report_service_health_path"]
    assert tasks["report_service"]["health_check_path"] == health
    assert health in get_paths
    lb = resources(module_doc("load_balancing"))["aws_lb_target_group"]
    assert lb["report_service"]["health_check"][0]["path"] == "${var.report_service_health_path}"
    assert lb["report_service_internal"]["health_check"][0]["path"] == (
        "${var.report_service_health_path}"
    )
    assert "/ready" in get_paths  # readiness stays with deploy checks (see README of infra)


def test_only_api_gateway_reaches_the_external_function_routes(tmp_path, local_values):
    routes = _app_routes(tmp_path)
    external = {path for path, methods in routes if path.startswith("/v1/external/")}
    assert external, "the app has external-function routes"
    assert set(local_values["external_routes"].values()) == external
    for path, methods in routes:
        if path in external:
            assert methods == {"POST"}
    public = local_values["report_service_public_paths"]
    blocked = local_values["report_service_blocked_paths"]
    for path in external:
        assert any(_alb_matches(p, path) for p in blocked), path
        assert not any(_alb_matches(p, path) for p in public), path
    # Hostile spellings of the same routes never match the forward rule either.
    for path in external:
        for variant in (path + "/", path.upper(), "/v1//external/x", path.replace("/v1", "/V1")):
            assert not any(_alb_matches(p, variant) for p in public), variant
    assert not any(_alb_matches(p, "/metrics") for p in public)
    # Every forwarded pattern serves a real route.
    paths = [path for path, _ in routes]
    for pattern in public:
        assert any(_alb_matches(pattern, p) for p in paths), pattern
    # The block rule is evaluated before the forward rule, on the same host.
    rules = resources(module_doc("load_balancing"))["aws_lb_listener_rule"]
    block, forward = rules["block_external_functions"], rules["report_service"]
    assert block["priority"] < forward["priority"]
    assert block["action"][0]["type"] == '"fixed-response"'
    assert block["action"][0]["fixed_response"][0]["status_code"] in ('"403"', '"404"')
    assert (
        block["condition"][1]["path_pattern"][0]["values"] == "${var.report_service_blocked_paths}"
    )
    assert forward["condition"][1]["path_pattern"][0]["values"] == (
        "${var.report_service_public_paths}"
    )
    assert block["condition"][0] == forward["condition"][0]
    # No other rule forwards to the report service.
    for name, rule in rules.items():
        if name != "report_service":
            assert "report_service" not in json.dumps(rule.get("action", [])), name


def test_people_sign_in_before_the_ui_and_the_docs(root):
    rules = resources(module_doc("load_balancing"))["aws_lb_listener_rule"]
    for name in ("ui", "docs", "docs_index"):
        actions = rules[name]["action"]
        assert text(actions[0]["type"]) == "authenticate-oidc", name
        oidc = actions[0]["authenticate_oidc"][0]
        assert oidc["client_secret"] == "${var.oidc_client_secret}"
        assert text(oidc["on_unauthenticated_request"]) == "authenticate"
    assert named(root, "variable")["oidc_client_secret"]["sensitive"] is True
    listeners = resources(module_doc("load_balancing"))["aws_lb_listener"]
    assert text(listeners["http"]["default_action"][0]["type"]) == "redirect"
    assert text(listeners["http"]["default_action"][0]["redirect"][0]["protocol"]) == "HTTPS"
    assert text(listeners["https"]["protocol"]) == "HTTPS"
    assert listeners["https"]["certificate_arn"] == "${var.certificate_arn}"


def test_the_ui_health_check_is_streamlits_health_route(tmp_path, tasks, local_values):
    from orchestration.services import StreamlitUI

    path = local_values["ui_health_path"]
    assert tasks["ui"]["health_check_path"] == path
    ui = StreamlitUI(tmp_path / "ui.log", port=0)
    ui.start()  # waits for a 200 from /_stcore/health
    try:
        import urllib.request

        with urllib.request.urlopen(f"{ui.url.rstrip('/')}{path}", timeout=10) as response:  # noqa: S310
            assert response.status == 200
    finally:
        ui.stop()


# -- environment, settings and secrets ------------------------------------------------------------
def _settings_env_names() -> set[str]:
    names: set[str] = set()
    for cls in SETTINGS_CLASSES:
        prefix = str(cls.model_config.get("env_prefix", ""))
        for field_name, field in cls.model_fields.items():
            names.add((prefix + field_name).upper())
            if isinstance(field.validation_alias, str):
                names.add(field.validation_alias.upper())
    return names


def test_every_environment_variable_is_a_setting(tasks):
    known = _settings_env_names()
    for what, task in tasks.items():
        for name in [*task["environment"], *task["secrets"]]:
            assert name in known or name in PROCESS_ENV, f"{what}: {name} is no setting"


_VALUE_FROM = re.compile(r"(<aws_secretsmanager_secret\.(\w+)\.arn>)(?::(\w+)::)?")


def _secret_documents(private_key_pem: str) -> dict[str, str]:
    """What an operator puts in each secret, as secrets.tf documents it."""
    api_keys = {
        "api_keys": ["ui-key-12345", "runner-key-123", "snowflake-key-123"],
        "ui": "ui-key-12345",
        "runner": "runner-key-123",
    }
    documents = {"api_keys": json.dumps(api_keys)}
    for task, component in SNOWFLAKE_COMPONENTS.items():
        login = {
            "account": "xy12345.eu-west-1",
            "user": f"ANALYTICS_{task.upper()}",
            "private_key": private_key_pem,
        }
        documents[f"snowflake_{component}"] = json.dumps(login)
    return documents


def _with_env(
    monkeypatch: pytest.MonkeyPatch, task: dict[str, Any], documents: dict[str, str]
) -> None:
    """The task's environment as ECS sets it: plain values, then each secret's
    JSON key (a missing key fails the task, as it fails in ECS)."""
    for name in list(__import__("os").environ):
        if name.startswith(("ANALYTICS_", "SNOWFLAKE_", "REPORT_SERVICE_", "UI_", "QUESTIONS_")):
            monkeypatch.delenv(name)
    for name, value in task["environment"].items():
        monkeypatch.setenv(name, str(value))
    for name, value_from in task["secrets"].items():
        match = _VALUE_FROM.fullmatch(value_from)
        assert match, (name, value_from)
        document = documents[match.group(2)]
        value = json.loads(document)[match.group(3)] if match.group(3) else document
        monkeypatch.setenv(name, value if isinstance(value, str) else json.dumps(value))


def _key_pair_login(task: dict[str, Any]) -> dict[str, Any]:
    """connection_parameters of the task's settings: a key-pair login with the
    task's own role, warehouse and database."""
    params = connection_parameters(SnowflakeSettings())
    assert isinstance(params.get("private_key"), bytes) and params["private_key"]
    assert "password" not in params and "private_key_file" not in params
    env = task["environment"]
    assert params["role"] == env["SNOWFLAKE_ROLE"]
    assert params["warehouse"] == env["SNOWFLAKE_WAREHOUSE"]
    assert params["database"] == env["SNOWFLAKE_DATABASE"]
    return params


def test_every_required_setting_is_set(tasks, monkeypatch, local_values, private_key_pem):
    documents = _secret_documents(private_key_pem)
    report = tasks["report_service"]
    _with_env(monkeypatch, report, documents)
    service = ReportServiceSettings()
    assert service.warehouse == "snowflake"
    assert service.job_store == "dynamodb"
    assert service.dynamodb_table and service.s3_bucket and service.aws_region
    assert service.delivery_table and service.delivery_table != service.dynamodb_table
    # Keys come from Secrets Manager; without them the service would make a local key file.
    assert (
        service.api_keys_secret and "aws_secretsmanager_secret.api_keys" in service.api_keys_secret
    )
    _key_pair_login(report)  # raises when a required login value is missing
    assert Settings().home == Path(local_values["analytics_home"])
    assert Settings().events_url.startswith("s3://")

    ui = tasks["ui"]
    _with_env(monkeypatch, ui, documents)
    ui_settings = UISettings()
    assert ui_settings.warehouse == "snowflake"
    assert ui_settings.report_service_api_key
    assert ui_settings.report_service_url.startswith("http://")
    assert "module.load_balancing.nlb_dns_name" in ui_settings.report_service_url
    assert QuestionSettings().warehouse == "snowflake"
    _key_pair_login(ui)

    runner = tasks["dbt_runner"]
    _with_env(monkeypatch, runner, documents)
    _key_pair_login(runner)
    assert Settings().home == Path(local_values["analytics_home"])
    # The shipped schedule has an alert after a build: the runner evaluates it
    # on Snowflake and hands it to the service with its own key.
    assert local_values["runner_alerts"] is True
    scheduler = SchedulerSettings()
    assert scheduler.report_service_api_key == "runner-key-123"
    assert scheduler.report_service_url == ui_settings.report_service_url
    assert QuestionSettings().warehouse == "snowflake"
    assert DeliverySettings().ui_url.startswith("https://")


def test_writable_storage_and_non_root_containers(tasks, local_values):
    for what, task in tasks.items():
        assert task["user"] == "10001:10001", what
        mounts = set(task["writable_paths"].values())
        assert local_values["analytics_home"] in mounts and "/tmp" in mounts, what
        assert task["environment"]["ANALYTICS_HOME"] == local_values["analytics_home"]
        assert task["environment"]["TMPDIR"] in mounts
    body = resources(module_doc("ecs_task"))["aws_ecs_task_definition"]["this"]
    assert body["requires_compatibilities"] == ['"FARGATE"']
    source = (MODULES / "ecs_task" / "main.tf").read_text(encoding="utf-8")
    assert "readonlyRootFilesystem = true" in source
    assert re.search(r"privileged\s+= false", source)
    # The module refuses root.
    validation = named(module_doc("ecs_task"), "variable")["user"]["validation"][0]
    assert "root" in validation["condition"]


def test_secrets_are_defined_and_readable_by_ecs(root, tasks):
    secrets = resources(root)["aws_secretsmanager_secret"]
    for what, task in tasks.items():
        for name, value_from in task["secrets"].items():
            match = re.fullmatch(
                r"<aws_secretsmanager_secret\.(\w+)\.arn>(?::(\w+)::)?", value_from
            )
            assert match, (what, name, value_from)
            assert match.group(1) in secrets, (what, name)
            assert f"<aws_secretsmanager_secret.{match.group(1)}.arn>" in task["secret_arns"]
        assert set(task["secret_arns"]) <= {f"<aws_secretsmanager_secret.{s}.arn>" for s in secrets}
    for secret in secrets.values():
        assert secret["kms_key_id"] == "${aws_kms_key.platform.arn}"
        assert "aws_secretsmanager_secret_version" not in resources(root)  # never in state
    assert tasks["ui"]["secrets"]["REPORT_SERVICE_API_KEY"].endswith(":ui::")


def test_each_task_logs_in_with_a_key_pair_from_its_own_secret(
    root, tasks_by_environment, local_values
):
    """No password anywhere (the service users refuse them); every task that
    talks to Snowflake gets SNOWFLAKE_PRIVATE_KEY, SNOWFLAKE_ACCOUNT and
    SNOWFLAKE_USER from its own component's secret and may read no other."""
    keys = local_values["snowflake_login_keys"]
    assert keys == {
        "SNOWFLAKE_ACCOUNT": "account",
        "SNOWFLAKE_USER": "user",
        "SNOWFLAKE_PRIVATE_KEY": "private_key",
    }
    secrets = resources(root)["aws_secretsmanager_secret"]
    snowflake_secrets = {name for name in secrets if name.startswith("snowflake_")}
    assert snowflake_secrets == {f"snowflake_{c}" for c in SNOWFLAKE_COMPONENTS.values()}
    for name in snowflake_secrets:
        description = text(secrets[name]["description"])
        assert all(f'\\"{key}\\"' in description for key in keys.values()), description
        assert "password" not in description.lower()
    for environment, tasks in tasks_by_environment.items():
        assert set(tasks) == set(SNOWFLAKE_COMPONENTS)  # every task talks to Snowflake
        for what, task in tasks.items():
            where = (environment, what)
            names = {*task["environment"], *task["secrets"]}
            assert "SNOWFLAKE_PASSWORD" not in names, where
            assert not any("PASSWORD" in name for name in names), where
            # ECS fails a task whose secret lacks a referenced key: no optional passphrase.
            assert "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE" not in names, where
            assert "SNOWFLAKE_PRIVATE_KEY_PATH" not in names, where
            assert not SNOWFLAKE_LOGIN & set(task["environment"]), where
            own = f"<aws_secretsmanager_secret.snowflake_{SNOWFLAKE_COMPONENTS[what]}.arn>"
            login = {n: v for n, v in task["secrets"].items() if n.startswith("SNOWFLAKE_")}
            assert set(login) == SNOWFLAKE_LOGIN, where
            for name, value_from in login.items():
                match = _VALUE_FROM.fullmatch(value_from)
                assert match, (where, value_from)
                assert (match.group(1), match.group(3)) == (own, keys[name]), (where, name)
            readable = {arn for arn in task["secret_arns"] if "secret.snowflake_" in arn}
            assert readable == {own}, where


def _snowflake_tfvars(environment: str) -> dict[str, Any]:
    with (SNOWFLAKE / "environments" / f"{environment}.tfvars").open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def _snowflake_value(doc: dict[str, list[Any]], tfvars: dict[str, Any], expression: str) -> str:
    """What one expression of the Snowflake module's component_settings is in
    an environment: followed through its locals and resources to the
    environment's tfvars (or the variable's default)."""
    variables = named(doc, "variable")

    def var(name: str, key: str | None = None) -> str:
        value = tfvars[name] if name in tfvars else variables[name]["default"]
        return str(text(value if key is None else value[key]))

    found = resources(doc)
    if match := re.fullmatch(r'\$\{local\.role\["(\w+)"\]\}', expression):
        assert locals_of(doc)["role"] == (
            "${{for key, role in snowflake_account_role.platform : key => role.name}}"
        )
        role = found["snowflake_account_role"]["platform"]
        assert role["name"] == "${var.role_names[each.key]}"
        assert (
            match.group(1) in role["for_each"] or match.group(1) in locals_of(doc)["role_comments"]
        )
        return var("role_names", match.group(1))
    if match := re.fullmatch(r"\$\{snowflake_(warehouse|database)\.(\w+)\.name\}", expression):
        name = found[f"snowflake_{match.group(1)}"][match.group(2)]["name"]
        source = re.fullmatch(r"\$\{var\.(\w+)(?:\.(\w+))?\}", name)
        assert source, name
        return var(source.group(1), source.group(2))
    if match := re.fullmatch(r"\$\{lower\(snowflake_schema\.(\w+)\.name\)\}", expression):
        return str(text(found["snowflake_schema"][match.group(1)]["name"])).lower()
    raise AssertionError(f"cannot follow {expression!r} in the Snowflake module")


@pytest.mark.parametrize("environment", sorted(TFVARS))
def test_tasks_run_as_the_snowflake_modules_components(environment, tasks_by_environment):
    """Both modules parsed: each task's SNOWFLAKE_ROLE, SNOWFLAKE_WAREHOUSE,
    SNOWFLAKE_DATABASE (and reporting schema) are what the Snowflake module
    gives its component in the same environment: the reporter for the report
    service, the analyst for the UI, the transformer for the builds; and a
    service user of that role exists to put in the task's secret."""
    doc = load_tf(SNOWFLAKE)
    tfvars = _snowflake_tfvars(environment)
    assert text(tfvars["environment"]) == environment
    settings = named(doc, "output")["component_settings"]["value"]
    service_user_roles = [text(user["role"]) for user in tfvars["service_users"].values()]
    tasks = tasks_by_environment[environment]
    seen: dict[str, set[str]] = {"SNOWFLAKE_ROLE": set(), "SNOWFLAKE_WAREHOUSE": set()}
    for what, component in SNOWFLAKE_COMPONENTS.items():
        wanted = settings[component]
        role = re.fullmatch(r'\$\{local\.role\["(\w+)"\]\}', wanted["SNOWFLAKE_ROLE"])
        assert role and role.group(1) == COMPONENT_ROLES[component], (component, wanted)
        assert service_user_roles.count(role.group(1)) == 1, (environment, component)
        env = tasks[what]["environment"]
        assert {"SNOWFLAKE_ROLE", "SNOWFLAKE_WAREHOUSE", "SNOWFLAKE_DATABASE"} <= set(wanted)
        for name, expression in wanted.items():
            value = _snowflake_value(doc, tfvars, expression)
            assert env.get(name) == value, (environment, what, name, env.get(name), value)
        for name, values in seen.items():
            values.add(env[name])
    # one role and one warehouse per component
    assert all(len(values) == len(SNOWFLAKE_COMPONENTS) for values in seen.values()), seen


def test_snowflake_names_are_validated_as_the_snowflake_module_does(root):
    """The AWS variables accept exactly the identifiers the Snowflake module does."""
    pattern = re.compile(r'regex\("([^"]+)"')
    snowflake_variables = named(load_tf(SNOWFLAKE), "variable")
    wanted = set(
        pattern.findall(snowflake_variables["database_name"]["validation"][0]["condition"])
    )
    variables = named(root, "variable")
    for name in ("snowflake_database", "snowflake_components"):
        conditions = " ".join(v["condition"] for v in variables[name]["validation"])
        assert set(pattern.findall(conditions)) == wanted, name


def test_the_api_keys_secret_format_is_what_the_service_reads(monkeypatch):
    """secrets.tf documents {"api_keys": [...], "ui": "..."}: the service accepts every
    key of the list, and the UI's key is one of them."""
    import boto3

    from report_service.service import load_api_keys

    secret = json.dumps({"api_keys": ["ui-key-12345", "snowflake-key-123"], "ui": "ui-key-12345"})

    class FakeSecrets:
        def get_secret_value(self, SecretId: str) -> dict[str, str]:
            return {"SecretString": secret}

    monkeypatch.setattr(boto3, "client", lambda *a, **k: FakeSecrets())
    keys = load_api_keys(ReportServiceSettings(api_keys="", api_keys_secret="arn:secret"))
    assert keys == ["ui-key-12345", "snowflake-key-123"]
    assert json.loads(secret)["ui"] in keys
    doc = (AWS / "secrets.tf").read_text(encoding="utf-8")
    assert '{"api_keys": [' in doc and '"ui":' in doc


def test_stop_timeout_covers_the_graceful_shutdown(tmp_path, tasks, local_values):
    from report_service.app import ReportService
    from report_service.server import _config

    report = tasks["report_service"]
    grace = float(report["environment"]["REPORT_SERVICE_SHUTDOWN_GRACE_SECONDS"])
    assert grace == local_values["report_service_grace_seconds"]
    service = ReportServiceSettings(api_keys="test-key-123", shutdown_grace_seconds=grace)

    config = _config(service, ReportService(service, Settings(home=tmp_path), start_workers=False))
    # uvicorn drains requests for up to the grace, then the workers get it again.
    drain = config.timeout_graceful_shutdown
    assert drain == grace
    assert report["stop_timeout"] == drain + grace + 10
    assert report["stop_timeout"] <= 120
    lb = named(root_doc := load_tf(AWS), "module")["load_balancing"]
    assert lb["deregistration_delay"] == "${local.report_service_grace_seconds}"
    assert root_doc  # parsed


# -- IAM: only what the code calls ----------------------------------------------------------------
#: boto3 client method -> the IAM actions it needs (KMS for the SSE-KMS bucket
#: and the CMK-encrypted secret).
METHOD_ACTIONS: dict[str, set[str]] = {
    "put_item": {"dynamodb:PutItem"},
    "get_item": {"dynamodb:GetItem"},
    "query": {"dynamodb:Query"},
    "update_item": {"dynamodb:UpdateItem"},
    "create_table": {"dynamodb:CreateTable"},
    "describe_table": {"dynamodb:DescribeTable"},
    "update_table": {"dynamodb:UpdateTable"},
    "put_object": {"s3:PutObject", "kms:GenerateDataKey"},
    # managed transfer: multipart for large files (abort on failure; KMS decrypt to complete)
    "upload_file": {
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    },
    "get_object": {"s3:GetObject", "kms:Decrypt"},
    "download_file": {"s3:GetObject", "kms:Decrypt"},
    "generate_presigned_url": set(),  # the URL's operation is added below
    "get_secret_value": {"secretsmanager:GetSecretValue", "kms:Decrypt"},
    # SES v2 (the deliveries' mail): SES authorises SendEmail with raw MIME
    # content as ses:SendRawEmail as well as ses:SendEmail.
    "send_email": {"ses:SendEmail", "ses:SendRawEmail"},
}
#: Client methods that make no request.
LOCAL_METHODS = {"get_waiter", "close", "exceptions"}
#: Functions that run in tests and emulators only (DynamoJobStore.ensure_table,
#: DynamoDeliveryLedger.ensure_table).
TEST_ONLY_FUNCTIONS = {"ensure_table"}


def _boto3_style(call: ast.Call) -> bool:
    """Whether a call names its parameters as boto3 does (``FromEmailAddress=``):
    a client made elsewhere and passed in. smtplib, httpx and the warehouse
    clients take positional or snake_case arguments."""
    names = [k.arg for k in call.keywords if k.arg is not None]
    return bool(names) and all(name[:1].isupper() for name in names)


def _client_calls(paths: list[Path]) -> set[str]:
    """IAM actions of every boto3 client call in ``paths`` (by AST): every
    client call in a file that makes boto3 clients, and boto3-style calls on a
    client anywhere else (the SES client the delivery sender hands to the
    mail channel)."""
    actions: set[str] = set()
    for path in paths:
        source = path.read_text(encoding="utf-8")
        makes_clients = "boto3" in source
        tree = ast.parse(source)
        skipped: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in TEST_ONLY_FUNCTIONS:
                skipped |= {id(inner) for inner in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in skipped or not isinstance(node, ast.Call):
                continue
            func = node.func
            if not isinstance(func, ast.Attribute):
                continue
            owner = func.value
            owner_name = (
                owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            )
            if owner_name not in {"client", "_client"} or func.attr in LOCAL_METHODS:
                continue
            if func.attr == "client":  # boto3.client(...) itself
                continue
            if not makes_clients and not _boto3_style(node):
                continue
            assert func.attr in METHOD_ACTIONS, f"{path}: unmapped boto3 call {func.attr}"
            actions |= METHOD_ACTIONS[func.attr]
            if func.attr == "generate_presigned_url":
                operation = node.args[0]
                assert isinstance(operation, ast.Constant)
                actions |= METHOD_ACTIONS[str(operation.value)]
    return actions


def _python_files(*folders: str) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        target = PROJECT_ROOT / folder
        files += [target] if target.is_file() else sorted(target.rglob("*.py"))
    return files


def _policy_actions(doc: dict[str, list[Any]], name: str) -> tuple[set[str], list[str]]:
    policy = resources(doc, "data")["aws_iam_policy_document"][name]
    statements = list(policy.get("statement", []))
    for dynamic in policy.get("dynamic", []):
        for kind, body in dynamic.items():
            if text(kind) == "statement":
                statements += body["content"]
    actions: set[str] = set()
    resources_: list[str] = []
    for statement in statements:
        assert text(statement.get("effect", '"Allow"')) == "Allow"
        actions |= {text(a) for a in statement["actions"]}
        found = statement["resources"]
        resources_ += [str(r) for r in (found if isinstance(found, list) else [found])]
    return actions, resources_


def test_report_service_role_grants_exactly_what_its_code_calls(root, modules):
    called = _client_calls(_python_files("report_service", "analytics_core/events.py"))
    granted, where = _policy_actions(root, "report_service_task")
    assert granted == called
    assert "dynamodb:CreateTable" not in granted  # Terraform creates the table
    assert not any(text(r) == "*" for r in where)
    assert modules["report_service_task"]["task_policy_json"] == (
        "${data.aws_iam_policy_document.report_service_task.json}"
    )


def test_ui_and_builds_have_no_aws_permissions(tasks):
    # Neither the UI (ui/, questions/) nor the build (orchestration/build.py,
    # dbt_runner.py) calls an AWS API.
    assert _client_calls(_python_files("ui", "questions")) == set()
    assert (
        _client_calls(_python_files("orchestration/build.py", "orchestration/dbt_runner.py"))
        == set()
    )
    assert tasks["ui"]["task_policy_json"] is None
    assert tasks["dbt_runner"]["task_policy_json"] is None


def test_ci_policy_grants_exactly_what_publishing_calls(root):
    called = _client_calls(_python_files("orchestration/ci_artifacts.py"))
    granted, where = _policy_actions(root, "ci_artifacts")
    assert granted == called
    assert not any(text(r) == "*" for r in where)


def test_execution_roles_only_pull_log_and_inject():
    granted, _ = _policy_actions(module_doc("ecs_task"), "execution")
    assert granted == {
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "kms:Decrypt",
        "secretsmanager:GetSecretValue",
    }


# -- the tables -----------------------------------------------------------------------------------
class _RecordingClient:
    """Records ``create_table`` of DynamoJobStore.ensure_table (and the ledger's)."""

    class exceptions:
        class ResourceInUseException(Exception):
            pass

    def __init__(self) -> None:
        self.created: dict[str, Any] = {}

    def create_table(self, **kwargs: Any) -> None:
        self.created = kwargs

    def get_waiter(self, name: str) -> Any:
        class Waiter:
            def wait(self, **kwargs: Any) -> None:
                pass

        return Waiter()


def _assert_table_is(table: dict[str, Any], wanted: dict[str, Any]) -> None:
    """The Terraform table has the key, attributes, indexes (with their
    projections) and billing of ``CreateTable``'s arguments."""
    assert text(table["billing_mode"]) == wanted["BillingMode"]
    assert [{"AttributeName": text(table["hash_key"]), "KeyType": "HASH"}] == wanted["KeySchema"]
    assert "range_key" not in table
    assert {text(a["name"]): text(a["type"]) for a in table["attribute"]} == {
        a["AttributeName"]: a["AttributeType"] for a in wanted["AttributeDefinitions"]
    }
    got_indexes = {
        text(i["name"]): (
            text(i["hash_key"]),
            text(i["range_key"]),
            text(i["projection_type"]),
            sorted(text(a) for a in i.get("non_key_attributes", [])),
        )
        for i in table["global_secondary_index"]
    }
    want_indexes = {
        i["IndexName"]: (
            next(k["AttributeName"] for k in i["KeySchema"] if k["KeyType"] == "HASH"),
            next(k["AttributeName"] for k in i["KeySchema"] if k["KeyType"] == "RANGE"),
            i["Projection"]["ProjectionType"],
            sorted(i["Projection"].get("NonKeyAttributes", [])),
        )
        for i in wanted["GlobalSecondaryIndexes"]
    }
    assert got_indexes == want_indexes
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["kms_key_arn"] == "${var.kms_key_arn}"
    assert table["deletion_protection_enabled"] == "${var.deletion_protection}"


def test_delivery_table_is_the_schema_the_delivery_ledger_uses():
    from report_service.delivery.ledger_dynamodb import DynamoDeliveryLedger

    client = _RecordingClient()
    DynamoDeliveryLedger("deliveries", client).ensure_table()
    tables = resources(module_doc("storage"))["aws_dynamodb_table"]
    _assert_table_is(tables["deliveries"], client.created)
    assert tables["deliveries"]["name"] == "${var.delivery_table_name}"


def test_job_table_is_the_schema_the_job_store_uses():
    from report_service.stores.dynamodb import DynamoJobStore

    client = _RecordingClient()
    DynamoJobStore("jobs", client).ensure_table()
    wanted = client.created
    table = resources(module_doc("storage"))["aws_dynamodb_table"]["jobs"]
    _assert_table_is(table, wanted)


def test_the_service_uses_the_table_terraform_creates(tasks, modules, local_values):
    env = tasks["report_service"]["environment"]
    assert env["REPORT_SERVICE_DYNAMODB_TABLE"] == "<module.storage.job_table_name>"
    assert modules["storage"]["job_table_name"] == "${local.job_table_name}"
    assert env["REPORT_SERVICE_DELIVERY_TABLE"] == "<module.storage.delivery_table_name>"
    assert modules["storage"]["delivery_table_name"] == "${local.delivery_table_name}"
    assert local_values["delivery_table_name"] != local_values["job_table_name"]


def test_each_table_is_reached_only_by_its_own_statement(root):
    """The job store's and the ledger's DynamoDB calls each on their own
    table and its indexes; no other statement grants DynamoDB."""
    policy = resources(root, "data")["aws_iam_policy_document"]["report_service_task"]
    dynamodb = {
        text(s["sid"]): ({text(a) for a in s["actions"]}, [text(r) for r in s["resources"]])
        for s in policy["statement"]
        if any(text(a).startswith("dynamodb:") for a in s["actions"])
    }
    calls = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}
    assert dynamodb == {
        "JobStore": (
            calls,
            ["${module.storage.job_table_arn}", "${module.storage.job_table_arn}/index/*"],
        ),
        "DeliveryLedger": (
            calls,
            [
                "${module.storage.delivery_table_arn}",
                "${module.storage.delivery_table_arn}/index/*",
            ],
        ),
    }


# -- the schedule ---------------------------------------------------------------------------------
_EB_DOW = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def _eb_field(field: str, value: int, low: int, names: dict[str, int] | None = None) -> bool:
    """Whether ``value`` is in one field of an EventBridge cron (the subset we emit)."""
    if field in ("*", "?"):
        return True
    for item in field.split(","):
        item = item.upper()
        if names and item in names:
            if names[item] == value:
                return True
            continue
        step = 1
        if "/" in item:
            item, step_text = item.split("/")
            step = int(step_text)
            start, end = (low, 10**6) if item == "*" else (int(item), 10**6)
            if "-" in item:
                start, end = (int(x) for x in item.split("-"))
        elif "-" in item:
            start, end = (int(x) for x in item.split("-"))
        else:
            start = end = int(item)
        if start <= value <= end and (value - start) % step == 0:
            return True
    return False


def _eventbridge_matches(expression: str, at: datetime) -> bool:
    match = re.fullmatch(r"cron\((.+)\)", expression)
    assert match, expression
    minute, hour, dom, month, dow, year = match.group(1).split()
    assert year == "*"
    assert (dom == "?") != (dow == "?"), f"exactly one day field is ? in {expression}"
    eb_dow = (at.weekday() + 1) % 7 + 1  # Sunday 1 ... Saturday 7
    return (
        _eb_field(minute, at.minute, 0)
        and _eb_field(hour, at.hour, 0)
        and _eb_field(dom, at.day, 1)
        and _eb_field(month, at.month, 1)
        and _eb_field(dow, eb_dow, 1, _EB_DOW)
    )


#: A Sunday, with a month end and a leap day within the window.
WINDOW_START = datetime(2028, 1, 30, tzinfo=UTC)


def _minutes(days: int) -> Iterator[datetime]:
    assert calendar.weekday(WINDOW_START.year, WINDOW_START.month, WINDOW_START.day) == 6
    for offset in range(days * 24 * 60):
        yield WINDOW_START + timedelta(minutes=offset)


def _assert_same_times(cron: str, expression: str, days: int = 45) -> None:
    """Every minute of ``days`` days: EventBridge fires exactly when cron does."""
    end = WINDOW_START + timedelta(days=days)
    runs = croniter(cron, WINDOW_START - timedelta(minutes=1))
    want: set[datetime] = set()
    while (at := runs.get_next(datetime)) < end:
        want.add(at)
    got = {at for at in _minutes(days) if _eventbridge_matches(expression, at)}
    assert want, cron
    assert got == want, (cron, expression, sorted(got ^ want)[:5])


def test_build_schedules_are_the_schedule_file(local_values):
    schedule = load_schedule(PROJECT_ROOT / "analytics_core" / "schedules.yml")
    expressions = local_values["build_schedule_expressions"]
    commands = local_values["build_commands"]
    assert local_values["build_schedule_errors"] == []
    assert set(expressions) == set(commands) == {job.name for job in schedule.builds}
    for job in schedule.builds:
        alerts = ["--alerts-after", job.name] if schedule.alerts_after(job.name) else []
        assert commands[job.name] == ["build", "--target", "prod", *job.build_args(), *alerts]
        _assert_same_times(job.cron, expressions[job.name])
    assert any("--alerts-after" in c for c in commands.values())  # the shipped file has one


@pytest.mark.parametrize(
    ("alerts", "expected"),
    [
        ("", set()),
        ("alerts:\n", set()),
        ("alerts:\n  - {name: a, after: one}\n", {"one"}),
        ("alerts:\n  - {name: a, after: [one, three]}\n", {"one", "three"}),
        ("alerts:\n  - {name: a, after: one}\n  - {name: b}\n", {"one", "two", "three"}),
        ("alerts:\n  - {name: a, after: []}\n", {"one", "two", "three"}),
    ],
)
def test_a_build_runs_the_alerts_that_follow_it(tmp_path, alerts, expected):
    """Terraform's reading of `after` is Alert.runs_after's: one name, a list,
    or none (every build)."""
    lines = ["builds:"]
    lines += [f"  - {{name: {name}, cron: '0 5 * * *'}}" for name in ("one", "two", "three")]
    text = "\n".join(lines) + "\n" + alerts
    console = Console(tmp_path, AWS, ["schedule.tf"], {"analytics_core/schedules.yml": text})
    commands, runner_alerts = console.evaluate(["local.build_commands", "local.runner_alerts"])
    followed = {name for name, c in commands.items() if "--alerts-after" in c}
    assert followed == expected
    assert runner_alerts is bool(expected)
    for name in followed:
        assert commands[name][-2:] == ["--alerts-after", name]


_MORE_CRONS = {
    "weekdays": "0 8 * * 1-5",
    "sundays_both": "0 8 * * 0,7",
    "names": "30 6 * * mon,FRI",
    "monthly": "0 7 1 * *",
    "stepped": "*/20 */6 * * *",
    "every_other_day": "0 0 * * */2",
    "weekend_range": "15 3 * * 5-7",
    "stepped_range": "0 12 * * 1-5/2",
    "day_step": "0 1 */10 * *",
    "stepped_to_sunday": "0 0 * * 3-7/2",
}
_BAD_CRONS = {
    "both_days": "0 7 1 * 1",
    "four_fields": "0 7 * *",
    "wrapping": "0 0 * * 5-2",
    "nonsense": "0 0 * * x",
}


def _schedule_console(tmp_path: Path, crons: dict[str, str]) -> Console:
    lines = ["builds:"]
    for name, cron in crons.items():
        lines.append(f'  - {{name: "{name}", cron: "{cron}", full_refresh: false}}')
    return Console(
        tmp_path,
        AWS,
        ["schedule.tf"],
        {"analytics_core/schedules.yml": "\n".join(lines) + "\n"},
    )


@pytest.mark.slow  # processes, emulators or dbt: over 15 s in the fast lane
def test_cron_conversion_keeps_every_run_time(tmp_path):
    console = _schedule_console(tmp_path, _MORE_CRONS)
    expressions, errors = console.evaluate(
        ["local.build_schedule_expressions", "local.build_schedule_errors"]
    )
    assert errors == []
    assert set(expressions) == set(_MORE_CRONS)
    for name, cron in _MORE_CRONS.items():
        _assert_same_times(cron, expressions[name])


def test_cron_the_conversion_cannot_express_is_refused(tmp_path):
    console = _schedule_console(tmp_path, _BAD_CRONS)
    expressions, errors = console.evaluate(
        ["local.build_schedule_expressions", "local.build_schedule_errors"]
    )
    assert expressions == {}
    assert len(errors) == len(_BAD_CRONS)
    for name in _BAD_CRONS:
        assert any(error.startswith(f"builds {name}:") for error in errors), name
    # main.tf refuses to plan while there are errors.
    check = resources(load_tf(AWS))["terraform_data"]["schedule_file_check"]
    condition = check["lifecycle"][0]["precondition"][0]["condition"]
    assert condition == "${length(local.build_schedule_errors) == 0}"


def test_schedules_run_the_dbt_runner_with_their_arguments(modules):
    builds = modules["scheduled_builds"]
    assert builds["schedules"] == "${terraform_data.schedule_file_check.output}"
    assert builds["commands"] == "${local.build_commands}"
    assert builds["task_definition_arn"] == "${module.dbt_runner_task.task_definition_arn}"
    check = resources(load_tf(AWS))["terraform_data"]["schedule_file_check"]
    assert check["input"] == "${local.build_schedule_expressions}"
    target = resources(module_doc("scheduled_build"))["aws_cloudwatch_event_target"]["build"]
    assert "containerOverrides" in target["input"]
    assert "var.commands[each.key]" in target["input"]
    assert modules["dbt_runner_task"]["entry_point"] == ['"analytics"']


# -- alarms ---------------------------------------------------------------------------------------
def _warning_messages(path: Path) -> set[str]:
    messages: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"warning", "error", "exception"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            messages.add(str(node.args[0].value))
    return messages


def test_job_failure_alarm_counts_the_lines_the_worker_logs(modules):
    messages = [text(m) for m in modules["alarms"]["job_failure_messages"]]
    logged = _warning_messages(PROJECT_ROOT / "report_service" / "worker.py")
    assert set(messages) <= logged
    # Every terminal failure message, and no retry.
    assert {m for m in logged if m.startswith("job failed") and "retry" not in m} == set(messages)
    alarms = resources(module_doc("alarms"))
    assert "aws_cloudwatch_log_metric_filter" in alarms
    kinds = {text(a["metric_name"]) for a in alarms["aws_cloudwatch_metric_alarm"].values()}
    assert {"HTTPCode_ELB_5XX_Count", "UnHealthyHostCount"} <= kinds
    for alarm in alarms["aws_cloudwatch_metric_alarm"].values():
        assert alarm["alarm_actions"] == "${local.actions}"


# -- outputs, variables, formatting, checkov ------------------------------------------------------
def test_outputs_include_what_snowflake_ddl_reads(root):
    outputs = named(root, "output")
    assert set(TERRAFORM_OUTPUTS) <= set(outputs)
    assert outputs["api_gateway_url"]["value"] == "${module.api_gateway.invoke_url}"
    assert outputs["snowflake_api_role_arn"]["value"] == "${module.api_gateway.snowflake_role_arn}"


def test_api_gateway_is_iam_authenticated_and_limited_to_snowflakes_role():
    gateway = resources(module_doc("api_gateway"))
    method = gateway["aws_api_gateway_method"]["route"]
    assert text(method["authorization"]) == "AWS_IAM"
    assert text(method["http_method"]) == "POST"
    integration = gateway["aws_api_gateway_integration"]["route"]
    assert text(integration["connection_type"]) == "VPC_LINK"
    source = (MODULES / "api_gateway" / "main.tf").read_text(encoding="utf-8")
    assert (
        "sts:ExternalId" in source
        and "assumed-role/${local.snowflake_role_name}/snowflake" in source
    )
    nlb = resources(module_doc("load_balancing"))["aws_lb"]["internal"]
    assert nlb["internal"] is True and text(nlb["load_balancer_type"]) == "network"


def test_environment_files_pass_the_variable_validations(console):
    for tfvars in (DEV_TFVARS, PROD_TFVARS):
        environment, schedules = console.evaluate(
            ["var.environment", "local.build_schedule_expressions"], tfvars, SECRET
        )
        assert environment in tfvars.name
        assert schedules


_COMPONENTS_HCL = (
    "{{report_service = {{role = {0}, warehouse = {1}}}, "
    'ui = {{role = "ANALYST", warehouse = "ANALYSIS_WH"}}, '
    'dbt = {{role = "TRANSFORMER", warehouse = "ANALYTICS_WH"}}}}'
)
BAD_VALUES = [
    ("snowflake_database", '"analytics_platform"'),
    ("snowflake_database", '"ANALYTICS_PLATFORM; DROP DATABASE X"'),
    ("snowflake_components", _COMPONENTS_HCL.format('"reporter"', '"REPORTING_WH"')),
    ("snowflake_components", _COMPONENTS_HCL.format('"REPORTER\\"X"', '"REPORTING_WH"')),
    ("snowflake_components", _COMPONENTS_HCL.format('"REPORTER"', '"REPORTING WH"')),
    # one role and one warehouse per component
    ("snowflake_components", _COMPONENTS_HCL.format('"ANALYST"', '"REPORTING_WH"')),
    ("snowflake_components", _COMPONENTS_HCL.format('"REPORTER"', '"ANALYTICS_WH"')),
]
BAD_VALUES += {
    "vpc_id": '"vpc-123"',
    "private_subnet_ids": '["subnet-0a1b2c3d4e5f60721"]',
    "public_subnet_ids": '["subnet-0a1b2c3d", "sg-0a1b2c3d"]',
    "alb_ingress_cidrs": '["10.0.0.0/33"]',
    "task_egress_cidrs": '["everywhere"]',
    "certificate_arn": '"arn:aws:iam::111122223333:server-certificate/x"',
    "snowflake_iam_user_arn": '"arn:aws:iam::1234:role/snowflake"',
    "alarm_sns_topic_arn": '"arn:aws:sqs:eu-west-1:111122223333:q"',
    "oidc_issuer": '"http://login.example.com"',
    "image_tag": '"latest"',
    "container_user": '"0:0"',
    "environment": '"qa"',
    "log_retention_days": "30",
    "docs_hostname": '"Docs_Site.example.com"',
    "report_service": "{shutdown_grace_seconds = 90}",
}.items()


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_variable_validation_refuses_bad_input(console, name, value):
    with pytest.raises(ConsoleError) as refused:
        console.evaluate(["var.environment"], DEV_TFVARS, {**SECRET, name: value})
    message = str(refused.value)
    assert "Invalid value for variable" in message
    assert f"var.{name}" in message


def test_every_variable_has_a_description_and_type(root):
    for name, body in named(root, "variable").items():
        assert text(body.get("description", "")), name
        assert "type" in body, name


def test_terraform_fmt():
    result = terraform(
        "fmt", "-recursive", "-check", "-diff", "infra/terraform/aws", cwd=PROJECT_ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_checkov_finds_nothing_and_every_skip_says_why():
    import subprocess

    for path in AWS.rglob("*.tf"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "checkov:skip=" in line:
                assert re.search(r"checkov:skip=CKV2?_AWS_\d+: \S.{15,}", line), f"{path}: {line}"
    result = subprocess.run(
        [
            *uv_command(),
            *("tool", "run", "--from", "checkov>=3.2,<4", "checkov", "-d", str(AWS)),
            *("--framework", "terraform", "--quiet", "--compact", "--output", "json"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    assert failed == [], [(c["check_id"], c["resource"], c["file_path"]) for c in failed]
    summary = reports[0]["summary"]
    assert summary["parsing_errors"] == 0 and summary["passed"] > 0
