terraform {
  required_version = ">= 1.9" # validations that refer to other variables

  required_providers {
    snowflake = {
      source = "snowflakedb/snowflake"
      # 2.x: stable service users, semantic-view grants (2.10+). A new major
      # version has breaking changes; read its migration guide before moving.
      version = "~> 2.10"
    }
  }

  # State is local until a backend is chosen. It holds no secret (public keys
  # and names only), but it must be shared by whoever applies: add a backend
  # in an untracked `backend.tf` (for example S3 with a lock table, once the
  # AWS account exists) and run `terraform init -migrate-state`.
}
