# The report service's delivery ledger (REPORT_SERVICE_DELIVERY_TABLE), shared
# by every replica so each delivery is sent once: exactly the schema of
# report_service/delivery/ledger_dynamodb_items.py (table_definition, which
# DynamoDeliveryLedger.ensure_table creates in tests): partition key
# delivery_id; sparse GSI queue-index (queue, wake_at) for ready and stalled
# deliveries; GSI source-index (source, due_at) and recent-index (listing,
# due_at) for the newest deliveries of one subscription or of all; sparse GSI
# outbox-index (pending, updated_at) projecting only the outbox map, for the
# events not yet written. On-demand billing; encrypted with the platform key.
resource "aws_dynamodb_table" "deliveries" {
  name                        = var.delivery_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "delivery_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "delivery_id"
    type = "S"
  }

  attribute {
    name = "queue"
    type = "S"
  }

  attribute {
    name = "wake_at"
    type = "S"
  }

  attribute {
    name = "source"
    type = "S"
  }

  attribute {
    name = "due_at"
    type = "S"
  }

  attribute {
    name = "listing"
    type = "S"
  }

  attribute {
    name = "pending"
    type = "S"
  }

  attribute {
    name = "updated_at"
    type = "S"
  }

  global_secondary_index {
    name            = "queue-index"
    hash_key        = "queue"
    range_key       = "wake_at"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "source-index"
    hash_key        = "source"
    range_key       = "due_at"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "recent-index"
    hash_key        = "listing"
    range_key       = "due_at"
    projection_type = "ALL"
  }

  global_secondary_index {
    name               = "outbox-index"
    hash_key           = "pending"
    range_key          = "updated_at"
    projection_type    = "INCLUDE"
    non_key_attributes = ["outbox"]
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }
}

# The delivery table's variable and outputs live here, beside it.
variable "delivery_table_name" {
  description = "Name of the DynamoDB delivery ledger table (REPORT_SERVICE_DELIVERY_TABLE)."
  type        = string
}

output "delivery_table_name" {
  description = "Name of the delivery ledger table."
  value       = aws_dynamodb_table.deliveries.name
}

output "delivery_table_arn" {
  description = "ARN of the delivery ledger table."
  value       = aws_dynamodb_table.deliveries.arn
}
