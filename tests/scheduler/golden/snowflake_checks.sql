-- Snowflake DDL of the analytics platform (analytics snowflake-ddl).
-- schedule: schedules.yml
-- Idempotent: running it again changes nothing.

SELECT ANALYTICS.reporting.generate_report_via_ecs('daily_sales', OBJECT_CONSTRUCT('formats', ARRAY_CONSTRUCT('json'))) AS created;

SELECT ANALYTICS.reporting.check_ecs_job_status(created:job_id::VARCHAR) AS job FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()));

SELECT ANALYTICS.reporting.generate_sales_report_ecs(DATEADD(DAY, -1, CURRENT_DATE())) AS created;

SELECT ANALYTICS.reporting.generate_report_via_ecs('no_such_report', OBJECT_CONSTRUCT()) AS refused;

SHOW TASKS IN SCHEMA ANALYTICS.reporting;

SELECT name, state, scheduled_time, completed_time, error_message FROM TABLE(ANALYTICS.INFORMATION_SCHEMA.TASK_HISTORY(SCHEDULED_TIME_RANGE_START => DATEADD(DAY, -7, CURRENT_TIMESTAMP()))) WHERE name IN ('REPORT_DAILY_SALES', 'REPORT_WEEKLY_EXECUTIVE', 'REPORT_MONTHLY_DATA_QUALITY') ORDER BY scheduled_time DESC;
