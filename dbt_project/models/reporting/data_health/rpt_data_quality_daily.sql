-- The data-quality scorecard per day, for the UI's data health page.
select
    period_start as date_day,
    tests_run,
    tests_passed,
    tests_warned,
    tests_failed,
    tests_errored,
    failing_rows,
    rows_quarantined,
    quarantined_by_rule,
    freshness_checks,
    freshness_breaches,
    dbt_runs,
    dbt_runs_failed,
    run_seconds_p50,
    run_seconds_p95,
    slowest_models,
    volume_anomalies,
    report_jobs,
    report_job_failures
from {{ ref('data_quality_scorecard') }}
where grain = 'day'
