output "alb_arn" {
  description = "ARN of the public ALB."
  value       = aws_lb.public.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the public ALB (CloudWatch dimension)."
  value       = aws_lb.public.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the public ALB (point the three host names at it)."
  value       = aws_lb.public.dns_name
}

output "alb_zone_id" {
  description = "Hosted zone of the public ALB (Route 53 alias records)."
  value       = aws_lb.public.zone_id
}

output "nlb_arn" {
  description = "ARN of the internal NLB."
  value       = aws_lb.internal.arn
}

output "nlb_dns_name" {
  description = "DNS name of the internal NLB."
  value       = aws_lb.internal.dns_name
}

output "report_service_target_group_arn" {
  description = "Public target group of the report service."
  value       = aws_lb_target_group.report_service.arn
}

output "report_service_target_group_arn_suffix" {
  description = "ARN suffix of the report service's public target group."
  value       = aws_lb_target_group.report_service.arn_suffix
}

output "report_service_internal_target_group_arn" {
  description = "Internal (NLB) target group of the report service."
  value       = aws_lb_target_group.report_service_internal.arn
}

output "ui_target_group_arn" {
  description = "Target group of the UI."
  value       = aws_lb_target_group.ui.arn
}

output "ui_target_group_arn_suffix" {
  description = "ARN suffix of the UI's target group."
  value       = aws_lb_target_group.ui.arn_suffix
}

output "docs_target_group_arn_suffix" {
  description = "ARN suffix of the docs target group."
  value       = aws_lb_target_group.docs.arn_suffix
}

output "nlb_arn_suffix" {
  description = "ARN suffix of the internal NLB (CloudWatch dimension)."
  value       = aws_lb.internal.arn_suffix
}

output "report_service_internal_target_group_arn_suffix" {
  description = "ARN suffix of the report service's NLB target group."
  value       = aws_lb_target_group.report_service_internal.arn_suffix
}
