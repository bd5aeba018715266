# The report service's job store (REPORT_SERVICE_JOB_STORE=dynamodb): exactly
# the schema of report_service/stores/dynamodb.py (DynamoJobStore.ensure_table):
# partition key job_id; GSI queue-index (queue, queue_at) and GSI recent-index
# (created_day, created_key), both projecting ALL; on-demand billing.
resource "aws_dynamodb_table" "jobs" {
  name                        = var.job_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "job_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "job_id"
    type = "S"
  }

  attribute {
    name = "queue"
    type = "S"
  }

  attribute {
    name = "queue_at"
    type = "S"
  }

  attribute {
    name = "created_day"
    type = "S"
  }

  attribute {
    name = "created_key"
    type = "S"
  }

  global_secondary_index {
    name            = "queue-index"
    hash_key        = "queue"
    range_key       = "queue_at"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "recent-index"
    hash_key        = "created_day"
    range_key       = "created_key"
    projection_type = "ALL"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }
}
