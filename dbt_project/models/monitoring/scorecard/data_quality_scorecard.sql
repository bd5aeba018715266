-- The data-quality scorecard: one row per grain ('day' or 'month') and period
-- with any monitoring activity (a test run, a quarantined row, a freshness
-- check, a dbt run, a volume anomaly or a report job). Each section reads its
-- monitoring model once per grain: percentiles and "slowest models" cannot be
-- rolled up from days to months, so a month is counted from the month's own
-- rows. The reporting views rpt_data_quality_daily and
-- rpt_data_quality_monthly each take one grain.
--
-- A view (folder config): it reads the run logs, which the on-run-end hook
-- appends to after the models have run, so a table would always be one run
-- behind and would never show a failed build.
{%- set slowest_model_count = var('scorecard_slowest_models', 3) %}

with grains as (

    select 'day' as grain
    union all
    select 'month' as grain

),

-- tests: every executed test (skipped ones did not run) ---------------------
test_runs as (

    select
        grains.grain,
        {{ period_start('grains.grain', 'test_results.test_date') }} as period_start,
        test_results.status,
        test_results.failures
    from {{ ref('dbt_test_results') }} as test_results
    cross join grains
    where test_results.status != 'skipped'

),

tests as (

    select
        grain,
        period_start,
        count(*) as tests_run,
        sum(case when status = 'pass' then 1 else 0 end) as tests_passed,
        sum(case when status = 'warn' then 1 else 0 end) as tests_warned,
        sum(case when status = 'fail' then 1 else 0 end) as tests_failed,
        sum(case when status = 'error' then 1 else 0 end) as tests_errored,
        sum(case when status in ('warn', 'fail') then coalesce(failures, 0) else 0 end)
            as failing_rows
    from test_runs
    group by grain, period_start

),

-- quarantine: rows kept out of the facts, by rule -----------------------------
quarantined as (

    select
        grains.grain,
        {{ period_start('grains.grain', 'summary.quarantine_date') }} as period_start,
        summary.quarantine_rule,
        summary.rows_quarantined
    from {{ ref('quarantine_summary') }} as summary
    cross join grains

),

quarantine_rules as (

    select
        grain,
        period_start,
        quarantine_rule,
        sum(rows_quarantined) as rows_quarantined
    from quarantined
    group by grain, period_start, quarantine_rule

),

quarantine as (

    select
        grain,
        period_start,
        sum(rows_quarantined) as rows_quarantined,
        {{ dbt.listagg(
            "quarantine_rule || ': ' || cast(rows_quarantined as varchar)",
            "', '",
            "order by rows_quarantined desc, quarantine_rule asc",
        ) }} as quarantined_by_rule
    from quarantine_rules
    group by grain, period_start

),

-- freshness: every source freshness check -------------------------------------
freshness_checks as (

    select
        grains.grain,
        {{ period_start('grains.grain', 'checks.check_date') }} as period_start,
        checks.is_breach
    from {{ ref('source_freshness_history') }} as checks
    cross join grains

),

freshness as (

    select
        grain,
        period_start,
        count(*) as freshness_checks,
        sum(case when is_breach then 1 else 0 end) as freshness_breaches
    from freshness_checks
    group by grain, period_start

),

-- runs: dbt build and run invocations, and their slowest models ----------------
invocations as (

    select
        grains.grain,
        {{ period_start('grains.grain', 'dbt_runs.run_date') }} as period_start,
        dbt_runs.status,
        dbt_runs.elapsed_seconds
    from {{ ref('dbt_invocations') }} as dbt_runs
    cross join grains
    where dbt_runs.command in ('build', 'run')

),

runs as (

    select
        grain,
        period_start,
        count(*) as dbt_runs,
        sum(case when status = 'failed' then 1 else 0 end) as dbt_runs_failed,
        percentile_cont(0.5) within group (order by elapsed_seconds) as run_seconds_p50,
        percentile_cont(0.95) within group (order by elapsed_seconds) as run_seconds_p95
    from invocations
    group by grain, period_start

),

model_executions as (

    select
        grains.grain,
        {{ period_start('grains.grain', 'executions.run_date') }} as period_start,
        executions.node_name,
        executions.execution_seconds
    from {{ ref('dbt_node_executions') }} as executions
    cross join grains
    where
        executions.resource_type = 'model'
        and executions.execution_seconds is not null

),

model_times as (

    select
        grain,
        period_start,
        node_name,
        max(execution_seconds) as slowest_seconds
    from model_executions
    group by grain, period_start, node_name

),

model_times_ranked as (

    select
        grain,
        period_start,
        node_name,
        slowest_seconds,
        row_number() over (
            partition by grain, period_start
            order by slowest_seconds desc, node_name asc
        ) as speed_rank
    from model_times

),

slowest as (

    select
        grain,
        period_start,
        {{ dbt.listagg(
            "node_name || ' (' || cast(round(slowest_seconds, 1) as varchar) || ' s)'",
            "', '",
            "order by speed_rank",
        ) }} as slowest_models
    from model_times_ranked
    where speed_rank <= {{ slowest_model_count }}
    group by grain, period_start

),

-- volume: raw load days flagged as anomalies -----------------------------------
load_days as (

    select
        grains.grain,
        {{ period_start('grains.grain', 'volume_days.load_date') }} as period_start,
        volume_days.is_anomaly
    from {{ ref('raw_volume_daily') }} as volume_days
    cross join grains

),

volume as (

    select
        grain,
        period_start,
        sum(case when is_anomaly then 1 else 0 end) as volume_anomalies
    from load_days
    group by grain, period_start

),

-- report jobs: queued jobs and the ones that failed ----------------------------
queued_jobs as (

    select
        grains.grain,
        {{ period_start('grains.grain', 'jobs.queued_at') }} as period_start,
        jobs.status
    from {{ ref('report_jobs') }} as jobs
    cross join grains
    where jobs.queued_at is not null

),

jobs as (

    select
        grain,
        period_start,
        count(*) as report_jobs,
        sum(case when status = 'failed' then 1 else 0 end) as report_job_failures
    from queued_jobs
    group by grain, period_start

),

-- every period with any activity -----------------------------------------------
active_periods as (

    select
        grain,
        period_start
    from tests
    union all
    select
        grain,
        period_start
    from quarantine
    union all
    select
        grain,
        period_start
    from freshness
    union all
    select
        grain,
        period_start
    from runs
    union all
    select
        grain,
        period_start
    from volume
    where volume_anomalies > 0
    union all
    select
        grain,
        period_start
    from jobs

),

periods as (

    select distinct
        grain,
        period_start
    from active_periods

),

final as (

    select
        cast(periods.grain as varchar) as grain,
        periods.period_start,
        cast(coalesce(tests.tests_run, 0) as bigint) as tests_run,
        cast(coalesce(tests.tests_passed, 0) as bigint) as tests_passed,
        cast(coalesce(tests.tests_warned, 0) as bigint) as tests_warned,
        cast(coalesce(tests.tests_failed, 0) as bigint) as tests_failed,
        cast(coalesce(tests.tests_errored, 0) as bigint) as tests_errored,
        cast(coalesce(tests.failing_rows, 0) as bigint) as failing_rows,
        cast(coalesce(quarantine.rows_quarantined, 0) as bigint) as rows_quarantined,
        quarantine.quarantined_by_rule,
        cast(coalesce(freshness.freshness_checks, 0) as bigint) as freshness_checks,
        cast(coalesce(freshness.freshness_breaches, 0) as bigint) as freshness_breaches,
        cast(coalesce(runs.dbt_runs, 0) as bigint) as dbt_runs,
        cast(coalesce(runs.dbt_runs_failed, 0) as bigint) as dbt_runs_failed,
        cast(runs.run_seconds_p50 as decimal(18, 3)) as run_seconds_p50,
        cast(runs.run_seconds_p95 as decimal(18, 3)) as run_seconds_p95,
        slowest.slowest_models,
        cast(coalesce(volume.volume_anomalies, 0) as bigint) as volume_anomalies,
        cast(coalesce(jobs.report_jobs, 0) as bigint) as report_jobs,
        cast(coalesce(jobs.report_job_failures, 0) as bigint) as report_job_failures
    from periods
    left join tests
        on periods.grain = tests.grain and periods.period_start = tests.period_start
    left join quarantine
        on periods.grain = quarantine.grain and periods.period_start = quarantine.period_start
    left join freshness
        on periods.grain = freshness.grain and periods.period_start = freshness.period_start
    left join runs
        on periods.grain = runs.grain and periods.period_start = runs.period_start
    left join slowest
        on periods.grain = slowest.grain and periods.period_start = slowest.period_start
    left join volume
        on periods.grain = volume.grain and periods.period_start = volume.period_start
    left join jobs
        on periods.grain = jobs.grain and periods.period_start = jobs.period_start

)

select * from final
