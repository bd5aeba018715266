# The AWS deployment of the analytics platform: the report service and the UI
# on ECS Fargate behind a public ALB (OIDC sign-in for people), the report
# service's Snowflake external-function routes behind API Gateway (IAM auth,
# reached through a VPC link), the dbt docs site from a private bucket, the
# scheduled dbt builds, storage, alarms and least-privilege roles.
#
#   terraform -chdir=infra/terraform/aws init -backend-config=...
#   terraform -chdir=infra/terraform/aws plan -var-file=environments/dev.tfvars
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60.0, < 7.0.0"
    }
  }

  # State lives in S3; the bucket, key and lock table are given at init
  # (-backend-config), so no account detail is written here.
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      project     = var.project
      environment = var.environment
      managed_by  = "terraform"
      repository  = "analytics-platform"
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}
