"""The Snowflake Terraform module (infra/terraform/snowflake), read as HCL.

No provider can be downloaded here, so nothing is planned: the tests parse
the module with python-hcl2 and check what a review would check by hand.
The schemas are dbt's; each role has what its component uses and nothing
else (the report service's role reads `reporting` and nothing more); every
warehouse suspends itself; no credential is in the code; the names in the
environment files are the ones the code uses by default; every identifier
variable is validated, and the validation regexes are run here, as
Terraform would run them, against good and hostile values. `terraform fmt`
and checkov run when they are available.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from hcl2 import SerializationOptions

from tests.infra.tools import CHECKOV

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "infra" / "terraform" / "snowflake"
ENVIRONMENTS = ("dev", "prod")
ROLE_KEYS = {"transformer", "reporter", "analyst", "loader", "deployer", "operator"}
GRANT = "snowflake_grant_privileges_to_account_role"
#: Privileges that read or merely reach something; everything else writes or creates.
READ_PRIVILEGES = {"USAGE", "SELECT", "REFERENCES", "MONITOR"}

_OPTIONS = SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)


# ------------------------------------------------------------------ reading


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=_OPTIONS)


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    body: dict[str, Any]
    file: str

    @property
    def text(self) -> str:
        """The body as one string, for finding references in it."""
        return json.dumps(self.body)


@cache
def module() -> dict[str, Any]:
    """Every top-level block of the module's .tf files, merged."""
    merged: dict[str, Any] = {"resource": [], "variable": {}, "output": {}, "locals": {}}
    for path in sorted(MODULE.glob("*.tf")):
        parsed = _load(path)
        for block in parsed.get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    merged["resource"].append(Resource(rtype, name, body, path.name))
        for block in parsed.get("variable", []):
            merged["variable"].update(block)
        for block in parsed.get("output", []):
            merged["output"].update(block)
        for block in parsed.get("locals", []):
            merged["locals"].update(block)
        for key in ("terraform", "provider"):
            merged.setdefault(key, []).extend(parsed.get(key, []))
    return merged


def resources(rtype: str) -> list[Resource]:
    return [r for r in module()["resource"] if r.type == rtype]


def resource(rtype: str, name: str) -> Resource:
    found = [r for r in resources(rtype) if r.name == name]
    assert found, f"no {rtype}.{name} in {MODULE}"
    return found[0]


@cache
def tfvars(environment: str) -> dict[str, Any]:
    return _load(MODULE / "environments" / f"{environment}.tfvars")


def default(variable: str) -> Any:
    return module()["variable"][variable].get("default")


def setting(environment: str, variable: str) -> Any:
    """A variable's value in an environment: its tfvars, else its default."""
    values = tfvars(environment)
    return values[variable] if variable in values else default(variable)


def _for_each_keys(body: dict[str, Any]) -> list[str]:
    for_each = body.get("for_each")
    if isinstance(for_each, dict):
        return list(for_each)
    if isinstance(for_each, str) and for_each.startswith("${toset(["):
        return re.findall(r'"(\w+)"', for_each)
    raise AssertionError(f"cannot read the keys of for_each {for_each!r}")


def role_keys(res: Resource, attribute: str = "account_role_name") -> list[str]:
    """The platform roles (keys of var.role_names) an attribute names."""
    value = res.body.get(attribute, "")
    if m := re.fullmatch(r'\$\{local\.role\["(\w+)"\]\}', value):
        return [m.group(1)]
    if value == "${local.role[each.key]}":
        return _for_each_keys(res.body)
    if value == "${local.role[each.value.role]}":
        return []  # users: checked on their own
    if value == "${each.value.name}":
        return []  # the role hierarchy: checked on its own
    raise AssertionError(f"{res.type}.{res.name}: {attribute} {value!r} is not a platform role")


def targets(res: Resource) -> set[str]:
    """What a grant is on: ``schema.reporting``, ``warehouse.analysis``,
    ``database.platform``, ``account``, ``integration``."""
    found = {
        f"{kind}.{name}"
        for kind, name in re.findall(r"snowflake_(schema|warehouse|database)\.(\w+)", res.text)
    }
    if res.body.get("on_account") is True:
        found.add("account")
    if "var.events_storage_integration" in res.text:
        found.add("integration")
    return found


def grants_of(role: str) -> list[Resource]:
    return [g for g in resources(GRANT) if role in role_keys(g)]


def privileges(res: Resource) -> set[str]:
    value = res.body.get("privileges")
    if value == "${local.dbt_schema_privileges}":
        return set(module()["locals"]["dbt_schema_privileges"])
    if isinstance(value, str) and value.startswith("${concat(local.dbt_schema_privileges, ["):
        extra = re.findall(r'"([A-Z ]+)"', value)
        return set(module()["locals"]["dbt_schema_privileges"]) | set(extra)
    assert isinstance(value, list), f"{res.name}: privileges {value!r}"
    return set(value)


# ------------------------------------------------------------ the module


def test_the_module_pins_the_official_snowflake_provider() -> None:
    blocks = module()["terraform"]
    providers = [p for block in blocks for p in block.get("required_providers", [])]
    snowflake = next(p["snowflake"] for p in providers if "snowflake" in p)
    assert snowflake["source"] == "snowflakedb/snowflake"
    assert re.fullmatch(r"~> 2\.\d+", snowflake["version"]), snowflake["version"]
    # credentials come from the environment: the provider blocks name a role only
    for block in module()["provider"]:
        for config in block.values():
            assert set(config) <= {"alias", "role"}, config


def _dbt_production_schemas() -> set[str]:
    """The schemas dbt builds into and reads from on its production targets."""
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    schemas: set[str] = set()

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "+schema":
                    yield value
                else:
                    yield from walk(value)

    for section in ("models", "seeds", "snapshots"):
        schemas.update(walk(project.get(section, {})))
    for sql in (ROOT / "dbt_project" / "models").rglob("*.sql"):
        schemas.update(
            re.findall(r"config\([^)]*schema\s*=\s*'(\w+)'", sql.read_text(encoding="utf-8"))
        )
    for source_file in (ROOT / "dbt_project" / "models").rglob("*.yml"):
        sources = yaml.safe_load(source_file.read_text(encoding="utf-8")) or {}
        for source in sources.get("sources", []):
            schema = source.get("schema", "")
            # "{{ 'monitoring_raw' if target.name in var('production_targets') else ... }}"
            templated = re.search(r"'(\w+)' if target\.name in var\('production_targets'\)", schema)
            schemas.add(templated.group(1) if templated else schema)
    return schemas


def test_the_schemas_are_exactly_the_ones_dbt_uses_in_production() -> None:
    dbt = _dbt_production_schemas()
    assert {"raw_data", "processed_data", "reporting", "monitoring", "monitoring_raw"} <= dbt
    terraform = {r.body["name"] for r in resources("snowflake_schema")}
    assert all(name == name.upper() for name in terraform), "unquoted names are upper case"
    assert {name.lower() for name in terraform} == dbt
    for schema in resources("snowflake_schema"):
        assert schema.body["database"] == "${snowflake_database.platform.name}"
        # the resource is named after dbt's schema, so grants read plainly
        assert schema.name == schema.body["name"].lower()


def test_the_report_service_role_reads_reporting_and_nothing_else() -> None:
    grants = grants_of("reporter")
    assert grants, "the reporter role has no grants"
    seen: set[tuple[str, frozenset[str]]] = set()
    for grant in grants:
        privs = privileges(grant)
        where = targets(grant)
        assert privs <= {"USAGE", "SELECT"}, f"{grant.name}: {privs}"
        assert not grant.body.get("with_grant_option"), grant.name
        assert not grant.body.get("all_privileges"), grant.name
        if "SELECT" in privs:
            assert privs == {"SELECT"}
            assert where == {"schema.reporting"}, f"{grant.name} selects from {where}"
        else:
            assert where <= {"database.platform", "schema.reporting", "warehouse.reporting"}, (
                f"{grant.name}: usage of {where}"
            )
        seen.add((" ".join(sorted(privs)), frozenset(where)))
    # usage of the database, of reporting, and of exactly one warehouse: its own
    assert ("USAGE", frozenset({"database.platform"})) in seen
    assert ("USAGE", frozenset({"schema.reporting"})) in seen
    warehouses = {t for _, where in seen for t in where if t.startswith("warehouse.")}
    assert warehouses == {"warehouse.reporting"}
    # SELECT on the tables and views there now and in the future
    select = resource(GRANT, "reporter_reporting_select")
    scopes = module()["locals"]["select_scopes"]
    assert select.body["for_each"] == "${local.select_scopes}"
    assert {(s["scope"], s["plural"]) for s in scopes.values()} == {
        ("all", "TABLES"),
        ("all", "VIEWS"),
        ("future", "TABLES"),
        ("future", "VIEWS"),
    }
    # it inherits nothing: no role and no database role is granted to it
    for hierarchy in resources("snowflake_grant_account_role") + resources(
        "snowflake_grant_database_role"
    ):
        if "parent_role_name" in hierarchy.body and hierarchy.name != "platform_to_parent":
            assert "reporter" not in role_keys(hierarchy, "parent_role_name"), hierarchy.name


def test_no_role_writes_outside_what_its_component_builds() -> None:
    allowed_writes = {
        # dbt builds its schemas (and prefixed ones on other targets); it only reads raw_data
        "transformer": {
            "database.platform",
            "schema.processed_data",
            "schema.reporting",
            "schema.monitoring",
            "schema.monitoring_raw",
        },
        "loader": {"schema.raw_data", "database.platform"},
        # the DDL's API integration, functions and tasks (see the next test)
        "deployer": {"account", "database.platform", "schema.reporting"},
        "reporter": set(),
        "analyst": set(),
        "operator": set(),
    }
    for grant in resources(GRANT):
        assert not grant.body.get("all_privileges"), f"{grant.name} grants ALL"
        for role in role_keys(grant):
            writes = privileges(grant) - READ_PRIVILEGES
            if writes:
                assert targets(grant) <= allowed_writes[role], (
                    f"{grant.name}: {role} gets {writes} on {targets(grant)}"
                )
                assert "OWNERSHIP" not in writes
    transformer_raw = [g for g in grants_of("transformer") if "schema.raw_data" in targets(g)]
    assert transformer_raw and all(privileges(g) <= {"USAGE", "SELECT"} for g in transformer_raw)
    # the only grant option is the deployer's, for what the DDL grants on
    for grant in resources(GRANT):
        if grant.body.get("with_grant_option"):
            assert role_keys(grant) == ["deployer"], grant.name
    assert not resources("snowflake_grant_ownership")


def test_the_deployer_can_run_exactly_what_analytics_snowflake_ddl_renders() -> None:
    from analytics_core.schedules import load_schedule
    from orchestration.snowflake_ddl import DeployInputs, render_statements

    prod = tfvars("prod")
    inputs = DeployInputs(
        gateway_url="https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        role_arn="arn:aws:iam::123456789012:role/analytics-snowflake-api",
        database=prod["database_name"],
        operator_role=prod["role_names"]["operator"],
    )
    statements = render_statements(load_schedule(), inputs)
    deployer = grants_of("deployer")
    held = {
        (p, frozenset(targets(g))): bool(g.body.get("with_grant_option"))
        for g in deployer
        for p in privileges(g)
    }

    def has(privilege: str, target: str, *, grant_option: bool = False) -> bool:
        ok = held.get((privilege, frozenset({target})))
        return ok is not None and (ok or not grant_option)

    for statement in statements:
        head = " ".join(statement.split()[:4]).upper()
        if head.startswith("CREATE API INTEGRATION"):
            assert has("CREATE INTEGRATION", "account")
        elif head.startswith("CREATE SCHEMA IF NOT EXISTS"):
            assert has("CREATE SCHEMA", "database.platform")
        elif head.startswith(("CREATE OR REPLACE EXTERNAL", "CREATE OR REPLACE FUNCTION")):
            assert has("CREATE FUNCTION", "schema.reporting")
        elif head.startswith("CREATE OR ALTER TASK"):
            assert has("CREATE TASK", "schema.reporting")
        elif m := re.match(r"GRANT (.+) ON ACCOUNT TO ROLE", statement):
            assert has(m.group(1), "account", grant_option=True), statement
        elif statement.startswith("GRANT USAGE ON DATABASE"):
            assert has("USAGE", "database.platform", grant_option=True)
        elif statement.startswith("GRANT USAGE ON SCHEMA"):
            assert has("USAGE", "schema.reporting", grant_option=True)
        # ALTER of its own integration and tasks, grants on what it owns: ownership


def test_every_warehouse_suspends_itself_within_bounds() -> None:
    warehouses = resources("snowflake_warehouse")
    assert {w.name for w in warehouses} == {"load", "transform", "reporting", "analysis"}
    for warehouse in warehouses:
        body = warehouse.body
        assert body["auto_suspend"] == f"${{var.warehouse_auto_suspend_seconds.{warehouse.name}}}"
        assert body["auto_resume"] == "true"
        assert body["initially_suspended"] is True
        assert body["statement_timeout_in_seconds"].startswith(
            "${var.warehouse_statement_timeout_seconds."
        )
        assert "max_cluster_count" not in body
    condition = module()["variable"]["warehouse_auto_suspend_seconds"]["validation"][0]["condition"]
    assert "seconds >= 60 && seconds <= 3600" in condition
    for environment in ENVIRONMENTS:
        seconds = setting(environment, "warehouse_auto_suspend_seconds")
        assert set(seconds) == {w.name for w in warehouses}
        assert all(60 <= value <= 3600 for value in seconds.values()), seconds
        timeouts = setting(environment, "warehouse_statement_timeout_seconds")
        assert all(30 <= value <= 14400 for value in timeouts.values()), timeouts


_SECRET_ATTRIBUTES = re.compile(r"password|passphrase|private_key|secret|token", re.I)
_LONG_BASE64 = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")


def _attributes(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}.{key}", value
            yield from _attributes(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _attributes(item, f"{path}[{index}]")


def test_no_password_key_or_secret_is_written_in_the_code() -> None:
    files = [*MODULE.glob("*.tf"), *MODULE.glob("environments/*.tfvars")]
    assert len(files) >= 8
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "-----BEGIN" not in text, path
        parsed = _load(path)
        for name, value in _attributes(parsed):
            leaf = name.rsplit(".", 1)[-1]
            if leaf in {"description", "error_message", "comment"}:
                continue
            if _SECRET_ATTRIBUTES.search(leaf):
                raise AssertionError(f"{path.name}: attribute {name} looks like a credential")
            if isinstance(value, str) and not value.startswith("${"):
                assert not _LONG_BASE64.search(value), f"{path.name}: {name} holds a key"
    # users are service users (Snowflake refuses passwords for them), key pair only
    assert not resources("snowflake_user") and not resources("snowflake_legacy_service_user")
    user = resource("snowflake_service_user", "platform")
    assert user.body["rsa_public_key"] == "${lookup(var.service_user_public_keys, each.key, null)}"
    assert user.body["default_secondary_roles_option"] == "NONE"
    for environment in ENVIRONMENTS:
        assert "service_user_public_keys" not in tfvars(environment)


# --------------------------------------------- names the code expects


def _profile_default(variable: str) -> str:
    text = (ROOT / "profiles.yml.example").read_text(encoding="utf-8")
    found = re.search(rf"env_var\('{variable}', '(\w+)'\)", text)
    assert found, f"profiles.yml.example has no default for {variable}"
    return found.group(1)


def test_production_names_are_the_codes_defaults() -> None:
    from analytics_core.settings import QuestionSettings, ReportServiceSettings, SnowflakeSettings
    from orchestration.snowflake_ddl import DeployInputs

    prod = tfvars("prod")
    fields = SnowflakeSettings.model_fields
    # unquoted identifiers in SQL are upper case: the code's defaults, upper-cased
    assert prod["database_name"] == str(fields["database"].default).upper()
    assert prod["database_name"] == _profile_default("SNOWFLAKE_DATABASE").upper()
    assert prod["warehouse_names"]["transform"] == str(fields["warehouse"].default).upper()
    assert prod["warehouse_names"]["transform"] == _profile_default("SNOWFLAKE_WAREHOUSE").upper()
    assert prod["role_names"]["transformer"] == _profile_default("SNOWFLAKE_ROLE").upper()
    assert prod["role_names"]["operator"] == DeployInputs.operator_role.upper()
    reporting = resource("snowflake_schema", "reporting").body["name"]
    assert ReportServiceSettings.model_fields["reporting_schema"].default.upper() == reporting
    assert QuestionSettings.model_fields["reporting_schema"].default.upper() == reporting
    assert DeployInputs.schema.upper() == reporting
    # the variables' defaults are production's names
    assert default("role_names") == prod["role_names"]


def test_the_outputs_feed_the_components_and_the_ddl_command() -> None:
    from typer.testing import CliRunner

    from orchestration.cli import app

    outputs = module()["output"]
    assert {"database_name", "role_names", "component_settings", "snowflake_ddl_arguments"} <= set(
        outputs
    )
    settings = outputs["component_settings"]["value"]
    assert settings["report_service"]["SNOWFLAKE_ROLE"] == '${local.role["reporter"]}'
    assert (
        settings["report_service"]["SNOWFLAKE_WAREHOUSE"] == "${snowflake_warehouse.reporting.name}"
    )
    assert settings["dbt"]["SNOWFLAKE_ROLE"] == '${local.role["transformer"]}'
    assert settings["ui"]["SNOWFLAKE_ROLE"] == '${local.role["analyst"]}'
    env_names = {name for component in settings.values() for name in component}
    assert env_names <= {
        "SNOWFLAKE_DATABASE",
        "SNOWFLAKE_ROLE",
        "SNOWFLAKE_WAREHOUSE",
        "REPORT_SERVICE_REPORTING_SCHEMA",
        "QUESTIONS_REPORTING_SCHEMA",
    }
    arguments = outputs["snowflake_ddl_arguments"]["value"]
    options = re.findall(r"--[a-z-]+", arguments)
    assert options == ["--database", "--operator-role"]
    help_text = CliRunner().invoke(app, ["snowflake-ddl", "--help"], env={"COLUMNS": "200"}).output
    for option in options:
        assert option in help_text


def test_environments_are_separate_and_valid() -> None:
    dev, prod = tfvars("dev"), tfvars("prod")
    assert (dev["environment"], prod["environment"]) == ("dev", "prod")
    for variable in ("database_name", "role_names", "warehouse_names", "service_users"):
        assert variable in dev and variable in prod
    # dev may share an account with prod: no account-level name in common
    account_names = {
        env: {env_vars["database_name"]}
        | set(env_vars["role_names"].values())
        | set(env_vars["warehouse_names"].values())
        | set(env_vars["service_users"])
        for env, env_vars in (("dev", dev), ("prod", prod))
    }
    assert not account_names["dev"] & account_names["prod"]
    sizes = re.findall(
        r'"(\w+)"', module()["variable"]["warehouse_sizes"]["validation"][0]["condition"]
    )
    for env_vars in (dev, prod):
        assert set(env_vars["warehouse_sizes"].values()) <= set(sizes)
        assert {user["role"] for user in env_vars["service_users"].values()} <= ROLE_KEYS
        # each component has its own user
        assert len({user["role"] for user in env_vars["service_users"].values()}) == len(
            env_vars["service_users"]
        )
    assert dev["loader_creates_schemas"] is True and prod["loader_creates_schemas"] is False


# ------------------------------------------------------------ validations


def _hcl_string(escaped: str) -> str:
    """An HCL string literal's text (HCL's escapes are JSON's, plus $${ and %%{)."""
    text = str(json.loads(f'"{escaped}"'))
    return text.replace("$${", "${").replace("%%{", "%{")


def _terraform_regex(pattern: str) -> re.Pattern[str]:
    """Terraform's regex() is RE2, where $ (without the m flag) matches only at
    the very end; Python's $ also matches before a final newline: use \\Z."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def validation_regexes(variable: str) -> list[re.Pattern[str]]:
    found = []
    for rule in module()["variable"][variable].get("validation", []):
        for escaped in re.findall(r'regex\("((?:[^"\\]|\\.)*)"', rule["condition"]):
            found.append(_terraform_regex(_hcl_string(escaped)))
    return found


IDENTIFIER_VARIABLES = (
    "admin_roles",
    "parent_role",
    "database_name",
    "role_names",
    "warehouse_names",
    "service_users",
    "user_role_grants",
    "events_storage_integration",
)

GOOD_IDENTIFIERS = ["ANALYTICS_PLATFORM", "TRANSFORMER", "_X1", "A" * 255, "DEV_ANALYTICS_WH"]
HOSTILE_IDENTIFIERS = [
    "",
    "analytics_platform",  # lower case: a different, quoted object
    'A"; DROP DATABASE ANALYTICS_PLATFORM; --',
    "A.B",
    "A|B",
    "A B",
    "A-B",
    "1ABC",
    "A" * 256,
    "ABC\n",
    "ABC\nDROP",
    "${var.x}",
    "ÄBC",
    "ABC$",
]


@pytest.mark.parametrize("variable", IDENTIFIER_VARIABLES)
def test_identifier_variables_are_validated(variable: str) -> None:
    regexes = validation_regexes(variable)
    assert regexes, f"variable {variable} has no regex validation"
    for regex in regexes:
        for good in GOOD_IDENTIFIERS:
            assert regex.search(good), f"{variable}: {good!r} refused"
        for hostile in HOSTILE_IDENTIFIERS:
            assert not regex.search(hostile), f"{variable}: {hostile!r} accepted"


def _identifiers_in(variable: str, value: Any) -> list[str]:
    if variable in {"service_users", "user_role_grants"}:
        return list(value)
    if isinstance(value, dict):
        return list(value.values())
    return [] if value in ("", None) else [value]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_configured_identifier_passes_its_validation(environment: str) -> None:
    from orchestration.snowflake_ddl import _IDENTIFIER

    for variable in IDENTIFIER_VARIABLES:
        (regex,) = validation_regexes(variable)
        for value in _identifiers_in(variable, setting(environment, variable)):
            assert regex.search(value), f"{environment}: {variable} {value!r}"
            # and what the DDL command accepts (its --database and --operator-role)
            assert _IDENTIFIER.match(value)


def _public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def test_public_keys_are_validated_as_one_line_rsa_keys() -> None:
    (regex,) = validation_regexes("service_user_public_keys")
    good = _public_key()
    assert regex.search(good)
    pem = f"-----BEGIN PUBLIC KEY-----\n{good}\n-----END PUBLIC KEY-----"
    for hostile in [
        "",
        pem,
        good + "\n",
        good[:64] + "\n" + good[64:],
        good + '"; drop user x; --',
        "MIIshort",
        "hunter2",
        "x" * 400,
    ]:
        assert not regex.search(hostile), hostile[:80]
    # and a key may only name a declared user
    conditions = [
        v["condition"] for v in module()["variable"]["service_user_public_keys"]["validation"]
    ]
    assert any("keys(var.service_users)" in c for c in conditions)


def test_enumerated_variables_refuse_anything_else() -> None:
    variables = module()["variable"]
    environment = variables["environment"]["validation"][0]["condition"]
    assert re.findall(r'"(\w+)"', environment) == ["dev", "prod"]
    cortex = variables["cortex_database_role"]["validation"][0]["condition"]
    assert set(re.findall(r'"(\w*)"', cortex)) == {"", "CORTEX_ANALYST_USER", "CORTEX_USER"}
    for users_variable in ("service_users", "user_role_grants"):
        conditions = " ".join(v["condition"] for v in variables[users_variable]["validation"])
        assert set(re.findall(r'"(\w+)"', conditions)) >= ROLE_KEYS
    retention = variables["data_retention_days"]["validation"][0]["condition"]
    assert ">= 0" in retention and "<= 90" in retention


# ------------------------------------------------------------ tools


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_fmt_finds_nothing_to_change() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-recursive", "-check", "-diff", str(MODULE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_skips_carry_a_reason() -> None:
    for path in MODULE.rglob("*.tf"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "checkov:skip" in line:
                assert re.search(r"checkov:skip=CKV2?_[A-Z]+_\d+:\s*\S", line), f"{path}: {line}"


@pytest.mark.slow  # checkov, hadolint, dbt or a server process: tens of seconds
def test_checkov_passes_the_module() -> None:
    result = subprocess.run(
        [
            *CHECKOV,
            *("-d", str(MODULE), "--framework", "terraform", "secrets"),
            *("--quiet", "--compact", "--skip-download"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
