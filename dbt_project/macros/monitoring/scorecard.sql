{#
    The data-quality scorecard, written once for both grains: `day` (model
    data_quality_daily) and `month` (data_quality_monthly). Percentiles and
    "slowest models" cannot be rolled up from days to months, so each grain
    aggregates the monitoring models directly; this macro is the one place
    that says what the scorecard counts.

    One row per period with any monitoring activity: a test run, a quarantined
    row, a freshness check, a dbt run, a volume anomaly or a report job.
#}

{# The first day of the period `column` (a date) falls in. #}
{% macro scorecard_period(grain, column) -%}
    {%- if grain == 'day' -%}
        cast({{ column }} as date)
    {%- elif grain == 'month' -%}
        cast({{ dbt.date_trunc('month', column) }} as date)
    {%- else -%}
        {{ exceptions.raise_compiler_error("scorecard grain must be 'day' or 'month', not " ~ grain) }}
    {%- endif -%}
{%- endmacro %}

{% macro data_quality_scorecard(grain, period_column) %}
{#- How many of the slowest models a period lists. -#}
{%- set slowest_model_count = var('scorecard_slowest_models', 3) -%}

with

tests as (

    select
        {{ scorecard_period(grain, 'test_date') }} as period_start,
        count(*) as tests_run,
        sum(case when status = 'pass' then 1 else 0 end) as tests_passed,
        sum(case when status = 'warn' then 1 else 0 end) as tests_warned,
        sum(case when status = 'fail' then 1 else 0 end) as tests_failed,
        sum(case when status = 'error' then 1 else 0 end) as tests_errored,
        sum(case when status in ('warn', 'fail') then coalesce(failures, 0) else 0 end)
            as failing_rows
    from {{ ref('dbt_test_results') }}
    where status <> 'skipped'
    group by 1

),

quarantine_rules as (

    select
        {{ scorecard_period(grain, 'quarantine_date') }} as period_start,
        quarantine_rule,
        sum(rows_quarantined) as rows_quarantined
    from {{ ref('quarantine_summary') }}
    group by 1, 2

),

quarantine as (

    select
        period_start,
        sum(rows_quarantined) as rows_quarantined,
        {{ dbt.listagg(
            "quarantine_rule || ': ' || cast(rows_quarantined as varchar)",
            "', '",
            "order by rows_quarantined desc, quarantine_rule",
        ) }} as quarantined_by_rule
    from quarantine_rules
    group by 1

),

freshness as (

    select
        {{ scorecard_period(grain, 'check_date') }} as period_start,
        count(*) as freshness_checks,
        sum(case when is_breach then 1 else 0 end) as freshness_breaches
    from {{ ref('source_freshness_history') }}
    group by 1

),

runs as (

    select
        {{ scorecard_period(grain, 'run_date') }} as period_start,
        count(*) as dbt_runs,
        sum(case when status = 'failed' then 1 else 0 end) as dbt_runs_failed,
        percentile_cont(0.5) within group (order by elapsed_seconds) as run_seconds_p50,
        percentile_cont(0.95) within group (order by elapsed_seconds) as run_seconds_p95
    from {{ ref('dbt_invocations') }}
    where command in ('build', 'run')
    group by 1

),

model_times as (

    select
        {{ scorecard_period(grain, 'run_date') }} as period_start,
        node_name,
        max(execution_seconds) as slowest_seconds
    from {{ ref('dbt_node_executions') }}
    where resource_type = 'model' and execution_seconds is not null
    group by 1, 2

),

model_times_ranked as (

    select
        period_start,
        node_name,
        slowest_seconds,
        row_number() over (
            partition by period_start
            order by slowest_seconds desc, node_name
        ) as speed_rank
    from model_times

),

slowest as (

    select
        period_start,
        {{ dbt.listagg(
            "node_name || ' (' || cast(round(slowest_seconds, 1) as varchar) || ' s)'",
            "', '",
            "order by speed_rank",
        ) }} as slowest_models
    from model_times_ranked
    where speed_rank <= {{ slowest_model_count }}
    group by 1

),

volume as (

    select
        {{ scorecard_period(grain, 'load_date') }} as period_start,
        sum(case when is_anomaly then 1 else 0 end) as volume_anomalies
    from {{ ref('raw_volume_daily') }}
    group by 1

),

report_jobs as (

    select
        {{ scorecard_period(grain, 'queued_at') }} as period_start,
        count(*) as report_jobs,
        sum(case when status = 'failed' then 1 else 0 end) as report_job_failures
    from {{ ref('report_jobs') }}
    where queued_at is not null
    group by 1

),

periods as (

    select period_start from tests
    union
    select period_start from quarantine
    union
    select period_start from freshness
    union
    select period_start from runs
    union
    select period_start from volume where volume_anomalies > 0
    union
    select period_start from report_jobs

),

final as (

    select
        periods.period_start as {{ period_column }},
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
        cast(coalesce(report_jobs.report_jobs, 0) as bigint) as report_jobs,
        cast(coalesce(report_jobs.report_job_failures, 0) as bigint) as report_job_failures
    from periods
    left join tests on periods.period_start = tests.period_start
    left join quarantine on periods.period_start = quarantine.period_start
    left join freshness on periods.period_start = freshness.period_start
    left join runs on periods.period_start = runs.period_start
    left join slowest on periods.period_start = slowest.period_start
    left join volume on periods.period_start = volume.period_start
    left join report_jobs on periods.period_start = report_jobs.period_start

)

select * from final
{% endmacro %}
