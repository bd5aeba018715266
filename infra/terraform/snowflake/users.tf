# Service users: TYPE = SERVICE, so Snowflake refuses passwords and
# interactive logins; they authenticate with a key pair whose public half is
# var.service_user_public_keys (the private half stays with the component,
# for example in AWS Secrets Manager). Each has exactly one platform role,
# as default role, and no secondary roles.

locals {
  # The warehouse each role works in (the deployer's DDL needs none).
  role_warehouse = {
    loader      = snowflake_warehouse.load.name
    transformer = snowflake_warehouse.transform.name
    reporter    = snowflake_warehouse.reporting.name
    analyst     = snowflake_warehouse.analysis.name
    operator    = snowflake_warehouse.analysis.name
    deployer    = null
  }
  people_roles = merge([
    for user, roles in var.user_role_grants : {
      for role in roles : "${user}/${role}" => { user = user, role = role }
    }
  ]...)
}

resource "snowflake_service_user" "platform" {
  for_each = var.service_users
  provider = snowflake.security

  name                           = each.key
  comment                        = "analytics platform (${var.environment}): ${each.value.role}${each.value.comment == "" ? "" : ", ${each.value.comment}"}"
  default_role                   = local.role[each.value.role]
  default_warehouse              = local.role_warehouse[each.value.role]
  default_namespace              = snowflake_database.platform.name
  default_secondary_roles_option = "NONE"
  rsa_public_key                 = lookup(var.service_user_public_keys, each.key, null)
}

resource "snowflake_grant_account_role" "service_user" {
  for_each = var.service_users
  provider = snowflake.security

  role_name = local.role[each.value.role]
  user_name = snowflake_service_user.platform[each.key].name
}

resource "snowflake_grant_account_role" "person" {
  for_each = local.people_roles
  provider = snowflake.security

  role_name = local.role[each.value.role]
  user_name = each.value.user
}
