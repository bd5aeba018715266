# The platform's roles, each granted to var.parent_role (SYSADMIN by
# default) so administrators can manage what the platform's roles own.

locals {
  role_comments = {
    transformer = "dbt: reads raw_data; builds processed_data, reporting, monitoring, monitoring_raw"
    reporter    = "The report service: reads the reporting schema, nothing else"
    analyst     = "The UI, questions in plain language and Cortex Analyst: reads processed_data, reporting, monitoring"
    loader      = "The ELT tool: writes raw_data"
    deployer    = "Runs analytics snowflake-ddl: owns the API integration, external functions and report tasks"
    operator    = "Calls the report functions and operates the report tasks (granted by analytics snowflake-ddl)"
  }
}

resource "snowflake_account_role" "platform" {
  for_each = local.role_comments
  provider = snowflake.security

  name    = var.role_names[each.key]
  comment = "analytics platform (${var.environment}): ${each.value}"
}

resource "snowflake_grant_account_role" "platform_to_parent" {
  for_each = snowflake_account_role.platform
  provider = snowflake.security

  role_name        = each.value.name
  parent_role_name = var.parent_role
}
