# Production. Secrets are not here: TF_VAR_oidc_client_secret comes from the
# pipeline's secret store, and the Secrets Manager values are put by hand.
environment = "prod"
aws_region  = "eu-west-1"

vpc_id             = "vpc-0f1e2d3c4b5a69788"
public_subnet_ids  = ["subnet-0f1e2d3c4b5a69711", "subnet-0f1e2d3c4b5a69712", "subnet-0f1e2d3c4b5a69713"]
private_subnet_ids = ["subnet-0f1e2d3c4b5a69721", "subnet-0f1e2d3c4b5a69722", "subnet-0f1e2d3c4b5a69723"]
alb_ingress_cidrs  = ["0.0.0.0/0"]

certificate_arn = "arn:aws:acm:eu-west-1:444455556666:certificate/9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"
ui_hostname     = "analytics.example.com"
docs_hostname   = "docs.analytics.example.com"
api_hostname    = "reports.analytics.example.com"

oidc_issuer                 = "https://login.example.com"
oidc_authorization_endpoint = "https://login.example.com/oauth2/v1/authorize"
oidc_token_endpoint         = "https://login.example.com/oauth2/v1/token"
oidc_user_info_endpoint     = "https://login.example.com/oauth2/v1/userinfo"
oidc_client_id              = "analytics-prod"

# null on the first apply (the role Snowflake assumes then trusts nobody);
# afterwards API_AWS_IAM_USER_ARN and API_AWS_EXTERNAL_ID of DESCRIBE API
# INTEGRATION analytics_report_service (infra/README.md, step e).
snowflake_iam_user_arn = null
snowflake_external_id  = null

# snowflake_database and snowflake_components: the defaults, which are the
# Snowflake module's production names (ANALYTICS_PLATFORM, ANALYTICS_REPORTER
# on ANALYTICS_REPORTING_WH, ANALYTICS_ANALYST on ANALYTICS_ANALYSIS_WH,
# TRANSFORMER on ANALYTICS_WH).

# Deliveries: mail through SES from this address (the identity is its
# domain: publish the DKIM records of output delivery_ses_dkim_records); chat
# and webhook URLs in the secrets of output delivery_secrets_prefix.
delivery_mail_from = "reports@analytics.example.com"

image_tag           = "set-by-ci"
alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:444455556666:analytics-prod-alerts"

report_service = {
  min_count = 2
  max_count = 8
}
ui = {
  min_count = 2
  max_count = 4
}
