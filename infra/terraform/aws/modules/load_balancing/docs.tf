# The dbt docs site, for signed-in people only.
#
# Design: the ALB signs people in (OIDC) and forwards to the S3 *interface*
# endpoint of the VPC, whose addresses are the targets of an IP target group.
# S3 serves the object named by the path from the bucket named by the Host
# header, so the bucket is named exactly like docs_hostname, and its policy
# allows reads only through this endpoint. Why this and not a container: the
# site is static files that CI publishes (`analytics ci publish docs --to
# s3://<docs_hostname>`), so a server process would add an image, a service to
# patch and scale, and a copy that goes stale after every publish; CloudFront
# cannot sit behind the ALB's OIDC action, and a Lambda target is limited to
# 1 MB responses while dbt's manifest.json and catalog.json are larger. Here
# every request reads the current files, and nothing runs but the ALB.
data "aws_network_interface" "docs_endpoint" {
  count = var.docs_endpoint_count
  id    = var.docs_endpoint_network_interface_ids[count.index]
}

resource "aws_lb_target_group" "docs" {
  name                 = substr("${var.name_prefix}-docs", 0, 32)
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "HTTPS"
  port                 = 443
  deregistration_delay = 10

  # S3 answers a request without a bucket host with an error status: any
  # HTTP answer shows the endpoint is up.
  health_check {
    path                = "/"
    protocol            = "HTTPS"
    matcher             = "200-499"
    interval            = 30
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_target_group_attachment" "docs" {
  count = var.docs_endpoint_count

  target_group_arn = aws_lb_target_group.docs.arn
  target_id        = data.aws_network_interface.docs_endpoint[count.index].private_ip
  port             = 443
}

# S3 has no index document through an endpoint: "/" goes to /index.html.
resource "aws_lb_listener_rule" "docs_index" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 40

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
    type = "redirect"
    redirect {
      path        = "/index.html"
      status_code = "HTTP_302"
    }
  }

  condition {
    host_header {
      values = [var.docs_hostname]
    }
  }

  condition {
    path_pattern {
      values = ["/"]
    }
  }
}

resource "aws_lb_listener_rule" "docs" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 41

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
    target_group_arn = aws_lb_target_group.docs.arn
  }

  condition {
    host_header {
      values = [var.docs_hostname]
    }
  }
}
