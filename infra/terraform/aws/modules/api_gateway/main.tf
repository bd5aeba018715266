# Snowflake's way in: a regional REST API with the two external-function
# routes of the report service, POST only, AWS_IAM auth, a resource policy
# that admits only the role Snowflake's API integration assumes, and a VPC
# link to the internal NLB. The x-api-key header Snowflake sends (the
# integration's API_KEY) passes through to the service, which checks it too.
variable "name_prefix" {
  description = "Prefix of resource names."
  type        = string
}

variable "stage_name" {
  description = "Stage name (the last part of api_gateway_url)."
  type        = string
}

variable "nlb_arn" {
  description = "The internal NLB in front of the report service."
  type        = string
}

variable "nlb_dns_name" {
  description = "Its DNS name."
  type        = string
}

variable "external_routes" {
  description = "Route name -> path of the report service's external-function routes (under /v1/external)."
  type        = map(string)
}

variable "snowflake_iam_user_arn" {
  description = "Snowflake's IAM user (API_AWS_IAM_USER_ARN); null: the role trusts nobody yet."
  type        = string
  default     = null
}

variable "snowflake_external_id" {
  description = "API_AWS_EXTERNAL_ID of the API integration."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "The platform key (access log group)."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the access log group."
  type        = number
}

variable "manage_account_settings" {
  description = "Set the account-wide API Gateway CloudWatch role."
  type        = bool
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  # Snowflake assumes the role with session name "snowflake".
  snowflake_role_name = "${var.name_prefix}-snowflake-api"
  snowflake_session   = "arn:${data.aws_partition.current.partition}:sts::${data.aws_caller_identity.current.account_id}:assumed-role/${local.snowflake_role_name}/snowflake"
  method_arns         = [for name, path in var.external_routes : "${aws_api_gateway_rest_api.this.execution_arn}/*/POST${path}"]
}

# -- the role Snowflake assumes ---------------------------------------------------------------------
data "aws_iam_policy_document" "snowflake_trust" {
  dynamic "statement" {
    for_each = var.snowflake_iam_user_arn == null ? [] : [1]
    content {
      sid     = "SnowflakeApiIntegration"
      actions = ["sts:AssumeRole"]
      principals {
        type        = "AWS"
        identifiers = [var.snowflake_iam_user_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "sts:ExternalId"
        values   = [var.snowflake_external_id]
      }
    }
  }

  # Until the integration exists (first apply) nobody may assume the role.
  dynamic "statement" {
    for_each = var.snowflake_iam_user_arn == null ? [1] : []
    content {
      sid     = "NobodyUntilTheIntegrationExists"
      effect  = "Deny"
      actions = ["sts:AssumeRole"]
      principals {
        type        = "AWS"
        identifiers = ["*"]
      }
    }
  }
}

resource "aws_iam_role" "snowflake" {
  name               = local.snowflake_role_name
  description        = "Assumed by Snowflake's API integration to call the report service's external functions."
  assume_role_policy = data.aws_iam_policy_document.snowflake_trust.json

  lifecycle {
    precondition {
      condition     = (var.snowflake_iam_user_arn == null) == (var.snowflake_external_id == null)
      error_message = "set snowflake_iam_user_arn and snowflake_external_id together (both from DESCRIBE API INTEGRATION)."
    }
  }
}

data "aws_iam_policy_document" "snowflake_invoke" {
  statement {
    sid       = "InvokeExternalFunctions"
    actions   = ["execute-api:Invoke"]
    resources = local.method_arns
  }
}

resource "aws_iam_role_policy" "snowflake_invoke" {
  name   = "invoke-external-functions"
  role   = aws_iam_role.snowflake.id
  policy = data.aws_iam_policy_document.snowflake_invoke.json
}

# -- the API ------------------------------------------------------------------------------------------
resource "aws_api_gateway_vpc_link" "this" {
  name        = "${var.name_prefix}-report-service"
  target_arns = [var.nlb_arn]
}

resource "aws_api_gateway_rest_api" "this" {
  name        = "${var.name_prefix}-external-functions"
  description = "Snowflake external functions of the report service."

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "resource_policy" {
  statement {
    sid       = "OnlySnowflakesRole"
    actions   = ["execute-api:Invoke"]
    resources = local.method_arns
    principals {
      type        = "AWS"
      identifiers = [local.snowflake_session]
    }
  }
}

resource "aws_api_gateway_rest_api_policy" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  policy      = data.aws_iam_policy_document.resource_policy.json
}

resource "aws_api_gateway_resource" "v1" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "v1"
}

resource "aws_api_gateway_resource" "external" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.v1.id
  path_part   = "external"
}

resource "aws_api_gateway_resource" "route" {
  for_each = var.external_routes

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.external.id
  path_part   = element(split("/", each.value), length(split("/", each.value)) - 1)

  lifecycle {
    precondition {
      condition     = each.value == "/v1/external/${element(split("/", each.value), length(split("/", each.value)) - 1)}"
      error_message = "external routes live directly under /v1/external."
    }
  }
}

resource "aws_api_gateway_request_validator" "this" {
  name                        = "headers-and-parameters"
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  validate_request_body       = false
  validate_request_parameters = true
}

resource "aws_api_gateway_method" "route" {
  for_each = var.external_routes

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.route[each.key].id
  http_method          = "POST"
  authorization        = "AWS_IAM"
  request_validator_id = aws_api_gateway_request_validator.this.id
}

resource "aws_api_gateway_integration" "route" {
  for_each = var.external_routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.route[each.key].id
  http_method             = aws_api_gateway_method.route[each.key].http_method
  type                    = "HTTP_PROXY"
  integration_http_method = "POST"
  uri                     = "http://${var.nlb_dns_name}${each.value}"
  connection_type         = "VPC_LINK"
  connection_id           = aws_api_gateway_vpc_link.this.id
  timeout_milliseconds    = 29000
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.route,
      aws_api_gateway_method.route,
      aws_api_gateway_integration.route,
      aws_api_gateway_rest_api_policy.this.policy,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name_prefix}-external-functions"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120: external-function calls create jobs (POST); caching their answers would be wrong
  # checkov:skip=CKV2_AWS_51: the backend is reached through a VPC link to an internal NLB, not over the internet; client certificates do not apply
  # checkov:skip=CKV2_AWS_29: the WAF web ACL is associated in ../waf (aws_wafv2_web_acl_association), which checkov does not follow across modules
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      caller         = "$context.identity.caller"
      userArn        = "$context.identity.userArn"
      requestTime    = "$context.requestTime"
      httpMethod     = "$context.httpMethod"
      resourcePath   = "$context.resourcePath"
      status         = "$context.status"
      responseLength = "$context.responseLength"
      latency        = "$context.integrationLatency"
      error          = "$context.error.message"
    })
  }

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225: caching is off on purpose: every external-function call (POST) creates or reads a job and must reach the service
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false
    caching_enabled        = false
    throttling_burst_limit = 200
    throttling_rate_limit  = 100
  }
}

# -- the account's CloudWatch role for API Gateway logs -------------------------------------------
data "aws_iam_policy_document" "apigateway_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cloudwatch" {
  count = var.manage_account_settings ? 1 : 0

  name_prefix        = "${var.name_prefix}-apigw-logs-"
  assume_role_policy = data.aws_iam_policy_document.apigateway_trust.json
}

resource "aws_iam_role_policy_attachment" "cloudwatch" {
  count = var.manage_account_settings ? 1 : 0

  role       = aws_iam_role.cloudwatch[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_settings ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn
}

output "invoke_url" {
  description = "The stage URL: https://<id>.execute-api.<region>.amazonaws.com/<stage>."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "stage_arn" {
  description = "ARN of the stage (WAF association)."
  value       = aws_api_gateway_stage.this.arn
}

output "rest_api_name" {
  description = "Name of the REST API (CloudWatch dimension)."
  value       = aws_api_gateway_rest_api.this.name
}

output "snowflake_role_arn" {
  description = "The role Snowflake's API integration assumes."
  value       = aws_iam_role.snowflake.arn
}
