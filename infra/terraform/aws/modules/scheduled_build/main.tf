# The scheduled dbt builds: one EventBridge rule per `builds:` entry of
# analytics_core/schedules.yml, each running `analytics build ...` as a Fargate
# task of the dbt-runner image (the arguments go in as a container override).
# EventBridge rules run in UTC, like the schedule file.
variable "name_prefix" {
  description = "Prefix of resource names."
  type        = string
}

variable "enabled" {
  description = "Whether the rules fire."
  type        = bool
}

variable "schedules" {
  description = "Build name -> EventBridge cron(...) expression."
  type        = map(string)
}

variable "commands" {
  description = "Build name -> arguments of the container's entry point (analytics)."
  type        = map(list(string))
}

variable "cluster_arn" {
  description = "ECS cluster the tasks run in."
  type        = string
}

variable "task_definition_arn" {
  description = "The dbt-runner task definition revision."
  type        = string
}

variable "task_definition_family" {
  description = "Its family (the role may run any revision of it)."
  type        = string
}

variable "container_name" {
  description = "The dbt-runner container's name."
  type        = string
}

variable "pass_role_arns" {
  description = "Task and execution roles EventBridge hands to ECS."
  type        = list(string)
}

variable "subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks."
  type        = list(string)
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_iam_policy_document" "events_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "events" {
  name_prefix        = "${var.name_prefix}-builds-"
  assume_role_policy = data.aws_iam_policy_document.events_trust.json
}

data "aws_iam_policy_document" "events" {
  statement {
    sid     = "RunTheBuildTask"
    actions = ["ecs:RunTask"]
    resources = [
      "arn:${data.aws_partition.current.partition}:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:task-definition/${var.task_definition_family}:*",
    ]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }

  statement {
    sid       = "HandItsRolesToEcs"
    actions   = ["iam:PassRole"]
    resources = var.pass_role_arns
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "run-builds"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}

resource "aws_cloudwatch_event_rule" "build" {
  for_each = var.schedules

  name                = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  description         = "analytics ${join(" ", var.commands[each.key])} (analytics_core/schedules.yml: ${each.key})"
  schedule_expression = each.value
  state               = var.enabled ? "ENABLED" : "DISABLED"
}

resource "aws_cloudwatch_event_target" "build" {
  for_each = var.schedules

  rule     = aws_cloudwatch_event_rule.build[each.key].name
  arn      = var.cluster_arn
  role_arn = aws_iam_role.events.arn

  ecs_target {
    task_definition_arn = var.task_definition_arn
    task_count          = 1
    launch_type         = "FARGATE"
    platform_version    = "LATEST"
    propagate_tags      = "TASK_DEFINITION"

    network_configuration {
      subnets          = var.subnet_ids
      security_groups  = var.security_group_ids
      assign_public_ip = false
    }
  }

  input = jsonencode({
    containerOverrides = [
      { name = var.container_name, command = var.commands[each.key] },
    ]
  })

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 3
  }
}

output "rule_names" {
  description = "Build name -> EventBridge rule name."
  value       = { for name, rule in aws_cloudwatch_event_rule.build : name => rule.name }
}
