variable "name_prefix" {
  description = "Prefix of resource names."
  type        = string
}

variable "kms_key_arn" {
  description = "The platform's KMS key (reports bucket, job table)."
  type        = string
}

variable "docs_bucket_name" {
  description = "Name of the docs bucket: the docs site's host name (see ../load_balancing/docs.tf)."
  type        = string
}

variable "docs_vpc_endpoint_id" {
  description = "The S3 interface endpoint the ALB reads the docs site through; the only way to read the docs bucket besides CI's role."
  type        = string
}

variable "reports_prefix" {
  description = "Key prefix of rendered reports (REPORT_SERVICE_S3_PREFIX)."
  type        = string
}

variable "events_prefix" {
  description = "Key prefix of report job events (ANALYTICS_EVENTS_URL), read by Snowpipe."
  type        = string
}

variable "state_prefix" {
  description = "Key prefix of production dbt artifacts (CI's STATE_URL)."
  type        = string
}

variable "report_retention_days" {
  description = "Days rendered reports are kept."
  type        = number
}

variable "job_table_name" {
  description = "Name of the DynamoDB job table (REPORT_SERVICE_DYNAMODB_TABLE)."
  type        = string
}

variable "deletion_protection" {
  description = "Deletion protection of the job table."
  type        = bool
}
