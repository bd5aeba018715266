# Development. Secrets are not here: TF_VAR_oidc_client_secret comes from the
# pipeline's secret store, and the Secrets Manager values are put by hand.
environment = "dev"
aws_region  = "eu-west-1"

vpc_id             = "vpc-0a1b2c3d4e5f60718"
public_subnet_ids  = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"]
private_subnet_ids = ["subnet-0a1b2c3d4e5f60721", "subnet-0a1b2c3d4e5f60722"]
alb_ingress_cidrs  = ["203.0.113.0/24"]

certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d-4e5f-4a1b-8c2d-3e4f5a6b7c8d"
ui_hostname     = "analytics.dev.example.com"
docs_hostname   = "docs.analytics.dev.example.com"
api_hostname    = "reports.analytics.dev.example.com"

oidc_issuer                 = "https://login.example.com"
oidc_authorization_endpoint = "https://login.example.com/oauth2/v1/authorize"
oidc_token_endpoint         = "https://login.example.com/oauth2/v1/token"
oidc_user_info_endpoint     = "https://login.example.com/oauth2/v1/userinfo"
oidc_client_id              = "analytics-dev"

# Filled in after the first apply, from DESCRIBE API INTEGRATION.
snowflake_iam_user_arn = null
snowflake_external_id  = null

# The Snowflake module's dev names (infra/terraform/snowflake/environments/dev.tfvars).
snowflake_database = "ANALYTICS_PLATFORM_DEV"
snowflake_components = {
  report_service = { role = "DEV_ANALYTICS_REPORTER", warehouse = "DEV_ANALYTICS_REPORTING_WH" }
  ui             = { role = "DEV_ANALYTICS_ANALYST", warehouse = "DEV_ANALYTICS_ANALYSIS_WH" }
  dbt            = { role = "DEV_TRANSFORMER", warehouse = "DEV_ANALYTICS_WH" }
}

# Deliveries: mail through SES from this address (the identity is its
# domain: publish the DKIM records of output delivery_ses_dkim_records); chat
# and webhook URLs in the secrets of output delivery_secrets_prefix.
delivery_mail_from = "reports@analytics.dev.example.com"

image_tag           = "set-by-ci"
alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:111122223333:analytics-dev-alerts"

report_service = {
  min_count = 1
  max_count = 2
}
ui = {
  min_count = 1
  max_count = 2
}
schedule_enabled    = false
deletion_protection = false
