# Names are UPPER CASE on purpose: the provider quotes every identifier, and
# the code (dbt, the report service, `analytics snowflake-ddl`) writes them
# unquoted, which Snowflake reads as upper case. `transformer` in
# profiles.yml.example is the role TRANSFORMER; a role created as
# "transformer" would be a different, case-sensitive one. Every identifier is
# checked against ^[A-Z_][A-Z0-9_]{0,254}$: no quotes, dots, spaces or
# anything else that could break out of a statement.

variable "environment" {
  description = "Which deployment this is: dev or prod."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "admin_roles" {
  description = "The roles Terraform uses: objects (warehouses, database, schemas), security (roles, users, grants), account (account-level grants, the SNOWFLAKE database roles)."
  type = object({
    objects  = string
    security = string
    account  = string
  })
  default = {
    objects  = "SYSADMIN"
    security = "SECURITYADMIN"
    account  = "ACCOUNTADMIN"
  }

  validation {
    condition     = alltrue([for name in values(var.admin_roles) : can(regex("^[A-Z_][A-Z0-9_]{0,254}$", name))])
    error_message = "admin_roles must be upper-case Snowflake identifiers (A-Z, 0-9, _)."
  }
}

variable "parent_role" {
  description = "The role every role of the platform is granted to, so administrators can manage what the platform owns (Snowflake's recommended hierarchy)."
  type        = string
  default     = "SYSADMIN"

  validation {
    condition     = can(regex("^[A-Z_][A-Z0-9_]{0,254}$", var.parent_role))
    error_message = "parent_role must be an upper-case Snowflake identifier (A-Z, 0-9, _)."
  }
}

variable "database_name" {
  description = "The platform's database (SNOWFLAKE_DATABASE; the code's default is analytics_platform)."
  type        = string

  validation {
    condition     = can(regex("^[A-Z_][A-Z0-9_]{0,254}$", var.database_name))
    error_message = "database_name must be an upper-case Snowflake identifier (A-Z, 0-9, _)."
  }
}

variable "data_retention_days" {
  description = "Time Travel retention of the database (1 on Standard edition; up to 90 on Enterprise)."
  type        = number
  default     = 1

  validation {
    condition     = var.data_retention_days >= 0 && var.data_retention_days <= 90 && floor(var.data_retention_days) == var.data_retention_days
    error_message = "data_retention_days must be a whole number from 0 to 90."
  }
}

variable "role_names" {
  description = "The platform's roles. transformer: dbt (profiles.yml.example defaults to transformer). reporter: the report service, reads reporting only. analyst: the UI, questions and Cortex Analyst. loader: the ELT tool writing raw_data. deployer: runs `analytics snowflake-ddl` and owns what it creates. operator: the role that DDL grants the functions and tasks to (its --operator-role, default analytics_operator)."
  type = object({
    transformer = string
    reporter    = string
    analyst     = string
    loader      = string
    deployer    = string
    operator    = string
  })
  default = {
    transformer = "TRANSFORMER"
    reporter    = "ANALYTICS_REPORTER"
    analyst     = "ANALYTICS_ANALYST"
    loader      = "ANALYTICS_LOADER"
    deployer    = "ANALYTICS_DEPLOYER"
    operator    = "ANALYTICS_OPERATOR"
  }

  validation {
    condition     = alltrue([for name in values(var.role_names) : can(regex("^[A-Z_][A-Z0-9_]{0,254}$", name))])
    error_message = "role_names must be upper-case Snowflake identifiers (A-Z, 0-9, _)."
  }

  validation {
    condition     = length(distinct(values(var.role_names))) == length(values(var.role_names))
    error_message = "role_names must all be different."
  }
}

variable "warehouse_names" {
  description = "One warehouse per workload, so one cannot starve another: load (ELT), transform (dbt; the code's default warehouse is analytics_wh), reporting (the report service), analysis (UI, questions, operators)."
  type = object({
    load      = string
    transform = string
    reporting = string
    analysis  = string
  })

  validation {
    condition     = alltrue([for name in values(var.warehouse_names) : can(regex("^[A-Z_][A-Z0-9_]{0,254}$", name))])
    error_message = "warehouse_names must be upper-case Snowflake identifiers (A-Z, 0-9, _)."
  }

  validation {
    condition     = length(distinct(values(var.warehouse_names))) == 4
    error_message = "warehouse_names must all be different."
  }
}

variable "warehouse_sizes" {
  description = "Size of each warehouse."
  type = object({
    load      = string
    transform = string
    reporting = string
    analysis  = string
  })
  default = {
    load      = "XSMALL"
    transform = "SMALL"
    reporting = "XSMALL"
    analysis  = "XSMALL"
  }

  validation {
    condition     = alltrue([for size in values(var.warehouse_sizes) : contains(["XSMALL", "SMALL", "MEDIUM", "LARGE", "XLARGE"], size)])
    error_message = "warehouse_sizes must be XSMALL, SMALL, MEDIUM, LARGE or XLARGE (bigger ones on purpose only, by changing this list)."
  }
}

variable "warehouse_auto_suspend_seconds" {
  description = "Seconds of idleness after which each warehouse suspends (and stops costing)."
  type = object({
    load      = number
    transform = number
    reporting = number
    analysis  = number
  })
  default = {
    load      = 60
    transform = 60
    reporting = 60
    analysis  = 60
  }

  validation {
    condition     = alltrue([for seconds in values(var.warehouse_auto_suspend_seconds) : seconds >= 60 && seconds <= 3600])
    error_message = "warehouse_auto_suspend_seconds must be between 60 and 3600: never 0 or null, which would keep a warehouse running."
  }
}

variable "warehouse_statement_timeout_seconds" {
  description = "Longest statement each warehouse runs. transform covers a full rebuild (the scheduler's build limit is 10800 s); reporting covers the report service's statement timeout (120 s by default)."
  type = object({
    load      = number
    transform = number
    reporting = number
    analysis  = number
  })
  default = {
    load      = 3600
    transform = 10800
    reporting = 600
    analysis  = 600
  }

  validation {
    condition     = alltrue([for seconds in values(var.warehouse_statement_timeout_seconds) : seconds >= 30 && seconds <= 14400])
    error_message = "warehouse_statement_timeout_seconds must be between 30 and 14400."
  }
}

variable "service_users" {
  description = "Service users (TYPE = SERVICE: key-pair only, no password can be set) and the one platform role each gets, by key of role_names: e.g. { ANALYTICS_DBT = { role = \"transformer\" } }."
  type = map(object({
    role    = string
    comment = optional(string, "")
  }))
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.service_users) : can(regex("^[A-Z_][A-Z0-9_]{0,254}$", name))])
    error_message = "service_users names must be upper-case Snowflake identifiers (A-Z, 0-9, _)."
  }

  validation {
    condition     = alltrue([for user in values(var.service_users) : contains(["transformer", "reporter", "analyst", "loader", "deployer", "operator"], user.role)])
    error_message = "each service user's role must be one of transformer, reporter, analyst, loader, deployer, operator."
  }
}

variable "service_user_public_keys" {
  description = "RSA public keys of the service users, by user name: the base64 body of the PEM on one line (no BEGIN/END lines). Given at apply time (TF_VAR_service_user_public_keys or a -var-file kept out of git), not in the environment files. A user without a key cannot log in."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for key in values(var.service_user_public_keys) : can(regex("^MII[A-Za-z0-9+/]{100,4096}={0,2}$", key))])
    error_message = "service_user_public_keys values must be the one-line base64 body of an RSA public key (starting MII), without BEGIN/END lines."
  }

  validation {
    condition     = alltrue([for name in keys(var.service_user_public_keys) : contains(keys(var.service_users), name)])
    error_message = "service_user_public_keys may only name users of service_users."
  }
}

variable "user_role_grants" {
  description = "Existing people's users (for example from SSO) and the platform roles they get, by key of role_names: e.g. { JANE_DOE = [\"analyst\", \"operator\"] }."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.user_role_grants) : can(regex("^[A-Z_][A-Z0-9_]{0,254}$", name))])
    error_message = "user_role_grants user names must be upper-case Snowflake identifiers (A-Z, 0-9, _)."
  }

  validation {
    condition     = alltrue([for role in flatten(values(var.user_role_grants)) : contains(["transformer", "reporter", "analyst", "loader", "deployer", "operator"], role)])
    error_message = "user_role_grants roles must be among transformer, reporter, analyst, loader, deployer, operator."
  }
}

variable "cortex_database_role" {
  description = "The SNOWFLAKE database role the analyst role gets for Cortex Analyst: CORTEX_ANALYST_USER (Cortex Analyst only), CORTEX_USER (every Cortex feature), or \"\" for none."
  type        = string
  default     = "CORTEX_ANALYST_USER"

  validation {
    condition     = contains(["", "CORTEX_ANALYST_USER", "CORTEX_USER"], var.cortex_database_role)
    error_message = "cortex_database_role must be CORTEX_ANALYST_USER, CORTEX_USER or empty."
  }
}

variable "loader_creates_schemas" {
  description = "Let the loader role create schemas in the database. Only for `analytics generate --target snowflake` (a trial: it runs CREATE SCHEMA IF NOT EXISTS raw_data and keeps its state in schema _generator); an ELT tool does not need it."
  type        = bool
  default     = false
}

variable "events_storage_integration" {
  description = "Name of the storage integration (created by an account administrator) the report job events Snowpipe reads S3 through; the transformer role, which creates the pipe, gets USAGE on it. Empty until it exists."
  type        = string
  default     = ""

  validation {
    condition     = var.events_storage_integration == "" || can(regex("^[A-Z_][A-Z0-9_]{0,254}$", var.events_storage_integration))
    error_message = "events_storage_integration must be empty or an upper-case Snowflake identifier (A-Z, 0-9, _)."
  }
}
