# One Fargate task definition with its log group, execution role (what ECS
# itself needs: pull the image, write logs, read the injected secrets) and
# task role (what the application's own code calls; nothing when it calls no
# AWS API). The container runs as a non-root user on a read-only root file
# system; `writable_paths` are task-scoped bind mounts (ANALYTICS_HOME, /tmp).
variable "name" {
  description = "Family of the task definition, and name of its roles and log group."
  type        = string
}

variable "container_name" {
  description = "Name of the one container."
  type        = string
}

variable "image" {
  description = "Image reference (repository URL and tag)."
  type        = string
}

variable "repository_arn" {
  description = "ECR repository the execution role may pull from."
  type        = string
}

variable "cpu" {
  description = "Task CPU units."
  type        = number
}

variable "memory" {
  description = "Task memory (MiB)."
  type        = number
}

variable "user" {
  description = "uid:gid of the container's process (never root)."
  type        = string

  validation {
    condition     = !can(regex("^(0|root)(:|$)", var.user))
    error_message = "containers never run as root."
  }
}

variable "entry_point" {
  description = "Entry point (overrides the image's)."
  type        = list(string)
}

variable "command" {
  description = "Arguments of the entry point."
  type        = list(string)
  default     = []
}

variable "container_port" {
  description = "Port the application listens on; null for a batch task."
  type        = number
  default     = null
}

variable "health_check_path" {
  description = "HTTP path of the container health check on container_port; null for none."
  type        = string
  default     = null
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL (at most 120 on Fargate)."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout >= 2 && var.stop_timeout <= 120
    error_message = "stop_timeout must be 2-120 seconds."
  }
}

variable "environment" {
  description = "Plain environment variables."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables injected from Secrets Manager: name -> valueFrom (secret ARN, optionally :json-key::)."
  type        = map(string)
  default     = {}
}

variable "secret_arns" {
  description = "ARNs of the secrets in `secrets` (what the execution role may read)."
  type        = list(string)
  default     = []
}

variable "writable_paths" {
  description = "Volume name -> container path of writable task storage (the root file system is read-only)."
  type        = map(string)
  default     = {}
}

variable "task_policy_json" {
  description = "IAM policy of the application's AWS calls; null when it makes none."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "The platform key (log group, secrets)."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the log group."
  type        = number
}

data "aws_region" "current" {}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# -- execution role: ECS pulls, logs and injects secrets -------------------------------------
resource "aws_iam_role" "execution" {
  name_prefix        = substr("${var.name}-exec-", 0, 38)
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.repository_arn]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "DecryptPlatformKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  dynamic "statement" {
    for_each = length(var.secret_arns) > 0 ? [1] : []
    content {
      sid       = "InjectSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = var.secret_arns
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "ecs-agent"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# -- task role: the application's own calls ----------------------------------------------------
resource "aws_iam_role" "task" {
  name_prefix        = substr("${var.name}-task-", 0, 38)
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

resource "aws_iam_role_policy" "task" {
  count = var.task_policy_json == null ? 0 : 1

  name   = "application"
  role   = aws_iam_role.task.id
  policy = var.task_policy_json
}

locals {
  health_check = var.health_check_path == null ? null : {
    # The images have Python, not curl: urlopen raises on anything but 2xx.
    command     = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${var.container_port}${var.health_check_path}', timeout=4)"]
    interval    = 30
    timeout     = 5
    retries     = 3
    startPeriod = 60
  }

  container = merge(
    {
      name                   = var.container_name
      image                  = var.image
      essential              = true
      user                   = var.user
      privileged             = false
      readonlyRootFilesystem = true
      entryPoint             = var.entry_point
      command                = var.command
      stopTimeout            = var.stop_timeout
      portMappings = var.container_port == null ? [] : [
        { containerPort = var.container_port, hostPort = var.container_port, protocol = "tcp" }
      ]
      environment = [for name in sort(keys(var.environment)) : { name = name, value = var.environment[name] }]
      secrets     = [for name in sort(keys(var.secrets)) : { name = name, valueFrom = var.secrets[name] }]
      mountPoints = [for volume in sort(keys(var.writable_paths)) : { sourceVolume = volume, containerPath = var.writable_paths[volume], readOnly = false }]
      linuxParameters = {
        initProcessEnabled = true
        capabilities       = { drop = ["ALL"] }
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = var.container_name
        }
      }
    },
    local.health_check == null ? {} : { healthCheck = local.health_check },
  )
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  dynamic "volume" {
    for_each = var.writable_paths
    content {
      name = volume.key
    }
  }
}

output "task_definition_arn" {
  description = "ARN of the task definition revision."
  value       = aws_ecs_task_definition.this.arn
}

output "family" {
  description = "Family of the task definition."
  value       = aws_ecs_task_definition.this.family
}

output "task_role_arn" {
  description = "ARN of the task role."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.execution.arn
}

output "log_group_name" {
  description = "Name of the log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "container_name" {
  description = "Name of the container."
  value       = var.container_name
}
