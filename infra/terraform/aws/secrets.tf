# Secrets Terraform creates but never fills: their values are put by an
# operator (aws secretsmanager put-secret-value), so they never land in the
# Terraform state or a tfvars file.
#
# report-service-api-keys, a JSON object:
#   {"api_keys": ["<ui key>", "<runner key>", "<snowflake key>", ...],
#    "ui": "<ui key>", "runner": "<runner key>"}
#   - the report service reads the whole secret at start-up
#     (REPORT_SERVICE_API_KEYS_SECRET; report_service/app.py load_api_keys
#     takes the "api_keys" list of a JSON object);
#   - the UI gets its own key, the "ui" entry, as REPORT_SERVICE_API_KEY;
#   - the scheduled builds get theirs, the "runner" entry, when an alert of
#     the schedule file follows a build (they hand it what they find);
#   - the Snowflake key goes into the API integration (analytics snowflake-ddl
#     reads it from REPORT_SERVICE_API_KEY in the deploy job).
# snowflake-report-service / snowflake-ui / snowflake-dbt, one per component,
# each read by its own task only; JSON objects
#   {"account": "<account identifier>", "user": "<service user>",
#    "private_key": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n"}
#   injected as SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and SNOWFLAKE_PRIVATE_KEY
#   (locals.tf snowflake_login_keys). The users are the Snowflake module's
#   service users (TYPE = SERVICE: key pair only, no password): prod
#   ANALYTICS_REPORT_SERVICE (role ANALYTICS_REPORTER), ANALYTICS_UI
#   (ANALYTICS_ANALYST), ANALYTICS_DBT (TRANSFORMER); dev the same, DEV_
#   prefixed. The private key is unencrypted PKCS#8 (openssl pkcs8 -topk8
#   -nocrypt) and lives only here, encrypted with the platform key: no
#   passphrase is injected, since ECS fails a task whose secret lacks a key it
#   references.
# Deliveries (delivery.tf):
#   - <local.delivery_secrets_prefix><name> (analytics-prod/delivery/<name>),
#     one per secret a chat or webhook recipient names in the schedule file,
#     created by an operator with the platform key (--kms-key-id
#     alias/<project>-<environment>): a Slack or Teams incoming-webhook URL as
#     the plain string, a webhook's {"url": "https://...", "signing_secret":
#     "whsec_..."}. The report service reads them by name at send time
#     (DELIVERY_SECRETS_SOURCE=secretsmanager); its role may read that prefix
#     and nothing else of the kind, so no Terraform run is needed for a new
#     recipient.
#   - delivery-smtp-password (transport smtp with a login): the relay's
#     password as the plain string, injected by ECS as DELIVERY_SMTP_PASSWORD.
#     Outside the prefix, so only the execution role reads it.
resource "aws_secretsmanager_secret" "api_keys" {
  # checkov:skip=CKV2_AWS_57: keys are rotated by adding a new key to api_keys, moving clients, then removing the old one; automatic rotation cannot move Snowflake's integration
  name_prefix             = "${local.name}/report-service-api-keys-"
  description             = "Report service API keys: {\"api_keys\": [...], \"ui\": \"...\", \"runner\": \"...\"}"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret" "snowflake_report_service" {
  # checkov:skip=CKV2_AWS_57: the key pair is rotated in Snowflake (RSA_PUBLIC_KEY_2, then the new private key is put here); Secrets Manager cannot rotate a Snowflake user's key
  name_prefix             = "${local.name}/snowflake-report-service-"
  description             = "Snowflake key-pair login of the report service (role ${var.snowflake_components.report_service.role}): {\"account\", \"user\", \"private_key\"}"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret" "snowflake_ui" {
  # checkov:skip=CKV2_AWS_57: the key pair is rotated in Snowflake (RSA_PUBLIC_KEY_2, then the new private key is put here); Secrets Manager cannot rotate a Snowflake user's key
  name_prefix             = "${local.name}/snowflake-ui-"
  description             = "Snowflake key-pair login of the UI (role ${var.snowflake_components.ui.role}): {\"account\", \"user\", \"private_key\"}"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret" "snowflake_dbt" {
  # checkov:skip=CKV2_AWS_57: the key pair is rotated in Snowflake (RSA_PUBLIC_KEY_2, then the new private key is put here); Secrets Manager cannot rotate a Snowflake user's key
  name_prefix             = "${local.name}/snowflake-dbt-"
  description             = "Snowflake key-pair login of the scheduled dbt builds (role ${var.snowflake_components.dbt.role}): {\"account\", \"user\", \"private_key\"}"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret" "delivery_smtp_password" {
  # checkov:skip=CKV2_AWS_57: the relay's provider issues the password (SES SMTP credentials, a mail provider's app password); it is rotated there, then put here and the tasks redeployed
  count = local.delivery_smtp_password ? 1 : 0

  name_prefix             = "${local.name}/delivery-smtp-password-"
  description             = "Password of ${try(local.delivery_smtp.username, "")} at the delivery SMTP relay ${try(local.delivery_smtp.host, "")}: the plain string"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 7
}
