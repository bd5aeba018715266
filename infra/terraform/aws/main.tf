# -- images -------------------------------------------------------------------------------------------
module "ecr" {
  source = "./modules/ecr"

  name_prefix = local.name
  images      = toset(values(local.images))
  kms_key_arn = aws_kms_key.platform.arn
}

# -- storage ------------------------------------------------------------------------------------------
module "storage" {
  source = "./modules/storage"

  name_prefix           = local.name
  kms_key_arn           = aws_kms_key.platform.arn
  docs_bucket_name      = var.docs_hostname
  docs_vpc_endpoint_id  = aws_vpc_endpoint.docs_s3.id
  reports_prefix        = local.reports_prefix
  events_prefix         = local.events_prefix
  state_prefix          = local.state_prefix
  report_retention_days = var.report_retention_days
  job_table_name        = local.job_table_name
  delivery_table_name   = local.delivery_table_name
  deletion_protection   = var.deletion_protection
}

# -- load balancers --------------------------------------------------------------------------------------
module "load_balancing" {
  source = "./modules/load_balancing"

  name_prefix           = local.name
  vpc_id                = var.vpc_id
  public_subnet_ids     = var.public_subnet_ids
  private_subnet_ids    = var.private_subnet_ids
  alb_security_group_id = aws_security_group.alb.id
  nlb_security_group_id = aws_security_group.nlb.id
  certificate_arn       = var.certificate_arn
  ui_hostname           = var.ui_hostname
  docs_hostname         = var.docs_hostname
  api_hostname          = var.api_hostname

  report_service_port          = local.report_service_port
  report_service_health_path   = local.report_service_health_path
  report_service_public_paths  = local.report_service_public_paths
  report_service_blocked_paths = local.report_service_blocked_paths
  ui_port                      = local.ui_port
  ui_health_path               = local.ui_health_path
  deregistration_delay         = local.report_service_grace_seconds

  docs_endpoint_network_interface_ids = tolist(aws_vpc_endpoint.docs_s3.network_interface_ids)
  docs_endpoint_count                 = length(var.private_subnet_ids)

  oidc = {
    issuer                 = var.oidc_issuer
    authorization_endpoint = var.oidc_authorization_endpoint
    token_endpoint         = var.oidc_token_endpoint
    user_info_endpoint     = var.oidc_user_info_endpoint
    client_id              = var.oidc_client_id
  }
  oidc_client_secret = var.oidc_client_secret

  logs_bucket         = module.storage.logs_bucket
  deletion_protection = var.deletion_protection
}

# -- the cluster ----------------------------------------------------------------------------------------
resource "aws_ecs_cluster" "this" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

# -- the report service ---------------------------------------------------------------------------------
module "report_service_task" {
  source = "./modules/ecs_task"

  name              = "${local.name}-report-service"
  container_name    = "report-service"
  image             = "${module.ecr.repository_urls[local.images.report_service]}:${var.image_tag}"
  repository_arn    = module.ecr.repository_arns[local.images.report_service]
  cpu               = var.report_service.cpu
  memory            = var.report_service.memory
  user              = var.container_user
  entry_point       = ["analytics"]
  command           = ["serve", "report-service"]
  container_port    = local.report_service_port
  health_check_path = local.report_service_health_path
  stop_timeout      = local.report_service_stop_timeout
  writable_paths    = local.writable_paths

  # Deliveries: locals.tf delivery_environment (DELIVERY_*).
  environment = merge({
    ANALYTICS_HOME                           = local.analytics_home
    TMPDIR                                   = local.analytics_home
    ANALYTICS_EVENTS_URL                     = "s3://${module.storage.reports_bucket}/${local.events_prefix}"
    AWS_REGION                               = var.aws_region
    REPORT_SERVICE_HOST                      = "0.0.0.0"
    REPORT_SERVICE_PORT                      = tostring(local.report_service_port)
    REPORT_SERVICE_WAREHOUSE                 = "snowflake"
    REPORT_SERVICE_REPORTING_SCHEMA          = "reporting"
    REPORT_SERVICE_STATEMENT_TIMEOUT_SECONDS = tostring(var.report_service.statement_timeout_secs)
    REPORT_SERVICE_JOB_STORE                 = "dynamodb"
    REPORT_SERVICE_DYNAMODB_TABLE            = module.storage.job_table_name
    REPORT_SERVICE_DELIVERY_TABLE            = module.storage.delivery_table_name
    S3_REPORTS_BUCKET                        = module.storage.reports_bucket
    REPORT_SERVICE_S3_PREFIX                 = local.reports_prefix
    REPORT_SERVICE_PRESIGN_SECONDS           = tostring(var.report_service.presign_seconds)
    REPORT_SERVICE_API_KEYS_SECRET           = aws_secretsmanager_secret.api_keys.arn
    REPORT_SERVICE_WORKERS                   = tostring(var.report_service.workers)
    REPORT_SERVICE_QUEUE_LIMIT               = tostring(var.report_service.queue_limit)
    REPORT_SERVICE_SHUTDOWN_GRACE_SECONDS    = tostring(local.report_service_grace_seconds)
    REPORT_SERVICE_PUBLIC_BASE_URL           = "https://${var.api_hostname}"
    REPORT_SERVICE_LOG_LEVEL                 = var.report_service.log_level
    SNOWFLAKE_ROLE                           = var.snowflake_components.report_service.role
    SNOWFLAKE_DATABASE                       = var.snowflake_database
    SNOWFLAKE_WAREHOUSE                      = var.snowflake_components.report_service.warehouse
  }, local.delivery_environment)
  # The SMTP relay's password (transport smtp with a login) is the whole
  # secret string, injected by ECS: never a plain environment value.
  secrets = merge(
    { for name, key in local.snowflake_login_keys : name => "${aws_secretsmanager_secret.snowflake_report_service.arn}:${key}::" },
    local.delivery_smtp_password ? tomap({ DELIVERY_SMTP_PASSWORD = aws_secretsmanager_secret.delivery_smtp_password[0].arn }) : tomap({}),
  )
  secret_arns = concat(
    [aws_secretsmanager_secret.snowflake_report_service.arn],
    local.delivery_smtp_password ? [aws_secretsmanager_secret.delivery_smtp_password[0].arn] : [],
  )

  task_policy_json   = data.aws_iam_policy_document.report_service_task.json
  kms_key_arn        = aws_kms_key.platform.arn
  log_retention_days = var.log_retention_days
}

module "report_service" {
  source = "./modules/ecs_service"

  name                = "report-service"
  cluster_arn         = aws_ecs_cluster.this.arn
  cluster_name        = aws_ecs_cluster.this.name
  task_definition_arn = module.report_service_task.task_definition_arn
  container_name      = module.report_service_task.container_name
  container_port      = local.report_service_port
  target_group_arns = [
    module.load_balancing.report_service_target_group_arn,
    module.load_balancing.report_service_internal_target_group_arn,
  ]
  subnet_ids                   = var.private_subnet_ids
  security_group_ids           = [aws_security_group.report_service.id]
  min_count                    = var.report_service.min_count
  max_count                    = var.report_service.max_count
  cpu_target                   = var.report_service.cpu_target
  requests_per_target          = var.report_service.requests_per_target
  request_count_resource_label = "${module.load_balancing.alb_arn_suffix}/${module.load_balancing.report_service_target_group_arn_suffix}"
}

# -- the UI ---------------------------------------------------------------------------------------------
module "ui_task" {
  source = "./modules/ecs_task"

  name              = "${local.name}-ui"
  container_name    = "ui"
  image             = "${module.ecr.repository_urls[local.images.ui]}:${var.image_tag}"
  repository_arn    = module.ecr.repository_arns[local.images.ui]
  cpu               = var.ui.cpu
  memory            = var.ui.memory
  user              = var.container_user
  entry_point       = ["analytics"]
  command           = ["serve", "ui"]
  container_port    = local.ui_port
  health_check_path = local.ui_health_path
  # Streamlit has nothing to drain: sessions reconnect to another task.
  stop_timeout   = 30
  writable_paths = local.writable_paths

  environment = {
    ANALYTICS_HOME             = local.analytics_home
    TMPDIR                     = local.analytics_home
    UI_HOST                    = "0.0.0.0"
    UI_PORT                    = tostring(local.ui_port)
    UI_WAREHOUSE               = "snowflake"
    UI_HEALTH_DAYS             = tostring(var.ui.health_days)
    REPORT_SERVICE_URL         = "http://${module.load_balancing.nlb_dns_name}"
    QUESTIONS_WAREHOUSE        = "snowflake"
    QUESTIONS_REPORTING_SCHEMA = "reporting"
    SNOWFLAKE_ROLE             = var.snowflake_components.ui.role
    SNOWFLAKE_DATABASE         = var.snowflake_database
    SNOWFLAKE_WAREHOUSE        = var.snowflake_components.ui.warehouse
  }
  secrets = merge(
    { for name, key in local.snowflake_login_keys : name => "${aws_secretsmanager_secret.snowflake_ui.arn}:${key}::" },
    { REPORT_SERVICE_API_KEY = "${aws_secretsmanager_secret.api_keys.arn}:ui::" },
  )
  secret_arns = [aws_secretsmanager_secret.snowflake_ui.arn, aws_secretsmanager_secret.api_keys.arn]

  task_policy_json   = null
  kms_key_arn        = aws_kms_key.platform.arn
  log_retention_days = var.log_retention_days
}

module "ui" {
  source = "./modules/ecs_service"

  name                         = "ui"
  cluster_arn                  = aws_ecs_cluster.this.arn
  cluster_name                 = aws_ecs_cluster.this.name
  task_definition_arn          = module.ui_task.task_definition_arn
  container_name               = module.ui_task.container_name
  container_port               = local.ui_port
  target_group_arns            = [module.load_balancing.ui_target_group_arn]
  subnet_ids                   = var.private_subnet_ids
  security_group_ids           = [aws_security_group.ui.id]
  min_count                    = var.ui.min_count
  max_count                    = var.ui.max_count
  cpu_target                   = var.ui.cpu_target
  requests_per_target          = var.ui.requests_per_target
  request_count_resource_label = "${module.load_balancing.alb_arn_suffix}/${module.load_balancing.ui_target_group_arn_suffix}"
}

# -- scheduled dbt builds -----------------------------------------------------------------------------------
module "dbt_runner_task" {
  source = "./modules/ecs_task"

  name           = "${local.name}-dbt-runner"
  container_name = "dbt-runner"
  image          = "${module.ecr.repository_urls[local.images.dbt_runner]}:${var.image_tag}"
  repository_arn = module.ecr.repository_arns[local.images.dbt_runner]
  cpu            = var.dbt_runner.cpu
  memory         = var.dbt_runner.memory
  user           = var.container_user
  entry_point    = ["analytics"]
  # Each schedule overrides the arguments (modules/scheduled_build).
  command        = ["build", "--target", "prod"]
  writable_paths = local.writable_paths

  # Alerts (schedule.tf builds_with_alerts): after a build the task evaluates
  # its alerts on Snowflake (the question engine's settings) and hands what
  # they find to the report service through the internal NLB, with its own
  # API key: the "runner" entry of the API keys secret, read only when some
  # alert follows a build (ECS refuses to start a task whose key is missing).
  environment = merge(
    {
      ANALYTICS_HOME      = local.analytics_home
      TMPDIR              = local.analytics_home
      SNOWFLAKE_ROLE      = var.snowflake_components.dbt.role
      SNOWFLAKE_DATABASE  = var.snowflake_database
      SNOWFLAKE_WAREHOUSE = var.snowflake_components.dbt.warehouse
    },
    local.runner_alerts ? tomap({
      REPORT_SERVICE_URL         = "http://${module.load_balancing.nlb_dns_name}"
      QUESTIONS_WAREHOUSE        = "snowflake"
      QUESTIONS_REPORTING_SCHEMA = "reporting"
      DELIVERY_UI_URL            = "https://${var.ui_hostname}/"
    }) : tomap({}),
  )
  secrets = merge(
    { for name, key in local.snowflake_login_keys : name => "${aws_secretsmanager_secret.snowflake_dbt.arn}:${key}::" },
    local.runner_alerts ? tomap({ REPORT_SERVICE_API_KEY = "${aws_secretsmanager_secret.api_keys.arn}:runner::" }) : tomap({}),
  )
  secret_arns = concat(
    [aws_secretsmanager_secret.snowflake_dbt.arn],
    local.runner_alerts ? [aws_secretsmanager_secret.api_keys.arn] : [],
  )

  task_policy_json   = null
  kms_key_arn        = aws_kms_key.platform.arn
  log_retention_days = var.log_retention_days
}

# Refuse to plan a schedule EventBridge would run at other times than the file says.
resource "terraform_data" "schedule_file_check" {
  input = local.build_schedule_expressions

  lifecycle {
    precondition {
      condition     = length(local.build_schedule_errors) == 0
      error_message = "analytics_core/schedules.yml: ${join("; ", local.build_schedule_errors)}"
    }
  }
}

module "scheduled_builds" {
  source = "./modules/scheduled_build"

  name_prefix            = local.name
  enabled                = var.schedule_enabled
  schedules              = terraform_data.schedule_file_check.output
  commands               = local.build_commands
  cluster_arn            = aws_ecs_cluster.this.arn
  task_definition_arn    = module.dbt_runner_task.task_definition_arn
  task_definition_family = module.dbt_runner_task.family
  container_name         = module.dbt_runner_task.container_name
  pass_role_arns         = [module.dbt_runner_task.task_role_arn, module.dbt_runner_task.execution_role_arn]
  subnet_ids             = var.private_subnet_ids
  security_group_ids     = [aws_security_group.dbt_runner.id]
}

# -- Snowflake's way in ----------------------------------------------------------------------------------------
module "api_gateway" {
  source = "./modules/api_gateway"

  name_prefix             = local.name
  stage_name              = var.environment
  nlb_arn                 = module.load_balancing.nlb_arn
  nlb_dns_name            = module.load_balancing.nlb_dns_name
  external_routes         = local.external_routes
  snowflake_iam_user_arn  = var.snowflake_iam_user_arn
  snowflake_external_id   = var.snowflake_external_id
  kms_key_arn             = aws_kms_key.platform.arn
  log_retention_days      = var.log_retention_days
  manage_account_settings = var.manage_api_gateway_account
}

module "waf" {
  source = "./modules/waf"

  name_prefix = local.name
  resource_arns = {
    alb       = module.load_balancing.alb_arn
    api_stage = module.api_gateway.stage_arn
  }
  kms_key_arn        = aws_kms_key.platform.arn
  log_retention_days = var.log_retention_days
}

# -- alarms --------------------------------------------------------------------------------------------------------
module "alarms" {
  source = "./modules/alarms"

  name_prefix    = local.name
  sns_topic_arn  = var.alarm_sns_topic_arn
  alb_arn_suffix = module.load_balancing.alb_arn_suffix
  target_groups = {
    report-service = module.load_balancing.report_service_target_group_arn_suffix
    ui             = module.load_balancing.ui_target_group_arn_suffix
    docs           = module.load_balancing.docs_target_group_arn_suffix
  }
  nlb_arn_suffix              = module.load_balancing.nlb_arn_suffix
  nlb_target_group_arn_suffix = module.load_balancing.report_service_internal_target_group_arn_suffix
  report_service_log_group    = module.report_service_task.log_group_name
  job_failure_messages        = ["job failed", "job failed: its worker stopped too often"]
  dbt_runner_log_group        = module.dbt_runner_task.log_group_name
  api_name                    = module.api_gateway.rest_api_name
  api_stage                   = var.environment
}
