# Deliveries: the report service sends scheduled reports itself
# (DELIVERY_MODE=send, locals.tf delivery_environment).
#
#   mail, transport ses:  the SES v2 API (SendEmail, raw MIME) with the task
#                         role, from delivery_mail_from only, through the
#                         identity below (iam.tf DeliveryMail)
#   mail, transport smtp: the relay of var.delivery_smtp (network.tf opens its
#                         port; secrets.tf holds its password, injected by ECS)
#   Slack, Teams, webhooks: HTTPS to the URL in the secret <prefix><name>
#                         (local.delivery_secrets_prefix; iam.tf DeliverySecrets)
#
# SES starts every account in its sandbox (recipients must be verified too):
# production access is requested once per account and region, outside
# Terraform (docs/operations.md, "Deliveries on AWS").

# Refuse to plan settings the report service could not send with.
resource "terraform_data" "delivery_settings_check" {
  input = local.delivery_environment

  lifecycle {
    precondition {
      condition     = length(local.delivery_errors) == 0
      error_message = "deliveries: ${join("; ", local.delivery_errors)}"
    }
  }
}

# Every mail of the identity goes through this set (the identity's default, so
# the application needs no setting for it): reputation metrics in CloudWatch,
# addresses that bounced or complained suppressed account-wide, and TLS
# required to the recipient's server (reports are business data).
resource "aws_sesv2_configuration_set" "delivery" {
  count = local.delivery_ses ? 1 : 0

  configuration_set_name = "${local.name}-delivery"

  delivery_options {
    tls_policy = "REQUIRE"
  }

  reputation_options {
    reputation_metrics_enabled = true
  }

  sending_options {
    sending_enabled = true
  }

  suppression_options {
    suppressed_reasons = ["BOUNCE", "COMPLAINT"]
  }
}

# The sender. A domain identity is verified by publishing its three DKIM
# CNAME records (output delivery_ses_dkim_records; Easy DKIM, 2048-bit keys,
# rotated by SES); an address identity by the link SES mails to it.
resource "aws_sesv2_email_identity" "delivery" {
  count = local.delivery_ses ? 1 : 0

  email_identity         = local.delivery_ses_identity
  configuration_set_name = aws_sesv2_configuration_set.delivery[0].configuration_set_name

  dynamic "dkim_signing_attributes" {
    for_each = strcontains(local.delivery_ses_identity, "@") ? [] : [1]
    content {
      next_signing_key_length = "RSA_2048_BIT"
    }
  }
}
