{#
    on-run-end: record this invocation, its node results and (for a
    `dbt source freshness`) its freshness results in the monitoring_raw logs.
    See run_results.sql for the tables and how values are made safe.

    `results` is what dbt hands on-run-end hooks: one result per node that
    ran, was skipped or errored (and any failed on-run-start hook).
#}
{% macro record_run_results(results) %}
    {%- if run_results_enabled() -%}
        {#- Created by on-run-start already; again here (cheap) for a run whose
            start hooks did not get that far. -#}
        {%- do create_run_results_tables(add_missing_columns=false) -%}
        {%- set finished_at = modules.datetime.datetime.now(modules.pytz.utc) -%}
        {%- do run_results_insert(
            'dbt_invocations_log',
            [run_results_invocation_row(results, finished_at)],
            ['invocation_id']) -%}
        {%- set node_rows = [] -%}
        {%- set freshness_rows = [] -%}
        {%- for result in results if result.node is defined and result.node is not none -%}
            {%- do node_rows.append(run_results_node_row(result, finished_at)) -%}
            {%- if (result.node.resource_type | string) == 'source' -%}
                {%- do freshness_rows.append(run_results_freshness_row(result, finished_at)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do run_results_insert('dbt_node_results_log', node_rows, ['invocation_id', 'unique_id']) -%}
        {%- do run_results_insert(
            'dbt_source_freshness_log', freshness_rows, ['invocation_id', 'unique_id']) -%}
    {%- endif -%}
{% endmacro %}

{# `obj.name` when the object has it (and it is not none), else none. #}
{% macro run_results_attr(obj, name) %}
    {%- if obj is none or obj is undefined -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set value = obj[name] if obj is mapping else obj | attr(name) -%}
    {{ return(none if value is undefined else value) }}
{% endmacro %}

{# The status of a result as plain text (success, pass, warn, fail, error, ...). #}
{% macro run_results_status(result) %}
    {%- set status = run_results_attr(result, 'status') -%}
    {{ return(none if status is none else (status | string | lower)) }}
{% endmacro %}

{% macro run_results_invocation_row(results, finished_at) %}
    {%- set counts = namespace(succeeded=0, warned=0, failed=0, errored=0, skipped=0) -%}
    {%- for result in results -%}
        {%- set status = run_results_status(result) -%}
        {%- if status in ('success', 'pass') -%}
            {%- set counts.succeeded = counts.succeeded + 1 -%}
        {%- elif status == 'warn' -%}
            {%- set counts.warned = counts.warned + 1 -%}
        {%- elif status == 'fail' -%}
            {%- set counts.failed = counts.failed + 1 -%}
        {%- elif status in ('error', 'runtime error') -%}
            {%- set counts.errored = counts.errored + 1 -%}
        {%- elif status == 'skipped' -%}
            {%- set counts.skipped = counts.skipped + 1 -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set started_at = run_started_at -%}
    {%- if started_at is not none and started_at.tzinfo is none -%}
        {%- set started_at = started_at.replace(tzinfo=modules.pytz.utc) -%}
    {%- endif -%}
    {%- set args = invocation_args_dict if invocation_args_dict is mapping else {} -%}
    {%- set selected = args.get('select') -%}
    {%- if selected is not none and selected is not string -%}
        {%- set selected = selected | join(' ') -%}
    {%- endif -%}
    {%- set git_commit = env_var('ANALYTICS_GIT_COMMIT', '') | trim or env_var('GITHUB_SHA', '') | trim -%}

    {{ return({
        'invocation_id': invocation_id,
        'command': flags.WHICH,
        'invocation_command': args.get('invocation_command'),
        'target_name': target.name,
        'target_type': target.type,
        'dbt_version': dbt_version,
        'project_name': project_name,
        'is_full_refresh': flags.FULL_REFRESH is sameas true,
        'selected': selected or none,
        'started_at': started_at,
        'finished_at': finished_at,
        'elapsed_seconds': none if started_at is none else (finished_at - started_at).total_seconds(),
        'nodes_total': results | length,
        'nodes_succeeded': counts.succeeded,
        'nodes_warned': counts.warned,
        'nodes_failed': counts.failed,
        'nodes_errored': counts.errored,
        'nodes_skipped': counts.skipped,
        'git_commit': git_commit or none,
        'recorded_at': finished_at,
    }) }}
{% endmacro %}

{# The 'execute' timing of a result, else its 'compile' timing, else none. #}
{% macro run_results_timing(result) %}
    {%- set found = namespace(execute=none, compile=none) -%}
    {%- for timing in run_results_attr(result, 'timing') or [] -%}
        {%- set name = run_results_attr(timing, 'name') -%}
        {%- if name == 'execute' -%}
            {%- set found.execute = timing -%}
        {%- elif name == 'compile' -%}
            {%- set found.compile = timing -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found.execute if found.execute is not none else found.compile) }}
{% endmacro %}

{% macro run_results_node_row(result, finished_at) %}
    {%- set node = result.node -%}
    {%- set config = run_results_attr(node, 'config') -%}
    {%- set resource_type = run_results_attr(node, 'resource_type') | string -%}
    {%- set is_test = resource_type in ('test', 'unit_test') -%}
    {%- set timing = run_results_timing(result) -%}
    {%- set adapter_response = run_results_attr(result, 'adapter_response') -%}
    {%- set compiled_code = run_results_attr(node, 'compiled_code') -%}
    {%- set attached_node = run_results_attr(node, 'attached_node')
        or run_results_attr(node, 'tested_node_unique_id') -%}
    {%- set severity = run_results_attr(config, 'severity') if resource_type == 'test' else none -%}
    {{ return({
        'invocation_id': invocation_id,
        'unique_id': run_results_attr(node, 'unique_id'),
        'node_name': run_results_attr(node, 'name'),
        'resource_type': resource_type,
        'package_name': run_results_attr(node, 'package_name'),
        'materialization': none if is_test else run_results_attr(config, 'materialized'),
        'schema_name': run_results_attr(node, 'schema'),
        'relation_name': run_results_attr(node, 'relation_name'),
        'status': run_results_status(result),
        'started_at': run_results_attr(timing, 'started_at'),
        'completed_at': run_results_attr(timing, 'completed_at'),
        'execution_seconds': run_results_attr(result, 'execution_time'),
        'rows_affected': run_results_attr(adapter_response, 'rows_affected'),
        'failures': run_results_attr(result, 'failures'),
        'message': run_results_attr(result, 'message'),
        'compiled_code_hash': local_md5(compiled_code) if compiled_code else none,
        'attached_node': attached_node,
        'severity': none if severity is none else severity | string | lower,
        'target_name': target.name,
        'recorded_at': finished_at,
    }) }}
{% endmacro %}

{# A freshness threshold (count and period) in seconds, or none. #}
{% macro run_results_threshold_seconds(threshold) %}
    {%- set count = run_results_number(run_results_attr(threshold, 'count')) -%}
    {%- set period = run_results_attr(threshold, 'period') -%}
    {%- set seconds = {'minute': 60, 'hour': 3600, 'day': 86400} -%}
    {%- if count is none or period is none or (period | string) not in seconds -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(count * seconds[period | string]) }}
{% endmacro %}

{# One row of a source freshness result (the facts dbt writes to sources.json). #}
{% macro run_results_freshness_row(result, finished_at) %}
    {%- set node = result.node -%}
    {%- set criteria = run_results_attr(node, 'freshness') -%}
    {{ return({
        'invocation_id': invocation_id,
        'unique_id': run_results_attr(node, 'unique_id'),
        'source_name': run_results_attr(node, 'source_name'),
        'table_name': run_results_attr(node, 'name'),
        'status': run_results_status(result),
        'max_loaded_at': run_results_attr(result, 'max_loaded_at'),
        'snapshotted_at': run_results_attr(result, 'snapshotted_at'),
        'age_seconds': run_results_attr(result, 'age'),
        'warn_after_seconds': run_results_threshold_seconds(run_results_attr(criteria, 'warn_after')),
        'error_after_seconds': run_results_threshold_seconds(run_results_attr(criteria, 'error_after')),
        'loaded_at_field': run_results_attr(node, 'loaded_at_field'),
        'message': run_results_attr(result, 'message'),
        'target_name': target.name,
        'recorded_at': finished_at,
    }) }}
{% endmacro %}
