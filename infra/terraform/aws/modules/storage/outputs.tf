output "reports_bucket" {
  description = "Name of the reports bucket."
  value       = aws_s3_bucket.reports.id
}

output "reports_bucket_arn" {
  description = "ARN of the reports bucket."
  value       = aws_s3_bucket.reports.arn
}

output "docs_bucket" {
  description = "Name of the docs bucket."
  value       = aws_s3_bucket.docs.id
}

output "docs_bucket_arn" {
  description = "ARN of the docs bucket."
  value       = aws_s3_bucket.docs.arn
}

output "logs_bucket" {
  description = "Name of the access-log bucket."
  value       = aws_s3_bucket.logs.id
}

output "job_table_name" {
  description = "Name of the job table."
  value       = aws_dynamodb_table.jobs.name
}

output "job_table_arn" {
  description = "ARN of the job table."
  value       = aws_dynamodb_table.jobs.arn
}
