# The public ALB: HTTPS only (HTTP redirects), three host names.
#   ui_hostname   -> OIDC sign-in, then the Streamlit UI
#   docs_hostname -> OIDC sign-in, then the dbt docs site (docs.tf)
#   api_hostname  -> the report service's API for scripts (x-api-key), an
#                    allow-list of paths; /v1/external/* answers 403 here:
#                    Snowflake reaches it only through API Gateway (IAM auth).
resource "aws_lb" "public" {
  # checkov:skip=CKV2_AWS_28: the WAF web ACL is associated in ../waf (aws_wafv2_web_acl_association), which checkov does not follow across modules
  name                       = substr("${var.name_prefix}-public", 0, 32)
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [var.alb_security_group_id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = 120
  desync_mitigation_mode     = "strictest"

  access_logs {
    bucket  = var.logs_bucket
    prefix  = "alb"
    enabled = true
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.public.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.public.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      message_body = jsonencode({ error = { code = "not_found", message = "unknown host" } })
      status_code  = "404"
    }
  }
}

# -- target groups -----------------------------------------------------------------------------
resource "aws_lb_target_group" "report_service" {
  # checkov:skip=CKV_AWS_378: TLS ends at the ALB; the service serves plain HTTP to the ALB only, inside the VPC (security group report_service)
  name                 = substr("${var.name_prefix}-reports", 0, 32)
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = var.report_service_port
  deregistration_delay = var.deregistration_delay

  health_check {
    path                = var.report_service_health_path
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_target_group" "ui" {
  # checkov:skip=CKV_AWS_378: TLS ends at the ALB; Streamlit serves plain HTTP to the ALB only, inside the VPC (security group ui)
  name                 = substr("${var.name_prefix}-ui", 0, 32)
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = var.ui_port
  deregistration_delay = 30

  health_check {
    path                = var.ui_health_path
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  # A Streamlit session (its websocket, uploads and media) lives in one
  # process: keep each browser on the task that holds its session.
  stickiness {
    type            = "lb_cookie"
    cookie_duration = 86400
    enabled         = true
  }
}

# -- rules: the report service (no sign-in: scripts authenticate with x-api-key) -------------
resource "aws_lb_listener_rule" "block_external_functions" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      message_body = jsonencode({ error = { code = "forbidden", message = "external functions are served only through API Gateway" } })
      status_code  = "403"
    }
  }

  condition {
    host_header {
      values = [var.api_hostname]
    }
  }

  condition {
    path_pattern {
      values = var.report_service_blocked_paths
    }
  }
}

resource "aws_lb_listener_rule" "report_service" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 20

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.report_service.arn
  }

  condition {
    host_header {
      values = [var.api_hostname]
    }
  }

  condition {
    path_pattern {
      values = var.report_service_public_paths
    }
  }
}

# -- rules: people, after OIDC sign-in ---------------------------------------------------------
resource "aws_lb_listener_rule" "ui" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 30

  action {
    type = "authenticate-oidc"
    authenticate_oidc {
      issuer                     = var.oidc.issuer
      authorization_endpoint     = var.oidc.authorization_endpoint
      token_endpoint             = var.oidc.token_endpoint
      user_info_endpoint         = var.oidc.user_info_endpoint
      client_id                  = var.oidc.client_id
      client_secret              = var.oidc_client_secret
      scope                      = "openid email profile"
      session_timeout            = 28800
      on_unauthenticated_request = "authenticate"
    }
  }

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.ui.arn
  }

  condition {
    host_header {
      values = [var.ui_hostname]
    }
  }
}
