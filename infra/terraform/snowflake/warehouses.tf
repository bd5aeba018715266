# One warehouse per workload. Each starts suspended, resumes on demand and
# suspends after var.warehouse_auto_suspend_seconds of idleness (validated:
# 60-3600 s), so an idle platform costs nothing. Single cluster: multi-cluster
# needs Enterprise edition and is a deliberate cost decision.

resource "snowflake_warehouse" "load" {
  name                         = var.warehouse_names.load
  comment                      = "analytics platform (${var.environment}): ELT loads into raw_data"
  warehouse_size               = var.warehouse_sizes.load
  auto_suspend                 = var.warehouse_auto_suspend_seconds.load
  auto_resume                  = "true"
  initially_suspended          = true
  statement_timeout_in_seconds = var.warehouse_statement_timeout_seconds.load
}

resource "snowflake_warehouse" "transform" {
  name                         = var.warehouse_names.transform
  comment                      = "analytics platform (${var.environment}): dbt builds"
  warehouse_size               = var.warehouse_sizes.transform
  auto_suspend                 = var.warehouse_auto_suspend_seconds.transform
  auto_resume                  = "true"
  initially_suspended          = true
  statement_timeout_in_seconds = var.warehouse_statement_timeout_seconds.transform
}

resource "snowflake_warehouse" "reporting" {
  name                         = var.warehouse_names.reporting
  comment                      = "analytics platform (${var.environment}): the report service's queries"
  warehouse_size               = var.warehouse_sizes.reporting
  auto_suspend                 = var.warehouse_auto_suspend_seconds.reporting
  auto_resume                  = "true"
  initially_suspended          = true
  statement_timeout_in_seconds = var.warehouse_statement_timeout_seconds.reporting
}

resource "snowflake_warehouse" "analysis" {
  name                         = var.warehouse_names.analysis
  comment                      = "analytics platform (${var.environment}): the UI, questions, Cortex Analyst's SQL, operators' checks"
  warehouse_size               = var.warehouse_sizes.analysis
  auto_suspend                 = var.warehouse_auto_suspend_seconds.analysis
  auto_resume                  = "true"
  initially_suspended          = true
  statement_timeout_in_seconds = var.warehouse_statement_timeout_seconds.analysis
}
