"""The AWS Terraform of deliveries (``infra/terraform/aws``: delivery.tf and
its parts in iam.tf, secrets.tf, network.tf, locals.tf, main.tf) held to
least privilege and to the settings the report service reads.

The task role's policy is *rendered*: each statement of the HCL (static and
``dynamic``) is evaluated by ``terraform console`` for an environment file and
a transport, references to resources standing in as ``"<aws_...>"`` strings,
so the tests read the resources, actions and conditions IAM would get. The
task environment is evaluated the same way and loaded into
:class:`DeliverySettings`, as the container would.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest

from analytics_core.settings import PROJECT_ROOT, DeliverySettings
from tests.infra.terraform_support import (
    Console,
    ConsoleError,
    hcl_expression,
    load_tf,
    named,
    resources,
    text,
)

AWS = PROJECT_ROOT / "infra" / "terraform" / "aws"
TFVARS = {env: AWS / "environments" / f"{env}.tfvars" for env in ("dev", "prod")}
CONSOLE_FILES = ("variables.tf", "locals.tf", "schedule.tf")
SECRET = {"oidc_client_secret": "not-a-real-secret"}
#: A relay with a login: the SMTP variant every SMTP test evaluates.
SMTP = {
    "delivery_email_transport": "smtp",
    "delivery_smtp": (
        '{host = "email-smtp.eu-west-1.amazonaws.com", port = 465, security = "ssl", '
        'username = "AKIAEXAMPLEUSER", password_secret = true, egress_cidrs = ["203.0.113.0/24"]}'
    ),
}
VARIANTS = {"ses": {}, "smtp": SMTP}
#: What the console makes of the references it cannot evaluate.
PARTITION = "<data.aws_partition.current.partition>"
ACCOUNT = "<data.aws_caller_identity.current.account_id>"
SES_IDENTITY_ARN = "<aws_sesv2_email_identity.delivery[0].arn>"
SES_CONFIGURATION_SET_ARN = "<aws_sesv2_configuration_set.delivery[0].arn>"
SMTP_PASSWORD_ARN = "<aws_secretsmanager_secret.delivery_smtp_password[0].arn>"
API_KEYS_ARN = "<aws_secretsmanager_secret.api_keys.arn>"
PLATFORM_KEY_ARN = "<aws_kms_key.platform.arn>"
#: The services the report service's data is encrypted in, with the platform key.
KEY_SERVICES = {"dynamodb", "s3", "secretsmanager"}


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def root() -> dict[str, list[Any]]:
    return load_tf(AWS)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Console:
    schedule = (PROJECT_ROOT / "analytics_core" / "schedules.yml").read_text(encoding="utf-8")
    return Console(
        tmp_path_factory.mktemp("tf"),
        AWS,
        CONSOLE_FILES,
        {"analytics_core/schedules.yml": schedule},
    )


def _statements(root: dict[str, list[Any]], name: str) -> list[tuple[dict[str, Any], str | None]]:
    """Each statement of a policy document with the ``for_each`` of its
    ``dynamic`` block (None for a static statement)."""
    policy = resources(root, "data")["aws_iam_policy_document"][name]
    found: list[tuple[dict[str, Any], str | None]] = [(s, None) for s in policy["statement"]]
    for dynamic in policy.get("dynamic", []):
        for kind, body in dynamic.items():
            if text(kind) == "statement":
                found += [(content, body["for_each"]) for content in body["content"]]
    return found


def _render(
    console: Console,
    root: dict[str, list[Any]],
    name: str,
    tfvars: Path,
    variables: dict[str, str],
) -> list[dict[str, Any]]:
    """The statements of the policy as IAM gets them with these variables:
    sid, effect, actions, resources and conditions evaluated; a dynamic
    statement only when its for_each has an element."""
    statements = _statements(root, name)
    expressions = []
    for statement, for_each in statements:
        expressions.append(hcl_expression(statement))
        expressions.append("[1]" if for_each is None else hcl_expression(for_each))
    values = console.evaluate(expressions, tfvars, {**SECRET, **variables})
    rendered = []
    for index in range(0, len(values), 2):
        statement, present = values[index], values[index + 1]
        if not present:
            continue
        rendered.append(
            {
                "sid": statement.get("sid"),
                "effect": statement.get("effect", "Allow"),
                "actions": set(statement["actions"]),
                "resources": list(statement["resources"]),
                "conditions": [
                    (c["test"], c["variable"], list(c["values"]))
                    for c in statement.get("condition", [])
                ],
            }
        )
    return rendered


def _task(
    console: Console, root: dict[str, list[Any]], tfvars: Path, variables: dict[str, str]
) -> dict[str, Any]:
    """The report service task's environment, secrets and secret ARNs, evaluated."""
    body = named(root, "module")["report_service_task"]
    keys = ("environment", "secrets", "secret_arns")
    values = console.evaluate(
        [hcl_expression(body[k]) for k in keys], tfvars, {**SECRET, **variables}
    )
    return dict(zip(keys, values, strict=True))


def _local(
    console: Console, expression: str, tfvars: Path, variables: dict[str, str] | None = None
) -> Any:
    return console.evaluate([expression], tfvars, {**SECRET, **(variables or {})})[0]


@pytest.fixture(scope="module")
def policies(console: Console, root: dict[str, list[Any]]) -> dict[tuple[str, str], list[Any]]:
    """(environment, transport) -> the report service task role's rendered statements."""
    return {
        (env, transport): _render(console, root, "report_service_task", tfvars, variables)
        for env, tfvars in TFVARS.items()
        for transport, variables in VARIANTS.items()
    }


@pytest.fixture(scope="module")
def tasks(console: Console, root: dict[str, list[Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(environment, transport) -> the report service task's evaluated arguments."""
    return {
        (env, transport): _task(console, root, tfvars, variables)
        for env, tfvars in TFVARS.items()
        for transport, variables in VARIANTS.items()
    }


@pytest.fixture(scope="module")
def prefixes(console: Console) -> dict[str, str]:
    return {env: _local(console, "local.delivery_secrets_prefix", t) for env, t in TFVARS.items()}


@pytest.fixture(scope="module")
def regions(console: Console) -> dict[str, str]:
    return {env: _local(console, "var.aws_region", t) for env, t in TFVARS.items()}


def _with(statements: list[dict[str, Any]], service: str) -> list[dict[str, Any]]:
    """The statements with an action of ``service``."""
    return [s for s in statements if any(a.startswith(f"{service}:") for a in s["actions"])]


# -- the task role --------------------------------------------------------------------------------
def test_no_statement_of_the_task_role_is_a_wildcard(policies):
    for where, statements in policies.items():
        for statement in statements:
            assert statement["effect"] == "Allow", where
            assert "*" not in statement["resources"], (where, statement["sid"])
            for action in statement["actions"]:
                assert "*" not in action, (where, action)
            # A pattern only at the end of an ARN, after a prefix ending in "/".
            for arn in statement["resources"]:
                assert "*" not in arn.rstrip("*"), (where, arn)
                if arn.endswith("*") and not arn.endswith("/*"):
                    pytest.fail(f"{where}: {arn} is a pattern over more than one folder")


def test_delivery_secrets_are_read_under_the_environments_prefix_only(
    policies, tasks, prefixes, regions
):
    for (env, transport), statements in policies.items():
        prefix = prefixes[env]
        assert prefix == f"analytics-{env}/delivery/"
        assert tasks[env, transport]["environment"]["DELIVERY_SECRETS_PREFIX"] == prefix
        delivery_arns = [
            f"arn:{PARTITION}:secretsmanager:{regions[env]}:{ACCOUNT}:secret:{prefix}*"
        ]
        secrets = _with(statements, "secretsmanager")
        assert secrets
        for statement in secrets:
            assert statement["actions"] == {"secretsmanager:GetSecretValue"}, statement
            assert statement["resources"] in ([API_KEYS_ARN], delivery_arns), statement
        readable = [arn for s in secrets for arn in s["resources"]]
        assert sorted(readable) == sorted([API_KEYS_ARN, *delivery_arns]), (env, transport)


def test_the_prefix_reaches_no_secret_terraform_creates(root, prefixes, console):
    """Every secret Terraform makes (API keys, Snowflake logins, the SMTP
    password) is named outside the delivery prefix: the task role's prefix
    grant reads none of them (ECS injects them with the execution role)."""
    secrets = resources(root)["aws_secretsmanager_secret"]
    assert "delivery_smtp_password" in secrets
    for env, tfvars in TFVARS.items():
        pattern = f"arn:aws:secretsmanager:eu-west-1:111122223333:secret:{prefixes[env]}*"
        for name, body in secrets.items():
            name_prefix = _local(console, hcl_expression(body["name_prefix"]), tfvars, SMTP)
            arn = f"arn:aws:secretsmanager:eu-west-1:111122223333:secret:{name_prefix}x-AbCdEf"
            assert not fnmatch.fnmatchcase(arn, pattern), (env, name, name_prefix)
        # And the pattern does reach what operators put there.
        wanted = pattern.removesuffix("*") + "slack/sales-AbCdEf"
        assert fnmatch.fnmatchcase(wanted, pattern)


def test_the_platform_key_is_used_only_through_the_services_that_store_data(policies, regions):
    for where, statements in policies.items():
        kms = _with(statements, "kms")
        assert kms, where
        through: dict[str, set[str]] = {}
        for statement in kms:
            assert statement["resources"] == [PLATFORM_KEY_ARN], (where, statement)
            assert statement["actions"] <= {"kms:Decrypt", "kms:GenerateDataKey"}, where
            via = [c for c in statement["conditions"] if c[1] == "kms:ViaService"]
            assert len(via) == 1 and via[0][0] == "StringEquals", (where, statement["sid"])
            for endpoint in via[0][2]:
                match = re.fullmatch(r"([a-z0-9]+)\.([a-z0-9-]+)\.amazonaws\.com", endpoint)
                assert match and match.group(2) == regions[where[0]], (where, endpoint)
                through.setdefault(match.group(1), set()).update(statement["actions"])
        assert set(through) == KEY_SERVICES, where
        # Secrets are only ever read: Decrypt through Secrets Manager, nothing else.
        assert through["secretsmanager"] == {"kms:Decrypt"}, where
        secrets_statements = [
            s for s in kms if any("secretsmanager." in v for c in s["conditions"] for v in c[2])
        ]
        assert len(secrets_statements) == 1, where
        assert secrets_statements[0]["conditions"] == [
            (
                "StringEquals",
                "kms:ViaService",
                [f"secretsmanager.{regions[where[0]]}.amazonaws.com"],
            )
        ]


def test_mail_is_sent_only_through_the_identity_from_the_configured_sender(policies, tasks):
    for (env, transport), statements in policies.items():
        ses = _with(statements, "ses")
        if transport == "smtp":
            assert ses == [], (env, "no SES permission when mail goes through a relay")
            continue
        assert len(ses) == 1, env
        statement = ses[0]
        assert statement["actions"] == {"ses:SendEmail", "ses:SendRawEmail"}
        assert statement["resources"] == [SES_IDENTITY_ARN, SES_CONFIGURATION_SET_ARN]
        mail_from = tasks[env, transport]["environment"]["DELIVERY_MAIL_FROM"]
        assert statement["conditions"] == [("StringEquals", "ses:FromAddress", [mail_from])]


def test_the_identity_and_its_configuration_set(root, console):
    found = resources(root)
    identity = found["aws_sesv2_email_identity"]["delivery"]
    config = found["aws_sesv2_configuration_set"]["delivery"]
    assert identity["count"] == config["count"] == "${local.delivery_ses ? 1 : 0}"
    assert identity["configuration_set_name"] == (
        "${aws_sesv2_configuration_set.delivery[0].configuration_set_name}"
    )
    assert text(config["delivery_options"][0]["tls_policy"]) == "REQUIRE"
    assert config["reputation_options"][0]["reputation_metrics_enabled"] is True
    assert config["suppression_options"][0]["suppressed_reasons"] == ['"BOUNCE"', '"COMPLAINT"']
    dkim = identity["dynamic"][0]['"dkim_signing_attributes"']
    assert text(dkim["content"][0]["next_signing_key_length"]) == "RSA_2048_BIT"
    for env, tfvars in TFVARS.items():
        mail_from, identity_name, ses = console.evaluate(
            ["var.delivery_mail_from", "local.delivery_ses_identity", "local.delivery_ses"],
            tfvars,
            SECRET,
        )
        # The environment files send through SES from an address at the identity's domain.
        assert ses is True, env
        assert mail_from.endswith(f"@{identity_name}"), env
        assert _local(console, "local.delivery_ses_identity", tfvars, SMTP) is None
    outputs = named(root, "output")
    assert "aws_sesv2_email_identity.delivery[0].dkim_signing_attributes[0].tokens" in json.dumps(
        outputs["delivery_ses_dkim_records"]["value"]
    )
    assert outputs["delivery_secrets_prefix"]["value"] == "${local.delivery_secrets_prefix}"


# -- the task: environment and secrets ------------------------------------------------------------
def _settings(
    monkeypatch: pytest.MonkeyPatch, task: dict[str, Any], secret_values: dict[str, str]
) -> DeliverySettings:
    """DeliverySettings as the container gets them: the environment, then each
    secret's value as ECS injects it (whole secret strings here)."""
    import os

    for name in list(os.environ):
        if name.startswith("DELIVERY_"):
            monkeypatch.delenv(name)
    for name, value in task["environment"].items():
        monkeypatch.setenv(name, value)
    for name, value_from in task["secrets"].items():
        if name.startswith("DELIVERY_"):
            monkeypatch.setenv(name, secret_values[value_from])
    return DeliverySettings()


def test_the_service_sends_for_real_with_secrets_from_secrets_manager(tasks, prefixes, monkeypatch):
    for (env, transport), task in tasks.items():
        settings = _settings(monkeypatch, task, {SMTP_PASSWORD_ARN: "relay-password"})
        assert settings.mode == "send", env
        assert settings.email_transport == transport
        assert settings.secrets_source == "secretsmanager"
        assert settings.secrets_prefix == prefixes[env]
        assert (
            settings.mail_from == f"reports@analytics.{'dev.' if env == 'dev' else ''}example.com"
        )
        if transport == "ses":
            assert settings.smtp_host is None and settings.smtp_password is None
            assert not any(name.startswith("DELIVERY_SMTP") for name in task["environment"])
        else:
            assert settings.smtp_host == "email-smtp.eu-west-1.amazonaws.com"
            assert (settings.smtp_port, settings.smtp_security) == (465, "ssl")
            assert settings.smtp_username == "AKIAEXAMPLEUSER"
            assert settings.smtp_password == "relay-password"


def test_the_smtp_password_reaches_the_container_only_as_an_ecs_secret(tasks, root):
    for (env, transport), task in tasks.items():
        environment, secrets = task["environment"], task["secrets"]
        assert not any("PASSWORD" in name for name in environment), (env, transport)
        if transport == "ses":
            assert not any(name.startswith("DELIVERY_") for name in secrets), env
            assert SMTP_PASSWORD_ARN not in task["secret_arns"]
            continue
        # The whole secret string (no JSON key), from the secret Terraform creates.
        assert secrets["DELIVERY_SMTP_PASSWORD"] == SMTP_PASSWORD_ARN, env
        assert SMTP_PASSWORD_ARN in task["secret_arns"], "the execution role may read it"
        assert {n for n in secrets if n.startswith("DELIVERY_")} == {"DELIVERY_SMTP_PASSWORD"}
    secret = resources(root)["aws_secretsmanager_secret"]["delivery_smtp_password"]
    assert secret["count"] == "${local.delivery_smtp_password ? 1 : 0}"
    assert secret["kms_key_id"] == "${aws_kms_key.platform.arn}"
    assert "aws_secretsmanager_secret_version" not in resources(root)  # the value is never in state
    # The execution role reads exactly the task's secret ARNs.
    execution = resources(load_tf(AWS / "modules" / "ecs_task"), "data")["aws_iam_policy_document"]
    inject = execution["execution"]["dynamic"][0]['"statement"']["content"][0]
    assert inject["resources"] == "${var.secret_arns}"
    assert inject["actions"] == ['"secretsmanager:GetSecretValue"']


def test_without_a_login_no_password_secret_exists(console, root):
    relay = {
        "delivery_email_transport": "smtp",
        "delivery_smtp": '{host = "relay.internal.example.com", port = 25}',
    }
    tfvars = TFVARS["dev"]
    task = _task(console, root, tfvars, relay)
    assert _local(console, "local.delivery_smtp_password", tfvars, relay) is False
    assert not any(name.startswith("DELIVERY_") for name in task["secrets"])
    assert "DELIVERY_SMTP_USERNAME" not in task["environment"]
    assert task["environment"]["DELIVERY_SMTP_PORT"] == "25"


def test_the_code_reads_and_sends_as_the_policy_allows(tasks, policies, monkeypatch):
    """The report service's own code, configured by the task environment: the
    secret it asks Secrets Manager for is inside the granted pattern, and the
    mail it hands SES names the sender the ses:FromAddress condition allows."""
    from email.message import EmailMessage

    from report_service.delivery.channels import send_ses
    from report_service.delivery.secrets import SecretResolver

    signing = "whsec_" + base64.b64encode(b"k" * 32).decode("ascii")

    class FakeSecretsManager:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def get_secret_value(self, SecretId: str) -> dict[str, str]:
            self.asked.append(SecretId)
            if SecretId.endswith("webhooks/erp"):
                body = {"url": "https://erp.example.com/hooks/reports", "signing_secret": signing}
                return {"SecretString": json.dumps(body)}
            return {"SecretString": "https://hooks.slack.com/services/T000/B000/XXXX"}

    class FakeSes:
        def __init__(self) -> None:
            self.sent: list[dict[str, Any]] = []

        def send_email(self, **request: Any) -> dict[str, str]:
            self.sent.append(request)
            return {"MessageId": "m-1"}

    for (env, transport), task in tasks.items():
        settings = _settings(monkeypatch, task, {SMTP_PASSWORD_ARN: "relay-password"})
        secrets_manager = FakeSecretsManager()
        resolver = SecretResolver(settings, environ={}, client=secrets_manager)
        assert resolver.target("slack/sales", "slack").url.startswith("https://hooks.slack.com/")
        assert resolver.target("webhooks/erp", "webhook").signing_secret == b"k" * 32
        (pattern,) = [
            arn
            for s in _with(policies[env, transport], "secretsmanager")
            for arn in s["resources"]
            if arn.endswith("*")
        ]
        for name in secrets_manager.asked:
            arn = pattern.removesuffix("*").rsplit(":secret:", 1)[0] + f":secret:{name}-AbCdEf"
            assert fnmatch.fnmatchcase(arn, pattern), (env, name)
        if transport != "ses":
            continue
        ses = FakeSes()
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = settings.mail_from, "a@example.com", "r"
        send_ses(ses, mail, ("a@example.com",), settings.mail_from, lambda: None)
        (statement,) = _with(policies[env, transport], "ses")
        assert statement["conditions"] == [
            ("StringEquals", "ses:FromAddress", [ses.sent[0]["FromEmailAddress"]])
        ]
        assert "Raw" in ses.sent[0]["Content"]  # hence ses:SendRawEmail


# -- the network ----------------------------------------------------------------------------------
def test_smtp_egress_exists_only_for_the_relay(root, console):
    rules = resources(root)["aws_vpc_security_group_egress_rule"]
    smtp = rules["report_service_smtp"]
    assert smtp["security_group_id"] == "${aws_security_group.report_service.id}"
    assert smtp["from_port"] == smtp["to_port"] == "${local.delivery_smtp.port}"
    assert smtp["cidr_ipv4"] == "${each.value}"
    tfvars = TFVARS["dev"]
    assert _local(console, hcl_expression(smtp["for_each"]), tfvars) == []
    assert _local(console, hcl_expression(smtp["for_each"]), tfvars, SMTP) == ["203.0.113.0/24"]
    # SMTP cidrs set but the transport is ses: no rule.
    ses_with_relay = {"delivery_smtp": SMTP["delivery_smtp"]}
    assert _local(console, hcl_expression(smtp["for_each"]), tfvars, ses_with_relay) == []
    assert _local(console, "local.delivery_smtp.port", tfvars, SMTP) == 465
    # HTTPS (SES's API, Slack, Teams, webhooks) is the rule every task already has.
    https = rules["tasks_https"]
    assert '"report_service"' in https["for_each"] and text(https["from_port"]) == 443


# -- settings: the variables, the plan-time check, the settings class -----------------------------
def test_the_variables_offer_what_the_settings_accept(root):
    variables = named(root, "variable")
    fields = DeliverySettings.model_fields
    transports = re.findall(
        r'"(\w+)"', variables["delivery_email_transport"]["validation"][0]["condition"]
    )
    assert set(transports) == set(typing.get_args(fields["email_transport"].annotation))
    assert text(variables["delivery_email_transport"]["default"]) == "ses"
    smtp_type = variables["delivery_smtp"]["type"]
    assert f"port = optional(number, {fields['smtp_port'].default})" in smtp_type
    assert f'security = optional(string, \\"{fields["smtp_security"].default}\\")' in json.dumps(
        smtp_type
    )
    security = next(
        v["condition"]
        for v in variables["delivery_smtp"]["validation"]
        if "security" in v["condition"]
    )
    offered = set(re.findall(r'"(\w+)"', security))
    accepted = set(typing.get_args(fields["smtp_security"].annotation))
    # Everything but plain text ("none", a local relay only).
    assert offered == accepted - {"none"}


DELIVERY_GOOD = [
    {},
    {"delivery_ses_identity": "analytics.dev.example.com"},
    {"delivery_ses_identity": "reports@analytics.dev.example.com"},
    SMTP,
    {"delivery_email_transport": "smtp", "delivery_smtp": '{host = "relay.example.com"}'},
]
DELIVERY_REFUSED = [
    ({"delivery_email_transport": "smtp"}, "delivery_smtp (the relay) is not set"),
    # a parent domain is another identity than the sender's domain
    ({"delivery_ses_identity": "example.com"}, "neither the SES identity"),
    ({"delivery_ses_identity": "other@analytics.dev.example.com"}, "neither the SES identity"),
]


@pytest.mark.parametrize("variables", DELIVERY_GOOD)
def test_consistent_settings_plan(console, variables):
    assert _local(console, "local.delivery_errors", TFVARS["dev"], variables) == []


@pytest.mark.parametrize(("variables", "error"), DELIVERY_REFUSED)
def test_inconsistent_settings_are_refused_before_anything_is_created(
    console, root, variables, error
):
    errors = _local(console, "local.delivery_errors", TFVARS["dev"], variables)
    assert len(errors) == 1 and error in errors[0]
    check = resources(root)["terraform_data"]["delivery_settings_check"]
    condition = check["lifecycle"][0]["precondition"][0]["condition"]
    assert condition == "${length(local.delivery_errors) == 0}"


_RELAY = '{{host = "relay.example.com", {0}}}'
BAD_VALUES = [
    # String variables go to -var as they are (quotes would be part of the value).
    ("delivery_mail_from", "Reports <reports@example.com>"),
    ("delivery_mail_from", "reports@Example.COM"),
    ("delivery_mail_from", "reports@example.com\nBcc: someone@example.org"),
    ("delivery_mail_from", "reports"),
    ("delivery_email_transport", "sendmail"),
    ("delivery_ses_identity", "*.example.com"),
    ("delivery_ses_identity", "Example.com"),
    ("delivery_smtp", '{host = "relay example.com"}'),
    ("delivery_smtp", _RELAY.format('security = "none"')),
    ("delivery_smtp", _RELAY.format("port = 0")),
    ("delivery_smtp", _RELAY.format('username = "someone"')),  # a login needs its password secret
    ("delivery_smtp", _RELAY.format("password_secret = true")),  # and a password its username
    ("delivery_smtp", _RELAY.format('username = "a b", password_secret = true')),
    ("delivery_smtp", _RELAY.format('egress_cidrs = ["relay.example.com"]')),
    ("delivery_smtp", _RELAY.format("egress_cidrs = []")),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_variable_validation_refuses_bad_delivery_input(console, name, value):
    with pytest.raises(ConsoleError) as refused:
        console.evaluate(["var.environment"], TFVARS["dev"], {**SECRET, name: value})
    message = str(refused.value)
    assert "Invalid value for variable" in message
    assert f"var.{name}" in message


# -- the operators' documentation -----------------------------------------------------------------
def test_the_operations_guide_says_what_to_set_and_what_to_put_where(root):
    guide = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide.split("### Deliveries on AWS", 1)[1].split("\n## ", 1)[0]
    for name in named(root, "variable"):
        if name.startswith("delivery_"):
            assert f"`{name}`" in section, name
    for name in named(root, "output"):
        if name.startswith("delivery_"):
            assert f"`{name}`" in section, name
    for phrase in (
        '"signing_secret"',
        "whsec_",
        "--kms-key-id",
        "DELIVERY_SMTP_PASSWORD",
        "sandbox",
    ):
        assert phrase in section, phrase
