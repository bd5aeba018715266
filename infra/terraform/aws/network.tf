# Security groups (every path between the pieces is named) and the S3
# interface endpoint that serves the docs site to the ALB.
#
#   internet --443/80--> ALB --8000--> report service <--8000-- NLB <-- UI (80), API Gateway VPC link
#                            --8501--> UI
#                            --443---> S3 endpoint (docs bucket)
#   report service, UI, dbt runner --443--> Snowflake and AWS APIs (task_egress_cidrs)
#   report service --443--> SES's API, Slack, Teams, webhooks (the same rule)
#   report service --relay port--> the SMTP relay (transport smtp only: delivery_smtp.egress_cidrs)
resource "aws_security_group" "alb" {
  name_prefix = "${local.name}-alb-"
  description = "Public ALB"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = toset(var.alb_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from people and scripts"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  # checkov:skip=CKV_AWS_260: port 80 only answers with a redirect to HTTPS (aws_lb_listener.http); nothing is served over it
  for_each = toset(var.alb_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTP, redirected to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_report_service" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the report service"
  ip_protocol                  = "tcp"
  from_port                    = local.report_service_port
  to_port                      = local.report_service_port
  referenced_security_group_id = aws_security_group.report_service.id
}

resource "aws_vpc_security_group_egress_rule" "alb_to_ui" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the UI"
  ip_protocol                  = "tcp"
  from_port                    = local.ui_port
  to_port                      = local.ui_port
  referenced_security_group_id = aws_security_group.ui.id
}

resource "aws_vpc_security_group_egress_rule" "alb_to_docs_endpoint" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the S3 endpoint serving the docs site"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.docs_endpoint.id
}

# The OIDC action calls the identity provider's token and user info endpoints from the ALB.
resource "aws_vpc_security_group_egress_rule" "alb_to_idp" {
  security_group_id = aws_security_group.alb.id
  description       = "To the OIDC provider (token and user info endpoints)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "nlb" {
  name_prefix = "${local.name}-nlb-"
  description = "Internal NLB of the report service"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "nlb_from_ui" {
  # checkov:skip=CKV_AWS_260: the source is the UI's security group, not 0.0.0.0/0; port 80 is the NLB's in-VPC listener
  security_group_id            = aws_security_group.nlb.id
  description                  = "The UI calls the report service"
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  referenced_security_group_id = aws_security_group.ui.id
}

resource "aws_vpc_security_group_ingress_rule" "nlb_from_dbt_runner" {
  # checkov:skip=CKV_AWS_260: the source is the dbt runner's security group, not 0.0.0.0/0; port 80 is the NLB's in-VPC listener
  count                        = local.runner_alerts ? 1 : 0
  security_group_id            = aws_security_group.nlb.id
  description                  = "Scheduled builds hand their alerts to the report service"
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  referenced_security_group_id = aws_security_group.dbt_runner.id
}

resource "aws_vpc_security_group_egress_rule" "nlb_to_report_service" {
  security_group_id            = aws_security_group.nlb.id
  description                  = "To the report service"
  ip_protocol                  = "tcp"
  from_port                    = local.report_service_port
  to_port                      = local.report_service_port
  referenced_security_group_id = aws_security_group.report_service.id
}

resource "aws_security_group" "report_service" {
  name_prefix = "${local.name}-report-service-"
  description = "Report service tasks"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "report_service_from_alb" {
  security_group_id            = aws_security_group.report_service.id
  description                  = "From the public ALB"
  ip_protocol                  = "tcp"
  from_port                    = local.report_service_port
  to_port                      = local.report_service_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_ingress_rule" "report_service_from_nlb" {
  security_group_id            = aws_security_group.report_service.id
  description                  = "From the internal NLB (API Gateway, UI)"
  ip_protocol                  = "tcp"
  from_port                    = local.report_service_port
  to_port                      = local.report_service_port
  referenced_security_group_id = aws_security_group.nlb.id
}

resource "aws_security_group" "ui" {
  name_prefix = "${local.name}-ui-"
  description = "UI tasks"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "ui_from_alb" {
  security_group_id            = aws_security_group.ui.id
  description                  = "From the public ALB"
  ip_protocol                  = "tcp"
  from_port                    = local.ui_port
  to_port                      = local.ui_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "ui_to_nlb" {
  security_group_id            = aws_security_group.ui.id
  description                  = "To the report service through the internal NLB"
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  referenced_security_group_id = aws_security_group.nlb.id
}

resource "aws_security_group" "dbt_runner" {
  name_prefix = "${local.name}-dbt-runner-"
  description = "Scheduled dbt build tasks (no inbound)"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "dbt_runner_to_nlb" {
  count                        = local.runner_alerts ? 1 : 0
  security_group_id            = aws_security_group.dbt_runner.id
  description                  = "Alerts to the report service through the internal NLB"
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  referenced_security_group_id = aws_security_group.nlb.id
}

# Snowflake and the AWS APIs, on 443 only, from every task.
resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  for_each = {
    for pair in setproduct(["report_service", "ui", "dbt_runner"], var.task_egress_cidrs) : "${pair[0]} ${pair[1]}" => {
      group = pair[0]
      cidr  = pair[1]
    }
  }

  security_group_id = {
    report_service = aws_security_group.report_service.id
    ui             = aws_security_group.ui.id
    dbt_runner     = aws_security_group.dbt_runner.id
  }[each.value.group]
  description = "HTTPS to Snowflake and AWS APIs"
  ip_protocol = "tcp"
  from_port   = 443
  to_port     = 443
  cidr_ipv4   = each.value.cidr
}

# Deliveries by SMTP: the relay's one port, from the report service only, and
# only while the transport is smtp (SES's API and the chat and webhook URLs
# are HTTPS, which tasks_https already allows).
resource "aws_vpc_security_group_egress_rule" "report_service_smtp" {
  for_each = toset(local.delivery_smtp == null ? [] : local.delivery_smtp.egress_cidrs)

  security_group_id = aws_security_group.report_service.id
  description       = "SMTP to the delivery relay"
  ip_protocol       = "tcp"
  from_port         = local.delivery_smtp.port
  to_port           = local.delivery_smtp.port
  cidr_ipv4         = each.value
}

resource "aws_security_group" "docs_endpoint" {
  name_prefix = "${local.name}-docs-endpoint-"
  description = "S3 interface endpoint serving the docs site to the ALB"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "docs_endpoint_from_alb" {
  security_group_id            = aws_security_group.docs_endpoint.id
  description                  = "From the public ALB"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.alb.id
}

# The docs site's origin (see modules/load_balancing/docs.tf). Its policy
# allows reading the docs bucket only.
data "aws_iam_policy_document" "docs_endpoint" {
  statement {
    sid       = "ReadTheDocsSiteOnly"
    actions   = ["s3:GetObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.docs_hostname}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

resource "aws_vpc_endpoint" "docs_s3" {
  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${var.aws_region}.s3"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.private_subnet_ids
  security_group_ids  = [aws_security_group.docs_endpoint.id]
  private_dns_enabled = false
  policy              = data.aws_iam_policy_document.docs_endpoint.json
}
