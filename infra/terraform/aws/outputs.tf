# `analytics snowflake-ddl --terraform-outputs` reads api_gateway_url and
# snowflake_api_role_arn from `terraform output -json`
# (orchestration/snowflake_ddl.py TERRAFORM_OUTPUTS): keep these two names.
output "api_gateway_url" {
  description = "Stage URL of the external-function API (the API integration's allowed prefix)."
  value       = module.api_gateway.invoke_url
}

output "snowflake_api_role_arn" {
  description = "Role Snowflake's API integration assumes (API_AWS_ROLE_ARN)."
  value       = module.api_gateway.snowflake_role_arn
}

output "alb_dns_name" {
  description = "Point ui_hostname, docs_hostname and api_hostname here (CNAME or alias)."
  value       = module.load_balancing.alb_dns_name
}

output "alb_zone_id" {
  description = "Hosted zone of the ALB, for Route 53 alias records."
  value       = module.load_balancing.alb_zone_id
}

output "ui_url" {
  description = "The UI."
  value       = "https://${var.ui_hostname}/"
}

output "docs_url" {
  description = "The dbt docs site."
  value       = "https://${var.docs_hostname}/"
}

output "report_service_url" {
  description = "The report service's API for scripts (x-api-key)."
  value       = "https://${var.api_hostname}"
}

output "ecr_repository_urls" {
  description = "Image name -> repository URL (IMAGE_REGISTRY is the part before the first /)."
  value       = module.ecr.repository_urls
}

output "image_registry" {
  description = "IMAGE_REGISTRY of `analytics ci execute`."
  value       = "${data.aws_caller_identity.current.account_id}.dkr.ecr.${var.aws_region}.amazonaws.com/${local.name}"
}

output "docs_publish_url" {
  description = "DOCS_URL of `analytics ci publish docs --to`."
  value       = "s3://${module.storage.docs_bucket}"
}

output "state_url" {
  description = "STATE_URL of `analytics ci publish state` and `ci fetch-state`."
  value       = "s3://${module.storage.reports_bucket}/${local.state_prefix}"
}

output "report_events_url" {
  description = "Where report job events land (ANALYTICS_EVENTS_URL; the s3_url of create_report_events_pipe)."
  value       = "s3://${module.storage.reports_bucket}/${local.events_prefix}"
}

output "reports_bucket" {
  description = "The reports bucket."
  value       = module.storage.reports_bucket
}

output "job_table_name" {
  description = "The report job table."
  value       = module.storage.job_table_name
}

output "ecs_cluster_name" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "api_keys_secret_arn" {
  description = "Put {\"api_keys\": [...], \"ui\": \"...\", \"runner\": \"...\"} here (runner: when an alert follows a build)."
  value       = aws_secretsmanager_secret.api_keys.arn
}

output "snowflake_secret_arns" {
  description = "Component -> its Snowflake login secret: put {\"account\", \"user\", \"private_key\"} (the service user's unencrypted PKCS#8 PEM) in each."
  value = {
    report_service = aws_secretsmanager_secret.snowflake_report_service.arn
    ui             = aws_secretsmanager_secret.snowflake_ui.arn
    dbt            = aws_secretsmanager_secret.snowflake_dbt.arn
  }
}

output "ci_artifacts_policy_arn" {
  description = "Attach to the CI pipeline's role (docs and state publishing)."
  value       = aws_iam_policy.ci_artifacts.arn
}

output "build_schedules" {
  description = "Build name -> EventBridge schedule (from analytics_core/schedules.yml)."
  value       = local.build_schedule_expressions
}

output "delivery_secrets_prefix" {
  description = "Name prefix of the delivery secrets: a recipient's secret <name> in the schedule file is the Secrets Manager secret <prefix><name> (a Slack or Teams incoming-webhook URL, or a webhook's {\"url\", \"signing_secret\"})."
  value       = local.delivery_secrets_prefix
}

output "delivery_ses_identity" {
  description = "The SES identity deliveries are sent through (transport ses; null with smtp)."
  value       = local.delivery_ses_identity
}

output "delivery_ses_dkim_records" {
  description = "CNAME records that verify the SES domain identity (Easy DKIM): publish each in the domain's DNS. Empty for an address identity (SES mails it a link) and with smtp."
  value = [
    for token in try(aws_sesv2_email_identity.delivery[0].dkim_signing_attributes[0].tokens, []) : {
      name  = "${token}._domainkey.${local.delivery_ses_identity}"
      type  = "CNAME"
      value = "${token}.dkim.amazonses.com"
    }
  ]
}

output "delivery_smtp_password_secret_arn" {
  description = "Put the SMTP relay's password here, as the plain string (transport smtp with a login; null otherwise)."
  value       = try(aws_secretsmanager_secret.delivery_smtp_password[0].arn, null)
}
