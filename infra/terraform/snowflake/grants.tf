# Who may do what. Least privilege: each role gets the privileges its
# component uses and nothing else; reads are SELECT on the tables and views
# that exist and on those created later (future grants, so dbt's
# CREATE OR REPLACE keeps them readable). No role but the transformer may
# write outside its own schema; the reporter may only read `reporting`.

locals {
  # SELECT on every table and view of a schema, now and in the future.
  select_scopes = {
    all_tables    = { scope = "all", plural = "TABLES" }
    all_views     = { scope = "all", plural = "VIEWS" }
    future_tables = { scope = "future", plural = "TABLES" }
    future_views  = { scope = "future", plural = "VIEWS" }
  }
  # What dbt creates in a schema it builds (tables, views, the temporary
  # tables of incremental models and snapshots).
  dbt_schema_privileges = ["USAGE", "CREATE TABLE", "CREATE VIEW"]
  role                  = { for key, role in snowflake_account_role.platform : key => role.name }
}

# ------------------------------------------------------------ database usage

resource "snowflake_grant_privileges_to_account_role" "database_usage" {
  for_each = toset(["transformer", "reporter", "analyst", "loader"])
  provider = snowflake.security

  account_role_name = local.role[each.key]
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.platform.name
  }
}

# ------------------------------------------------------------- warehouses

resource "snowflake_grant_privileges_to_account_role" "loader_warehouse" {
  provider          = snowflake.security
  account_role_name = local.role["loader"]
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.load.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_warehouse" {
  provider          = snowflake.security
  account_role_name = local.role["transformer"]
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.transform.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "reporter_warehouse" {
  provider          = snowflake.security
  account_role_name = local.role["reporter"]
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.reporting.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "analysis_warehouse" {
  # The analyst runs the UI's and Cortex Analyst's queries; the operator runs
  # `analytics snowflake-ddl --checks` (the report tasks are serverless).
  for_each = toset(["analyst", "operator"])
  provider = snowflake.security

  account_role_name = local.role[each.key]
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.analysis.name
  }
}

# ------------------------------------------------------------ loader: raw_data

resource "snowflake_grant_privileges_to_account_role" "loader_raw_data" {
  provider          = snowflake.security
  account_role_name = local.role["loader"]
  privileges        = ["USAGE", "CREATE TABLE", "CREATE STAGE", "CREATE FILE FORMAT", "CREATE PIPE"]
  on_schema {
    schema_name = snowflake_schema.raw_data.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "loader_create_schema" {
  # Only for the trial generator (var.loader_creates_schemas).
  count    = var.loader_creates_schemas ? 1 : 0
  provider = snowflake.security

  account_role_name = local.role["loader"]
  privileges        = ["CREATE SCHEMA"]
  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.platform.name
  }
}

# ----------------------------------------------------- transformer: dbt

resource "snowflake_grant_privileges_to_account_role" "transformer_create_schema" {
  # dbt's hooks run CREATE SCHEMA IF NOT EXISTS (monitoring_raw), which
  # Snowflake checks against this privilege even when the schema exists; and
  # non-production targets build into prefixed schemas of their own.
  provider          = snowflake.security
  account_role_name = local.role["transformer"]
  privileges        = ["CREATE SCHEMA"]
  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.platform.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_raw_data_usage" {
  provider          = snowflake.security
  account_role_name = local.role["transformer"]
  privileges        = ["USAGE"]
  on_schema {
    schema_name = snowflake_schema.raw_data.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_raw_data_select" {
  for_each = local.select_scopes
  provider = snowflake.security

  account_role_name = local.role["transformer"]
  privileges        = ["SELECT"]
  on_schema_object {
    dynamic "all" {
      for_each = each.value.scope == "all" ? [each.value.plural] : []
      content {
        object_type_plural = all.value
        in_schema          = snowflake_schema.raw_data.fully_qualified_name
      }
    }
    dynamic "future" {
      for_each = each.value.scope == "future" ? [each.value.plural] : []
      content {
        object_type_plural = future.value
        in_schema          = snowflake_schema.raw_data.fully_qualified_name
      }
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_processed_data" {
  provider          = snowflake.security
  account_role_name = local.role["transformer"]
  privileges        = local.dbt_schema_privileges
  on_schema {
    schema_name = snowflake_schema.processed_data.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_reporting" {
  # CREATE SEMANTIC VIEW: `analytics semantic-model --format sql` puts the
  # Cortex Analyst semantic view next to the rpt_* relations.
  provider          = snowflake.security
  account_role_name = local.role["transformer"]
  privileges        = concat(local.dbt_schema_privileges, ["CREATE SEMANTIC VIEW"])
  on_schema {
    schema_name = snowflake_schema.reporting.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_monitoring" {
  provider          = snowflake.security
  account_role_name = local.role["transformer"]
  privileges        = local.dbt_schema_privileges
  on_schema {
    schema_name = snowflake_schema.monitoring.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_monitoring_raw" {
  # Stage, file format and pipe: `dbt run-operation create_report_events_pipe`
  # (macros/monitoring/report_events_ddl.sql) creates them, owned by dbt's role.
  provider          = snowflake.security
  account_role_name = local.role["transformer"]
  privileges        = concat(local.dbt_schema_privileges, ["CREATE STAGE", "CREATE FILE FORMAT", "CREATE PIPE"])
  on_schema {
    schema_name = snowflake_schema.monitoring_raw.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_events_integration" {
  count    = var.events_storage_integration == "" ? 0 : 1
  provider = snowflake.security

  account_role_name = local.role["transformer"]
  privileges        = ["USAGE"]
  on_account_object {
    object_type = "INTEGRATION"
    object_name = var.events_storage_integration
  }
}

# ---------------------------------------------- reporter: reporting, read-only

resource "snowflake_grant_privileges_to_account_role" "reporter_reporting_usage" {
  provider          = snowflake.security
  account_role_name = local.role["reporter"]
  privileges        = ["USAGE"]
  on_schema {
    schema_name = snowflake_schema.reporting.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "reporter_reporting_select" {
  for_each = local.select_scopes
  provider = snowflake.security

  account_role_name = local.role["reporter"]
  privileges        = ["SELECT"]
  on_schema_object {
    dynamic "all" {
      for_each = each.value.scope == "all" ? [each.value.plural] : []
      content {
        object_type_plural = all.value
        in_schema          = snowflake_schema.reporting.fully_qualified_name
      }
    }
    dynamic "future" {
      for_each = each.value.scope == "future" ? [each.value.plural] : []
      content {
        object_type_plural = future.value
        in_schema          = snowflake_schema.reporting.fully_qualified_name
      }
    }
  }
}

# ------------------------------------- analyst: processed_data, reporting, monitoring
# processed_data holds no personal data (staging drops email and full_name,
# and snapshots read staging); questions read its facts and dimensions
# (questions/guard/policy.py allows them), the Data health page and people read
# monitoring.

resource "snowflake_grant_privileges_to_account_role" "analyst_schema_usage" {
  for_each = {
    processed_data = snowflake_schema.processed_data.fully_qualified_name
    reporting      = snowflake_schema.reporting.fully_qualified_name
    monitoring     = snowflake_schema.monitoring.fully_qualified_name
  }
  provider = snowflake.security

  account_role_name = local.role["analyst"]
  privileges        = ["USAGE"]
  on_schema {
    schema_name = each.value
  }
}

resource "snowflake_grant_privileges_to_account_role" "analyst_processed_data_select" {
  for_each = local.select_scopes
  provider = snowflake.security

  account_role_name = local.role["analyst"]
  privileges        = ["SELECT"]
  on_schema_object {
    dynamic "all" {
      for_each = each.value.scope == "all" ? [each.value.plural] : []
      content {
        object_type_plural = all.value
        in_schema          = snowflake_schema.processed_data.fully_qualified_name
      }
    }
    dynamic "future" {
      for_each = each.value.scope == "future" ? [each.value.plural] : []
      content {
        object_type_plural = future.value
        in_schema          = snowflake_schema.processed_data.fully_qualified_name
      }
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "analyst_reporting_select" {
  # Semantic views too: Cortex Analyst reads the one `analytics semantic-model`
  # generates in reporting.
  for_each = merge(local.select_scopes, {
    all_semantic_views    = { scope = "all", plural = "SEMANTIC VIEWS" }
    future_semantic_views = { scope = "future", plural = "SEMANTIC VIEWS" }
  })
  provider = snowflake.security

  account_role_name = local.role["analyst"]
  privileges        = ["SELECT"]
  on_schema_object {
    dynamic "all" {
      for_each = each.value.scope == "all" ? [each.value.plural] : []
      content {
        object_type_plural = all.value
        in_schema          = snowflake_schema.reporting.fully_qualified_name
      }
    }
    dynamic "future" {
      for_each = each.value.scope == "future" ? [each.value.plural] : []
      content {
        object_type_plural = future.value
        in_schema          = snowflake_schema.reporting.fully_qualified_name
      }
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "analyst_monitoring_select" {
  for_each = local.select_scopes
  provider = snowflake.security

  account_role_name = local.role["analyst"]
  privileges        = ["SELECT"]
  on_schema_object {
    dynamic "all" {
      for_each = each.value.scope == "all" ? [each.value.plural] : []
      content {
        object_type_plural = all.value
        in_schema          = snowflake_schema.monitoring.fully_qualified_name
      }
    }
    dynamic "future" {
      for_each = each.value.scope == "future" ? [each.value.plural] : []
      content {
        object_type_plural = future.value
        in_schema          = snowflake_schema.monitoring.fully_qualified_name
      }
    }
  }
}

resource "snowflake_grant_database_role" "analyst_cortex" {
  # Granting SNOWFLAKE's database roles takes ACCOUNTADMIN.
  count    = var.cortex_database_role == "" ? 0 : 1
  provider = snowflake.account_admin

  database_role_name = "\"SNOWFLAKE\".\"${var.cortex_database_role}\""
  parent_role_name   = local.role["analyst"]
}

# --------------------------------------- deployer: `analytics snowflake-ddl`
# The DDL (orchestration/snowflake_ddl.py) creates the API integration, the
# external functions and report tasks in reporting, then grants them, the
# database, the schema and EXECUTE (MANAGED) TASK to the operator role. Its
# deployer owns what it creates, so the tasks run as this role, not as an
# administrator; it may grant on to others only what the DDL grants.

resource "snowflake_grant_privileges_to_account_role" "deployer_database" {
  provider          = snowflake.security
  account_role_name = local.role["deployer"]
  privileges        = ["USAGE"]
  with_grant_option = true
  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.platform.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "deployer_create_schema" {
  # Only because the DDL starts with CREATE SCHEMA IF NOT EXISTS <db>.reporting,
  # which Snowflake checks against this privilege even though the schema
  # exists. Drop it when that statement goes.
  provider          = snowflake.security
  account_role_name = local.role["deployer"]
  privileges        = ["CREATE SCHEMA"]
  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.platform.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "deployer_reporting_usage" {
  provider          = snowflake.security
  account_role_name = local.role["deployer"]
  privileges        = ["USAGE"]
  with_grant_option = true
  on_schema {
    schema_name = snowflake_schema.reporting.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "deployer_reporting_create" {
  provider          = snowflake.security
  account_role_name = local.role["deployer"]
  privileges        = ["CREATE FUNCTION", "CREATE TASK"]
  on_schema {
    schema_name = snowflake_schema.reporting.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "deployer_create_integration" {
  # The API integration to the report service. Account-level grants take
  # ACCOUNTADMIN.
  provider          = snowflake.account_admin
  account_role_name = local.role["deployer"]
  privileges        = ["CREATE INTEGRATION"]
  on_account        = true
}

resource "snowflake_grant_privileges_to_account_role" "deployer_execute_tasks" {
  # The report tasks are serverless and run as their owner; with grant option
  # because the DDL grants both to the operator role.
  provider          = snowflake.account_admin
  account_role_name = local.role["deployer"]
  privileges        = ["EXECUTE TASK", "EXECUTE MANAGED TASK"]
  with_grant_option = true
  on_account        = true
}
