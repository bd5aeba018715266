# Production: the names the code uses by default (analytics_platform,
# analytics_wh, transformer, analytics_operator), so a component needs only
# its account, user, key and role.
environment   = "prod"
database_name = "ANALYTICS_PLATFORM"

role_names = {
  transformer = "TRANSFORMER"
  reporter    = "ANALYTICS_REPORTER"
  analyst     = "ANALYTICS_ANALYST"
  loader      = "ANALYTICS_LOADER"
  deployer    = "ANALYTICS_DEPLOYER"
  operator    = "ANALYTICS_OPERATOR"
}

warehouse_names = {
  load      = "ANALYTICS_LOAD_WH"
  transform = "ANALYTICS_WH"
  reporting = "ANALYTICS_REPORTING_WH"
  analysis  = "ANALYTICS_ANALYSIS_WH"
}

warehouse_sizes = {
  load      = "XSMALL"
  transform = "SMALL"
  reporting = "XSMALL"
  analysis  = "XSMALL"
}

warehouse_auto_suspend_seconds = {
  load      = 60
  transform = 60
  reporting = 300 # the report service queries in bursts: keep the cache warm between them
  analysis  = 120
}

data_retention_days    = 1
loader_creates_schemas = false

service_users = {
  ANALYTICS_DBT            = { role = "transformer", comment = "dbt builds (dbt-runner image, CI deploy job)" }
  ANALYTICS_REPORT_SERVICE = { role = "reporter", comment = "the report service on ECS" }
  ANALYTICS_UI             = { role = "analyst", comment = "the Streamlit UI on ECS" }
  ANALYTICS_LOADER         = { role = "loader", comment = "the ELT tool" }
  ANALYTICS_DEPLOYER       = { role = "deployer", comment = "the CI deploy job: analytics snowflake-ddl" }
}
