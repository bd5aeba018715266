# -- where ------------------------------------------------------------------------
variable "project" {
  description = "Name prefix of every resource."
  type        = string
  default     = "analytics"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment; also the API Gateway stage name."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "aws_region" {
  description = "AWS region of the deployment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like eu-west-1."
  }
}

# -- the existing network ------------------------------------------------------------
variable "vpc_id" {
  description = "The existing VPC."
  type        = string

  validation {
    condition     = can(regex("^vpc-([0-9a-f]{8}|[0-9a-f]{17})$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc- and 8 or 17 hex digits)."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets (at least two AZs) for the internet-facing ALB."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2 && alltrue([for s in var.public_subnet_ids : can(regex("^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", s))])
    error_message = "public_subnet_ids needs at least two subnet ids (subnet- and 8 or 17 hex digits)."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two AZs, with a route to the internet through NAT for Snowflake) for tasks, the internal NLB and the S3 endpoint."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", s))])
    error_message = "private_subnet_ids needs at least two subnet ids (subnet- and 8 or 17 hex digits)."
  }
}

variable "alb_ingress_cidrs" {
  description = "IPv4 CIDRs allowed to reach the public ALB (443, and 80 for the redirect)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.alb_ingress_cidrs) > 0 && alltrue([for c in var.alb_ingress_cidrs : can(cidrnetmask(c)) && can(regex("^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}$", c))])
    error_message = "alb_ingress_cidrs must be IPv4 CIDR blocks such as 203.0.113.0/24."
  }
}

variable "task_egress_cidrs" {
  description = "IPv4 CIDRs tasks may reach on 443 (Snowflake, AWS APIs through NAT or endpoints)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.task_egress_cidrs) > 0 && alltrue([for c in var.task_egress_cidrs : can(cidrnetmask(c)) && can(regex("^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}$", c))])
    error_message = "task_egress_cidrs must be IPv4 CIDR blocks such as 10.0.0.0/8."
  }
}

# -- names people use ---------------------------------------------------------------------
variable "certificate_arn" {
  description = "ACM certificate of the public ALB's HTTPS listener; it must cover ui_hostname, docs_hostname and api_hostname."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)."
  }
}

variable "ui_hostname" {
  description = "Host name of the Streamlit UI (OIDC sign-in)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.ui_hostname))
    error_message = "ui_hostname must be a lowercase DNS name such as analytics.example.com."
  }
}

variable "docs_hostname" {
  description = "Host name of the dbt docs site (OIDC sign-in). It is also the docs bucket's name (see modules/load_balancing/docs.tf)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.docs_hostname)) && length(var.docs_hostname) <= 63
    error_message = "docs_hostname must be a lowercase DNS name of at most 63 characters (it names an S3 bucket)."
  }
}

variable "api_hostname" {
  description = "Host name of the report service's HTTP API for scripts (x-api-key auth; /v1/external/* is blocked there)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.api_hostname))
    error_message = "api_hostname must be a lowercase DNS name such as reports.example.com."
  }
}

# -- sign-in (OIDC at the ALB) -----------------------------------------------------------------
variable "oidc_issuer" {
  description = "OIDC issuer URL."
  type        = string

  validation {
    condition     = can(regex("^https://[^\\s]+$", var.oidc_issuer))
    error_message = "oidc_issuer must be an https:// URL."
  }
}

variable "oidc_authorization_endpoint" {
  description = "OIDC authorization endpoint."
  type        = string

  validation {
    condition     = can(regex("^https://[^\\s]+$", var.oidc_authorization_endpoint))
    error_message = "oidc_authorization_endpoint must be an https:// URL."
  }
}

variable "oidc_token_endpoint" {
  description = "OIDC token endpoint."
  type        = string

  validation {
    condition     = can(regex("^https://[^\\s]+$", var.oidc_token_endpoint))
    error_message = "oidc_token_endpoint must be an https:// URL."
  }
}

variable "oidc_user_info_endpoint" {
  description = "OIDC user info endpoint."
  type        = string

  validation {
    condition     = can(regex("^https://[^\\s]+$", var.oidc_user_info_endpoint))
    error_message = "oidc_user_info_endpoint must be an https:// URL."
  }
}

variable "oidc_client_id" {
  description = "OIDC client id of the ALB."
  type        = string

  validation {
    condition     = length(trimspace(var.oidc_client_id)) > 0
    error_message = "oidc_client_id must not be empty."
  }
}

variable "oidc_client_secret" {
  description = "OIDC client secret of the ALB. Pass it as TF_VAR_oidc_client_secret from the pipeline's secret store; never put it in a tfvars file."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.oidc_client_secret) >= 8
    error_message = "oidc_client_secret must be at least 8 characters."
  }
}

# -- Snowflake ------------------------------------------------------------------------------------
variable "snowflake_iam_user_arn" {
  description = "API_AWS_IAM_USER_ARN of DESCRIBE API INTEGRATION. null on the first apply (the role then trusts nobody); set it, with the external id, once the integration exists."
  type        = string
  default     = null

  validation {
    condition     = var.snowflake_iam_user_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:user/[A-Za-z0-9+=,.@_/-]+$", var.snowflake_iam_user_arn))
    error_message = "snowflake_iam_user_arn must be an IAM user ARN (arn:aws:iam::<12 digits>:user/...)."
  }
}

variable "snowflake_external_id" {
  description = "API_AWS_EXTERNAL_ID of DESCRIBE API INTEGRATION; required when snowflake_iam_user_arn is set."
  type        = string
  default     = null

  validation {
    condition     = var.snowflake_external_id == null || try(length(var.snowflake_external_id) >= 2 && length(var.snowflake_external_id) <= 1224 && can(regex("^[A-Za-z0-9+=,.@:/_-]+$", var.snowflake_external_id)), false)
    error_message = "snowflake_external_id must be 2-1224 characters of A-Z a-z 0-9 + = , . @ : / _ -."
  }
}

# One service user, role and warehouse per component, as the Snowflake module
# creates them (infra/terraform/snowflake: service_users, role_names,
# warehouse_names, output component_settings). Upper case like there: the
# code writes identifiers unquoted, which Snowflake reads as upper case. The
# defaults are production's names (its environments/prod.tfvars); dev.tfvars
# here repeats its dev names. tests/infra/test_terraform_aws.py compares both.
variable "snowflake_components" {
  description = "SNOWFLAKE_ROLE and SNOWFLAKE_WAREHOUSE of each component: report_service (the reporter role, reads reporting only; the reporting warehouse), ui (the analyst role; the analysis warehouse), dbt (the scheduled builds: the transformer role; the transform warehouse)."
  type = object({
    report_service = object({ role = string, warehouse = string })
    ui             = object({ role = string, warehouse = string })
    dbt            = object({ role = string, warehouse = string })
  })
  default = {
    report_service = { role = "ANALYTICS_REPORTER", warehouse = "ANALYTICS_REPORTING_WH" }
    ui             = { role = "ANALYTICS_ANALYST", warehouse = "ANALYTICS_ANALYSIS_WH" }
    dbt            = { role = "TRANSFORMER", warehouse = "ANALYTICS_WH" }
  }

  validation {
    condition     = alltrue(flatten([for c in values(var.snowflake_components) : [can(regex("^[A-Z_][A-Z0-9_]{0,254}$", c.role)), can(regex("^[A-Z_][A-Z0-9_]{0,254}$", c.warehouse))]]))
    error_message = "snowflake_components roles and warehouses must be upper-case Snowflake identifiers (A-Z, 0-9, _)."
  }

  validation {
    condition     = length(distinct([for c in values(var.snowflake_components) : c.role])) == 3 && length(distinct([for c in values(var.snowflake_components) : c.warehouse])) == 3
    error_message = "snowflake_components must give each component its own role and its own warehouse."
  }
}

variable "snowflake_database" {
  description = "SNOWFLAKE_DATABASE of every component (the Snowflake module's database_name)."
  type        = string
  default     = "ANALYTICS_PLATFORM"

  validation {
    condition     = can(regex("^[A-Z_][A-Z0-9_]{0,254}$", var.snowflake_database))
    error_message = "snowflake_database must be an upper-case Snowflake identifier (A-Z, 0-9, _)."
  }
}

# -- images and sizes --------------------------------------------------------------------------------
variable "image_tag" {
  description = "Image tag to deploy (the git commit CI built; tags are immutable)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid image tag other than latest (tags are immutable)."
  }
}

variable "container_user" {
  description = "uid:gid the containers run as (never root); the images create this user and own the ANALYTICS_HOME and /tmp mount points."
  type        = string
  default     = "10001:10001"

  validation {
    condition     = can(regex("^[1-9][0-9]{0,9}:[1-9][0-9]{0,9}$", var.container_user))
    error_message = "container_user must be a non-root numeric uid:gid such as 10001:10001."
  }
}

variable "report_service" {
  description = "Size and scaling of the report service."
  type = object({
    cpu                    = optional(number, 1024)
    memory                 = optional(number, 2048)
    min_count              = optional(number, 2)
    max_count              = optional(number, 6)
    workers                = optional(number, 2)
    cpu_target             = optional(number, 60)
    requests_per_target    = optional(number, 300)
    shutdown_grace_seconds = optional(number, 30)
    queue_limit            = optional(number, 200)
    statement_timeout_secs = optional(number, 120)
    presign_seconds        = optional(number, 300)
    log_level              = optional(string, "INFO")
  })
  default = {}

  validation {
    condition     = var.report_service.min_count >= 1 && var.report_service.max_count >= var.report_service.min_count
    error_message = "report_service needs min_count >= 1 and max_count >= min_count."
  }

  # ECS allows a stopTimeout of at most 120 s on Fargate; the task gets twice
  # the grace plus a margin (see modules/ecs_task and main.tf).
  validation {
    condition     = var.report_service.shutdown_grace_seconds >= 1 && var.report_service.shutdown_grace_seconds <= 55
    error_message = "report_service.shutdown_grace_seconds must be 1-55 (Fargate stops a container after at most 120 s)."
  }
}

variable "ui" {
  description = "Size and scaling of the UI."
  type = object({
    cpu                 = optional(number, 512)
    memory              = optional(number, 1024)
    min_count           = optional(number, 2)
    max_count           = optional(number, 4)
    cpu_target          = optional(number, 60)
    requests_per_target = optional(number, 500)
    health_days         = optional(number, 30)
  })
  default = {}

  validation {
    condition     = var.ui.min_count >= 1 && var.ui.max_count >= var.ui.min_count
    error_message = "ui needs min_count >= 1 and max_count >= min_count."
  }
}

variable "dbt_runner" {
  description = "Size of the scheduled dbt build task."
  type = object({
    cpu    = optional(number, 1024)
    memory = optional(number, 4096)
  })
  default = {}
}

variable "schedule_enabled" {
  description = "Whether the scheduled builds run (turn off in a dev account that shares a warehouse)."
  type        = bool
  default     = true
}

# -- deliveries (scheduled reports by email, Slack, Teams, webhooks) -----------------------------------
# The report service sends them itself (DELIVERY_MODE=send). Mail goes through
# the SES v2 API with the task role (no long-lived credentials) or an SMTP
# relay; chat and webhook URLs are Secrets Manager secrets under
# local.delivery_secrets_prefix, put there by operators (docs/operations.md).
variable "delivery_mail_from" {
  description = "Sender address of every delivery mail (DELIVERY_MAIL_FROM): a plain address, no display name. With ses it must be the SES identity or an address at its domain; the task role may send from this address only (ses:FromAddress)."
  type        = string

  validation {
    condition     = length(var.delivery_mail_from) <= 254 && can(regex("^[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.delivery_mail_from))
    error_message = "delivery_mail_from must be a plain address such as reports@example.com (lowercase domain, no display name)."
  }
}

variable "delivery_email_transport" {
  description = "How mail leaves (DELIVERY_EMAIL_TRANSPORT): ses (the SES v2 API with the task role; Terraform creates the identity) or smtp (the relay of delivery_smtp)."
  type        = string
  default     = "ses"

  validation {
    condition     = contains(["ses", "smtp"], var.delivery_email_transport)
    error_message = "delivery_email_transport must be ses or smtp."
  }
}

variable "delivery_ses_identity" {
  description = "SES identity Terraform creates and verifies (transport ses): a domain (DKIM records to publish: output delivery_ses_dkim_records) or one address (SES mails it a link). null: the domain of delivery_mail_from."
  type        = string
  default     = null

  validation {
    condition     = var.delivery_ses_identity == null || try(length(var.delivery_ses_identity) <= 254 && can(regex("^([A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.delivery_ses_identity)), false)
    error_message = "delivery_ses_identity must be a lowercase domain such as example.com or a plain address such as reports@example.com."
  }
}

variable "delivery_smtp" {
  description = "The SMTP relay (transport smtp; ignored with ses): host, port, security (starttls or ssl: never plain text across networks), username, password_secret (true: Terraform creates the secret an operator puts the password in, injected as DELIVERY_SMTP_PASSWORD; output delivery_smtp_password_secret_arn), egress_cidrs (where the report service may reach the relay's port)."
  type = object({
    host            = string
    port            = optional(number, 587)
    security        = optional(string, "starttls")
    username        = optional(string)
    password_secret = optional(bool, false)
    egress_cidrs    = optional(list(string), ["0.0.0.0/0"])
  })
  default = null

  validation {
    condition     = var.delivery_smtp == null || try(can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.delivery_smtp.host)), false)
    error_message = "delivery_smtp.host must be a lowercase DNS name such as email-smtp.eu-west-1.amazonaws.com."
  }

  validation {
    condition     = var.delivery_smtp == null || try(var.delivery_smtp.port >= 1 && var.delivery_smtp.port <= 65535 && floor(var.delivery_smtp.port) == var.delivery_smtp.port, false)
    error_message = "delivery_smtp.port must be a port number (1-65535)."
  }

  validation {
    condition     = var.delivery_smtp == null || try(contains(["starttls", "ssl"], var.delivery_smtp.security), false)
    error_message = "delivery_smtp.security must be starttls (port 587) or ssl (implicit TLS, port 465): mail and the relay's password never cross a network in plain text."
  }

  validation {
    condition     = var.delivery_smtp == null || try(var.delivery_smtp.username == null || can(regex("^[^\\s:]{1,256}$", var.delivery_smtp.username)), false)
    error_message = "delivery_smtp.username must be 1-256 characters without spaces or colons."
  }

  # The service logs in when it has a username and a password, and not at all
  # otherwise (a relay that trusts the VPC's addresses): both or neither.
  validation {
    condition     = var.delivery_smtp == null || try((var.delivery_smtp.username == null) == !var.delivery_smtp.password_secret, false)
    error_message = "delivery_smtp needs both username and password_secret = true (a login), or neither (a relay that needs none)."
  }

  validation {
    condition     = var.delivery_smtp == null || try(length(var.delivery_smtp.egress_cidrs) > 0 && alltrue([for c in var.delivery_smtp.egress_cidrs : can(cidrnetmask(c)) && can(regex("^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}$", c))]), false)
    error_message = "delivery_smtp.egress_cidrs must be IPv4 CIDR blocks such as 203.0.113.0/24."
  }
}

# -- operations ------------------------------------------------------------------------------------------
variable "alarm_sns_topic_arn" {
  description = "SNS topic every alarm notifies (owned by the operations team)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention of at least a year (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "report_retention_days" {
  description = "Days rendered reports stay in the reports bucket (noncurrent versions: 30 more)."
  type        = number
  default     = 90

  validation {
    condition     = var.report_retention_days >= 1 && var.report_retention_days <= 3650
    error_message = "report_retention_days must be 1-3650."
  }
}

variable "manage_api_gateway_account" {
  description = "Set the account-wide API Gateway CloudWatch role (once per account and region; turn off where another stack owns it)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Deletion protection of the ALB, NLB and the job table."
  type        = bool
  default     = true
}
