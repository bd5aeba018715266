# What the applications' own code calls, and nothing else (tests compare
# these statements with the boto3 calls in the code):
#   report service: the DynamoDB job store (put_item, get_item, query,
#     update_item), the S3 artifact store (upload_file, get_object, presigned
#     get_object), the S3 event sink (put_object), the API keys secret
#     (get_secret_value); KMS for the SSE-KMS objects and the secret.
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

  statement {
    sid       = "PlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.platform.arn]
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
