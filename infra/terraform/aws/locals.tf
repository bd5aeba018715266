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
    generate_report = "/v1/external/generate_report"
    job_status      = "/v1/external/job_status"
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

  job_table_name = "${local.name}-report-jobs"

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
}
