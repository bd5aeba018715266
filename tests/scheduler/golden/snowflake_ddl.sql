-- Snowflake DDL of the analytics platform (analytics snowflake-ddl).
-- schedule: schedules.yml
-- Idempotent: running it again changes nothing.

CREATE API INTEGRATION IF NOT EXISTS analytics_report_service
    API_PROVIDER = aws_api_gateway
    API_AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/analytics-snowflake-api'
    API_KEY = 'test-key-0123456789'
    API_ALLOWED_PREFIXES = ('https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/')
    ENABLED = TRUE
    COMMENT = 'analytics platform: the report service';

ALTER API INTEGRATION analytics_report_service SET
    API_AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/analytics-snowflake-api'
    API_KEY = 'test-key-0123456789'
    API_ALLOWED_PREFIXES = ('https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/')
    ENABLED = TRUE;

CREATE SCHEMA IF NOT EXISTS ANALYTICS.reporting;

CREATE OR REPLACE EXTERNAL FUNCTION ANALYTICS.reporting.generate_report_via_ecs(report_type VARCHAR, params VARIANT)
    RETURNS VARIANT
    NOT NULL
    VOLATILE
    COMMENT = 'Queue a report job; returns {job_id, status, status_url}'
    API_INTEGRATION = analytics_report_service
    MAX_BATCH_ROWS = 100
    AS 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/v1/external/generate_report';

CREATE OR REPLACE EXTERNAL FUNCTION ANALYTICS.reporting.check_ecs_job_status(job_id VARCHAR)
    RETURNS VARIANT
    NOT NULL
    VOLATILE
    COMMENT = 'A report job: status, times, error and artifact links'
    API_INTEGRATION = analytics_report_service
    MAX_BATCH_ROWS = 100
    AS 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/v1/external/job_status';

CREATE OR REPLACE EXTERNAL FUNCTION ANALYTICS.reporting.deliver_subscription_via_ecs(subscription VARCHAR, due_at VARCHAR)
    RETURNS VARIANT
    NOT NULL
    VOLATILE
    COMMENT = 'Queue a subscription''s deliveries for a due time (each sent once)'
    API_INTEGRATION = analytics_report_service
    MAX_BATCH_ROWS = 100
    AS 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/v1/external/deliver_subscription';

CREATE OR REPLACE FUNCTION ANALYTICS.reporting.generate_sales_report_ecs(report_date DATE)
    RETURNS VARIANT
    COMMENT = 'Queue the daily sales report of one day (html)'
    AS $$
        ANALYTICS.reporting.generate_report_via_ecs(
            'daily_sales',
            OBJECT_CONSTRUCT('date', TO_VARCHAR(report_date, 'YYYY-MM-DD'))
        )
    $$;

CREATE OR ALTER TASK ANALYTICS.reporting.report_daily_sales
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    SCHEDULE = 'USING CRON 0 6 * * * UTC'
    USER_TASK_TIMEOUT_MS = 600000
    COMMENT = 'schedule file job daily_sales'
AS
SELECT ANALYTICS.reporting.generate_report_via_ecs('daily_sales', OBJECT_CONSTRUCT('date', TO_VARCHAR(DATEADD(DAY, -1, TO_DATE(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()))), 'YYYY-MM-DD'), 'formats', ARRAY_CONSTRUCT('html', 'pdf', 'csv'))) AS report_job,
    ANALYTICS.reporting.deliver_subscription_via_ecs('daily_sales_to_sales_team', TO_VARCHAR(CONVERT_TIMEZONE('UTC', SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP')::TIMESTAMP_TZ), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) AS daily_sales_to_sales_team;

ALTER TASK ANALYTICS.reporting.report_daily_sales RESUME;

CREATE OR ALTER TASK ANALYTICS.reporting.report_weekly_executive
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    SCHEDULE = 'USING CRON 0 8 * * 1 UTC'
    USER_TASK_TIMEOUT_MS = 600000
    COMMENT = 'schedule file job weekly_executive'
AS
SELECT ANALYTICS.reporting.generate_report_via_ecs('weekly_executive', OBJECT_CONSTRUCT('week_start', TO_VARCHAR(DATEADD(WEEK, -1, DATE_TRUNC(WEEK, TO_DATE(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())))), 'YYYY-MM-DD'), 'formats', ARRAY_CONSTRUCT('html', 'pdf'))) AS report_job,
    ANALYTICS.reporting.deliver_subscription_via_ecs('weekly_executive_to_leadership', TO_VARCHAR(CONVERT_TIMEZONE('UTC', SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP')::TIMESTAMP_TZ), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) AS weekly_executive_to_leadership;

ALTER TASK ANALYTICS.reporting.report_weekly_executive RESUME;

CREATE OR ALTER TASK ANALYTICS.reporting.report_monthly_data_quality
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    SCHEDULE = 'USING CRON 0 7 1 * * UTC'
    USER_TASK_TIMEOUT_MS = 600000
    COMMENT = 'schedule file job monthly_data_quality'
AS
SELECT ANALYTICS.reporting.generate_report_via_ecs('monthly_data_quality', OBJECT_CONSTRUCT('month', TO_VARCHAR(DATEADD(MONTH, -1, DATE_TRUNC(MONTH, TO_DATE(CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())))), 'YYYY-MM'), 'formats', ARRAY_CONSTRUCT('html', 'pdf', 'xlsx'))) AS report_job,
    ANALYTICS.reporting.deliver_subscription_via_ecs('monthly_data_quality_to_data_team', TO_VARCHAR(CONVERT_TIMEZONE('UTC', SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_ORIGINAL_SCHEDULED_TIMESTAMP')::TIMESTAMP_TZ), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) AS monthly_data_quality_to_data_team;

ALTER TASK ANALYTICS.reporting.report_monthly_data_quality RESUME;

GRANT USAGE ON INTEGRATION analytics_report_service TO ROLE analytics_operator;

GRANT USAGE ON DATABASE ANALYTICS TO ROLE analytics_operator;

GRANT USAGE ON SCHEMA ANALYTICS.reporting TO ROLE analytics_operator;

GRANT USAGE ON FUNCTION ANALYTICS.reporting.generate_report_via_ecs(VARCHAR, VARIANT) TO ROLE analytics_operator;

GRANT USAGE ON FUNCTION ANALYTICS.reporting.check_ecs_job_status(VARCHAR) TO ROLE analytics_operator;

GRANT USAGE ON FUNCTION ANALYTICS.reporting.deliver_subscription_via_ecs(VARCHAR, VARCHAR) TO ROLE analytics_operator;

GRANT USAGE ON FUNCTION ANALYTICS.reporting.generate_sales_report_ecs(DATE) TO ROLE analytics_operator;

GRANT EXECUTE TASK ON ACCOUNT TO ROLE analytics_operator;

GRANT EXECUTE MANAGED TASK ON ACCOUNT TO ROLE analytics_operator;

GRANT MONITOR, OPERATE ON TASK ANALYTICS.reporting.report_daily_sales TO ROLE analytics_operator;

GRANT MONITOR, OPERATE ON TASK ANALYTICS.reporting.report_weekly_executive TO ROLE analytics_operator;

GRANT MONITOR, OPERATE ON TASK ANALYTICS.reporting.report_monthly_data_quality TO ROLE analytics_operator;
