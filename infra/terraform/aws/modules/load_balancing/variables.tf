variable "name_prefix" {
  description = "Prefix of resource names."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the public ALB."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the internal NLB."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the public ALB."
  type        = string
}

variable "nlb_security_group_id" {
  description = "Security group of the internal NLB."
  type        = string
}

variable "certificate_arn" {
  description = "Certificate of the HTTPS listener."
  type        = string
}

variable "ui_hostname" {
  description = "Host of the UI."
  type        = string
}

variable "docs_hostname" {
  description = "Host of the docs site."
  type        = string
}

variable "api_hostname" {
  description = "Host of the report service's API for scripts."
  type        = string
}

variable "report_service_port" {
  description = "Port the report service listens on."
  type        = number
}

variable "report_service_health_path" {
  description = "Health check path of the report service."
  type        = string
}

variable "report_service_public_paths" {
  description = "The only report service paths the public listener forwards (ALB path patterns, at most 5)."
  type        = list(string)

  validation {
    condition     = length(var.report_service_public_paths) >= 1 && length(var.report_service_public_paths) <= 5
    error_message = "an ALB path condition takes 1-5 patterns."
  }
}

variable "report_service_blocked_paths" {
  description = "Report service paths the public listener answers itself with 403 (ALB path patterns): the external-function routes, reachable only through API Gateway."
  type        = list(string)
}

variable "ui_port" {
  description = "Port the UI listens on."
  type        = number
}

variable "ui_health_path" {
  description = "Health check path of the UI."
  type        = string
}

variable "docs_endpoint_network_interface_ids" {
  description = "Network interfaces of the S3 interface endpoint serving the docs bucket."
  type        = list(string)
}

variable "docs_endpoint_count" {
  description = "How many interfaces the endpoint has (one per private subnet); known at plan time."
  type        = number
}

variable "oidc" {
  description = "OIDC provider of the sign-in."
  type = object({
    issuer                 = string
    authorization_endpoint = string
    token_endpoint         = string
    user_info_endpoint     = string
    client_id              = string
  })
}

variable "oidc_client_secret" {
  description = "OIDC client secret."
  type        = string
  sensitive   = true
}

variable "logs_bucket" {
  description = "Bucket of the access logs."
  type        = string
}

variable "deletion_protection" {
  description = "Deletion protection of both load balancers."
  type        = bool
}

variable "deregistration_delay" {
  description = "Seconds a stopping report service task keeps its connections before ECS sends SIGTERM."
  type        = number
  default     = 30
}
