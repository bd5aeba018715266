# Alarms, all notifying one SNS topic owned by operations.
variable "name_prefix" {
  description = "Prefix of alarm names."
  type        = string
}

variable "sns_topic_arn" {
  description = "Topic every alarm notifies (alarm and recovery)."
  type        = string
}

variable "alb_arn_suffix" {
  description = "The public ALB's ARN suffix."
  type        = string
}

variable "target_groups" {
  description = "Name -> ARN suffix of the public ALB's target groups."
  type        = map(string)
}

variable "nlb_arn_suffix" {
  description = "The internal NLB's ARN suffix."
  type        = string
}

variable "nlb_target_group_arn_suffix" {
  description = "ARN suffix of the NLB's report service target group."
  type        = string
}

variable "report_service_log_group" {
  description = "Log group of the report service."
  type        = string
}

variable "job_failure_messages" {
  description = "The `message` of the report service's JSON log line when a job ends failed (report_service/worker.py)."
  type        = list(string)
}

variable "dbt_runner_log_group" {
  description = "Log group of the scheduled builds."
  type        = string
}

variable "api_name" {
  description = "Name of the external-function REST API."
  type        = string
}

variable "api_stage" {
  description = "Its stage."
  type        = string
}

locals {
  actions = [var.sns_topic_arn]
}

# -- the public ALB --------------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name          = "${var.name_prefix}-alb-5xx"
  alarm_description   = "The public ALB answered 5xx itself (no healthy target, timeouts) more than 10 times in 5 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_ELB_5XX_Count"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "target_5xx" {
  for_each = var.target_groups

  alarm_name          = "${var.name_prefix}-${each.key}-5xx"
  alarm_description   = "${each.key} answered 5xx more than 10 times in 5 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "unhealthy" {
  for_each = var.target_groups

  alarm_name          = "${var.name_prefix}-${each.key}-unhealthy"
  alarm_description   = "${each.key} has had unhealthy targets for 5 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "nlb_unhealthy" {
  alarm_name          = "${var.name_prefix}-report-service-internal-unhealthy"
  alarm_description   = "The report service behind the internal NLB (Snowflake's and the UI's way in) has had unhealthy targets for 5 minutes."
  namespace           = "AWS/NetworkELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.nlb_arn_suffix, TargetGroup = var.nlb_target_group_arn_suffix }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# -- report jobs ------------------------------------------------------------------------------------------
# The service logs one JSON line per job that ends failed (after its retries):
# {"level": "WARNING", "logger": "report_service.worker", "message": "job failed", ...}.
# Retries log "job failed; will retry" and are not counted.
resource "aws_cloudwatch_log_metric_filter" "job_failures" {
  name           = "${var.name_prefix}-report-job-failures"
  log_group_name = var.report_service_log_group
  pattern        = "{ ${join(" || ", [for m in var.job_failure_messages : "$.message = \"${m}\""])} }"

  metric_transformation {
    name          = "ReportJobFailures"
    namespace     = "${var.name_prefix}/ReportService"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "job_failures" {
  alarm_name          = "${var.name_prefix}-report-job-failures"
  alarm_description   = "A report job ended failed (see monitoring.report_jobs and the report service log)."
  namespace           = aws_cloudwatch_log_metric_filter.job_failures.metric_transformation[0].namespace
  metric_name         = aws_cloudwatch_log_metric_filter.job_failures.metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# -- scheduled builds -----------------------------------------------------------------------------------
# `analytics` prints one line starting with "error:" when a command fails.
resource "aws_cloudwatch_log_metric_filter" "build_failures" {
  name           = "${var.name_prefix}-build-failures"
  log_group_name = var.dbt_runner_log_group
  pattern        = "\"error:\""

  metric_transformation {
    name          = "BuildFailures"
    namespace     = "${var.name_prefix}/Builds"
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "build_failures" {
  alarm_name          = "${var.name_prefix}-build-failures"
  alarm_description   = "A scheduled dbt build failed (see monitoring.dbt_node_status and the dbt-runner log)."
  namespace           = aws_cloudwatch_log_metric_filter.build_failures.metric_transformation[0].namespace
  metric_name         = aws_cloudwatch_log_metric_filter.build_failures.metric_transformation[0].name
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# -- Snowflake's way in ----------------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${var.name_prefix}-external-functions-5xx"
  alarm_description   = "API Gateway answered Snowflake's external-function calls with 5xx (Snowflake retries, then the query fails)."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5XXError"
  dimensions          = { ApiName = var.api_name, Stage = var.api_stage }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}
