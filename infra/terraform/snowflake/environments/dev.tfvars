# Development: its own database, roles and warehouses (DEV_ prefixed), so it
# can share an account with production without touching it. The `prod` dbt
# target with SNOWFLAKE_DATABASE=ANALYTICS_PLATFORM_DEV builds the exact
# schema names here; developers' `snowflake` target builds prefixed schemas
# (dev_<user>_reporting) in the same database.
environment   = "dev"
database_name = "ANALYTICS_PLATFORM_DEV"

role_names = {
  transformer = "DEV_TRANSFORMER"
  reporter    = "DEV_ANALYTICS_REPORTER"
  analyst     = "DEV_ANALYTICS_ANALYST"
  loader      = "DEV_ANALYTICS_LOADER"
  deployer    = "DEV_ANALYTICS_DEPLOYER"
  operator    = "DEV_ANALYTICS_OPERATOR"
}

warehouse_names = {
  load      = "DEV_ANALYTICS_LOAD_WH"
  transform = "DEV_ANALYTICS_WH"
  reporting = "DEV_ANALYTICS_REPORTING_WH"
  analysis  = "DEV_ANALYTICS_ANALYSIS_WH"
}

warehouse_sizes = {
  load      = "XSMALL"
  transform = "XSMALL"
  reporting = "XSMALL"
  analysis  = "XSMALL"
}

warehouse_auto_suspend_seconds = {
  load      = 60
  transform = 60
  reporting = 60
  analysis  = 60
}

data_retention_days = 1
# `analytics generate --target snowflake` fills raw_data with generated data.
loader_creates_schemas = true

service_users = {
  DEV_ANALYTICS_DBT            = { role = "transformer", comment = "dbt builds (CI)" }
  DEV_ANALYTICS_REPORT_SERVICE = { role = "reporter", comment = "the report service" }
  DEV_ANALYTICS_UI             = { role = "analyst", comment = "the Streamlit UI" }
  DEV_ANALYTICS_LOADER         = { role = "loader", comment = "analytics generate --target snowflake" }
  DEV_ANALYTICS_DEPLOYER       = { role = "deployer", comment = "analytics snowflake-ddl" }
}
