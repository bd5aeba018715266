# Three connections, one per administrative duty, as Snowflake recommends:
# objects (warehouses, database, schemas) by SYSADMIN, access (roles, users,
# grants) by SECURITYADMIN, and the few account-level grants only
# ACCOUNTADMIN may give. Credentials come from the environment, never from
# this code: SNOWFLAKE_ORGANIZATION_NAME, SNOWFLAKE_ACCOUNT_NAME,
# SNOWFLAKE_USER, SNOWFLAKE_AUTHENTICATOR=SNOWFLAKE_JWT and
# SNOWFLAKE_PRIVATE_KEY (or SNOWFLAKE_PRIVATE_KEY_PATH via a profile). The
# applying user needs all three roles.

provider "snowflake" {
  role = var.admin_roles.objects
}

provider "snowflake" {
  alias = "security"
  role  = var.admin_roles.security
}

provider "snowflake" {
  alias = "account_admin"
  role  = var.admin_roles.account
}
