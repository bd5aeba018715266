# The internal NLB in front of the report service: API Gateway's VPC link
# (REST APIs link to NLBs) and the UI reach the service through it. It is
# never exposed outside the VPC.
resource "aws_lb" "internal" {
  # checkov:skip=CKV2_AWS_20: a network load balancer with one TCP listener inside the VPC; there is no HTTP listener to redirect
  name                             = substr("${var.name_prefix}-internal", 0, 32)
  internal                         = true
  load_balancer_type               = "network"
  subnets                          = var.private_subnet_ids
  security_groups                  = [var.nlb_security_group_id]
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.deletion_protection
  # The VPC link's traffic arrives through PrivateLink, from no security group;
  # API Gateway authorises it (IAM) before it gets here.
  enforce_security_group_inbound_rules_on_private_link_traffic = "off"

  # NLB access logs record TLS connections only; kept on so a TLS listener
  # added later is logged.
  access_logs {
    bucket  = var.logs_bucket
    prefix  = "nlb"
    enabled = true
  }
}

resource "aws_lb_target_group" "report_service_internal" {
  name                 = substr("${var.name_prefix}-reports-int", 0, 32)
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "TCP"
  port                 = var.report_service_port
  deregistration_delay = var.deregistration_delay

  health_check {
    protocol            = "HTTP"
    path                = var.report_service_health_path
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "internal" {
  load_balancer_arn = aws_lb.internal.arn
  port              = 80
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.report_service_internal.arn
  }
}
