# Secrets Terraform creates but never fills: their values are put by an
# operator (aws secretsmanager put-secret-value), so they never land in the
# Terraform state or a tfvars file.
#
# report-service-api-keys, a JSON object:
#   {"api_keys": ["<ui key>", "<snowflake key>", ...], "ui": "<ui key>"}
#   - the report service reads the whole secret at start-up
#     (REPORT_SERVICE_API_KEYS_SECRET; report_service/app.py load_api_keys
#     takes the "api_keys" list of a JSON object);
#   - the UI gets its own key, the "ui" entry, as REPORT_SERVICE_API_KEY;
#   - the Snowflake key goes into the API integration (analytics snowflake-ddl
#     reads it from REPORT_SERVICE_API_KEY in the deploy job).
# snowflake-service / snowflake-build, JSON objects {"account", "user", "password"}:
#   the SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and SNOWFLAKE_PASSWORD of the
#   services (read-only role) and of the scheduled builds.
resource "aws_secretsmanager_secret" "api_keys" {
  # checkov:skip=CKV2_AWS_57: keys are rotated by adding a new key to api_keys, moving clients, then removing the old one; automatic rotation cannot move Snowflake's integration
  name_prefix             = "${local.name}/report-service-api-keys-"
  description             = "Report service API keys: {\"api_keys\": [...], \"ui\": \"...\"}"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret" "snowflake_service" {
  # checkov:skip=CKV2_AWS_57: the Snowflake password is rotated in Snowflake and then put here; Secrets Manager cannot rotate a Snowflake user
  name_prefix             = "${local.name}/snowflake-service-"
  description             = "Snowflake login of the report service and the UI: {\"account\", \"user\", \"password\"}"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret" "snowflake_build" {
  # checkov:skip=CKV2_AWS_57: the Snowflake password is rotated in Snowflake and then put here; Secrets Manager cannot rotate a Snowflake user
  name_prefix             = "${local.name}/snowflake-build-"
  description             = "Snowflake login of the scheduled dbt builds: {\"account\", \"user\", \"password\"}"
  kms_key_id              = aws_kms_key.platform.arn
  recovery_window_in_days = 7
}
