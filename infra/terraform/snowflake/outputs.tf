output "database_name" {
  description = "The platform's database: SNOWFLAKE_DATABASE everywhere, and --database of analytics snowflake-ddl."
  value       = snowflake_database.platform.name
}

output "schemas" {
  description = "The schemas, by dbt's name for them."
  value = {
    raw_data       = snowflake_schema.raw_data.name
    processed_data = snowflake_schema.processed_data.name
    reporting      = snowflake_schema.reporting.name
    monitoring     = snowflake_schema.monitoring.name
    monitoring_raw = snowflake_schema.monitoring_raw.name
  }
}

output "role_names" {
  description = "The platform's roles, by purpose."
  value       = local.role
}

output "warehouse_names" {
  description = "The warehouses, by workload."
  value = {
    load      = snowflake_warehouse.load.name
    transform = snowflake_warehouse.transform.name
    reporting = snowflake_warehouse.reporting.name
    analysis  = snowflake_warehouse.analysis.name
  }
}

output "component_settings" {
  description = "The environment each component runs with (besides SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and its private key)."
  value = {
    dbt = {
      SNOWFLAKE_DATABASE  = snowflake_database.platform.name
      SNOWFLAKE_ROLE      = local.role["transformer"]
      SNOWFLAKE_WAREHOUSE = snowflake_warehouse.transform.name
    }
    report_service = {
      SNOWFLAKE_DATABASE              = snowflake_database.platform.name
      SNOWFLAKE_ROLE                  = local.role["reporter"]
      SNOWFLAKE_WAREHOUSE             = snowflake_warehouse.reporting.name
      REPORT_SERVICE_REPORTING_SCHEMA = lower(snowflake_schema.reporting.name)
    }
    ui = {
      SNOWFLAKE_DATABASE         = snowflake_database.platform.name
      SNOWFLAKE_ROLE             = local.role["analyst"]
      SNOWFLAKE_WAREHOUSE        = snowflake_warehouse.analysis.name
      QUESTIONS_REPORTING_SCHEMA = lower(snowflake_schema.reporting.name)
    }
    loader = {
      SNOWFLAKE_DATABASE  = snowflake_database.platform.name
      SNOWFLAKE_ROLE      = local.role["loader"]
      SNOWFLAKE_WAREHOUSE = snowflake_warehouse.load.name
    }
  }
}

output "snowflake_ddl_arguments" {
  description = "Arguments of `analytics snowflake-ddl` for this environment (run it as a user with the deployer role)."
  value       = "--database ${snowflake_database.platform.name} --operator-role ${local.role["operator"]}"
}

output "service_users" {
  description = "The service users and the role each has."
  value       = { for name, user in var.service_users : name => local.role[user.role] }
}
