# The database and the schemas dbt builds into. On the `prod` dbt target (and
# `local`) the schemas carry exactly these names (dbt_project.yml var
# production_targets, macros/generate_schema_name.sql); other targets prefix
# them (dev_<user>_reporting), which is why the transformer role may also
# create schemas.
#
# Managed access (grants on the objects inside only by the schema's owner or
# MANAGE GRANTS, i.e. by this code) everywhere except reporting, where the
# deployer role must grant the external functions and tasks it creates
# (`analytics snowflake-ddl`) to the operator role.

resource "snowflake_database" "platform" {
  name                           = var.database_name
  comment                        = "analytics platform (${var.environment}): raw data, dbt's models, reporting views, monitoring"
  data_retention_time_in_days    = var.data_retention_days
  drop_public_schema_on_creation = true
}

resource "snowflake_schema" "raw_data" {
  database            = snowflake_database.platform.name
  name                = "RAW_DATA"
  comment             = "Raw order-system data and FX rates, as the ELT tool lands them"
  with_managed_access = "true"
}

resource "snowflake_schema" "processed_data" {
  database            = snowflake_database.platform.name
  name                = "PROCESSED_DATA"
  comment             = "dbt: staging, snapshots, facts, dimensions, seeds (no personal data)"
  with_managed_access = "true"
}

resource "snowflake_schema" "reporting" {
  database            = snowflake_database.platform.name
  name                = "REPORTING"
  comment             = "dbt: the public, contracted rpt_* relations; the external functions and report tasks"
  with_managed_access = "false"
}

resource "snowflake_schema" "monitoring" {
  database            = snowflake_database.platform.name
  name                = "MONITORING"
  comment             = "dbt: the warehouse watching itself (runs, tests, freshness, quarantine, report jobs)"
  with_managed_access = "true"
}

# Not one of dbt's model schemas: the append-only logs dbt's hooks write and
# the report job events Snowpipe loads (macros/monitoring/).
resource "snowflake_schema" "monitoring_raw" {
  database            = snowflake_database.platform.name
  name                = "MONITORING_RAW"
  comment             = "Append-only logs: dbt run results, source freshness, report job events (Snowpipe)"
  with_managed_access = "true"
}
