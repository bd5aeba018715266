# What the applications' own code calls, and nothing else (tests compare
# these statements with the boto3 calls in the code):
#   report service: the DynamoDB job store and delivery ledger (put_item,
#     get_item, query, update_item, each on its own table), the S3 artifact
#     store (upload_file, get_object, presigned get_object), the S3 event
#     sink (put_object), the API keys secret (get_secret_value); KMS for the
#     SSE-KMS objects and the secret, each only through the service that
#     stores them (kms:ViaService). Deliveries
#     (delivery.tf): the chat and webhook secrets under one prefix
#     (get_secret_value), and with transport ses the SES v2 send_email with
#     raw MIME content, which SES authorises as ses:SendRawEmail as well as
#     ses:SendEmail, on the delivery identity only and from delivery_mail_from
#     only.
#   UI and dbt runner: no AWS API (Snowflake only), so no task policy.
#   CI (ci_artifacts.py): publish docs and state (upload_file, put_object),
#     fetch state (get_object, download_file); a managed policy to attach to
#     the pipeline's role.
data "aws_iam_policy_document" "report_service_task" {
  statement {
    sid       = "JobStore"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
    resources = [module.storage.job_table_arn, "${module.storage.job_table_arn}/index/*"]
  }

  # The delivery ledger (report_service/delivery/ledger_dynamodb.py): the same
  # four calls; no Scan, DeleteItem or BatchWriteItem.
  statement {
    sid       = "DeliveryLedger"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
    resources = [module.storage.delivery_table_arn, "${module.storage.delivery_table_arn}/index/*"]
  }

  statement {
    sid       = "ArtifactStore"
    actions   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    resources = ["${module.storage.reports_bucket_arn}/${local.reports_prefix}/*"]
  }

  statement {
    sid       = "JobEvents"
    actions   = ["s3:PutObject"]
    resources = ["${module.storage.reports_bucket_arn}/${local.events_prefix}/*"]
  }

  statement {
    sid       = "ApiKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.api_keys.arn]
  }

  # Secret names are prefix + the name in the schedule file; the ARN ends in
  # "-" and six random characters, which the wildcard covers.
  statement {
    sid       = "DeliverySecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:${data.aws_partition.current.partition}:secretsmanager:${var.aws_region}:${data.aws_caller_identity.current.account_id}:secret:${local.delivery_secrets_prefix}*"]
  }

  # The job and delivery tables and the reports bucket's objects (SSE-KMS),
  # through DynamoDB and S3 only.
  statement {
    sid       = "PlatformKeyThroughStorage"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.platform.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${var.aws_region}.amazonaws.com", "s3.${var.aws_region}.amazonaws.com"]
    }
  }

  # The API keys and the delivery secrets, through Secrets Manager only.
  statement {
    sid       = "PlatformKeyThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.platform.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${var.aws_region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = local.delivery_ses ? [1] : []
    content {
      sid       = "DeliveryMail"
      actions   = ["ses:SendEmail", "ses:SendRawEmail"]
      resources = [aws_sesv2_email_identity.delivery[0].arn, aws_sesv2_configuration_set.delivery[0].arn]
      condition {
        test     = "StringEquals"
        variable = "ses:FromAddress"
        values   = [var.delivery_mail_from]
      }
    }
  }
}

data "aws_iam_policy_document" "ci_artifacts" {
  statement {
    sid       = "PublishDocs"
    actions   = ["s3:AbortMultipartUpload", "s3:PutObject"]
    resources = ["${module.storage.docs_bucket_arn}/*"]
  }

  statement {
    sid       = "PublishAndFetchState"
    actions   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    resources = ["${module.storage.reports_bucket_arn}/${local.state_prefix}/*"]
  }

  statement {
    sid       = "PlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.platform.arn]
  }
}

resource "aws_iam_policy" "ci_artifacts" {
  name_prefix = "${local.name}-ci-artifacts-"
  description = "analytics ci publish docs|state and ci fetch-state: attach to the CI pipeline's role."
  policy      = data.aws_iam_policy_document.ci_artifacts.json
}
