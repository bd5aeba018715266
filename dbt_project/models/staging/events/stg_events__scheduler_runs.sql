-- Every landed scheduler line, parsed and checked against the JSON Schema of
-- the scheduler_runs stream (SchedulerRunEvent in analytics_core/events.py:
-- types, required members, enums, bounds and patterns all come from there).
-- reject_reason is null for a valid event and names the first rule a line
-- breaks otherwise. Below: only the output columns, their order and names.
{{ parse_event_lines(source('events', 'scheduler_run_events'), event_fields('scheduler_runs', [
    {'name': 'schema_version', 'reason': 'unsupported_schema_version'},
    {'name': 'event_id'},
    {'name': 'job', 'column': 'job_name'},
    {'name': 'kind'},
    {'name': 'due_at'},
    {'name': 'attempt'},
    {'name': 'status'},
    {'name': 'at', 'column': 'event_at'},
    {'name': 'duration_ms'},
    {'name': 'detail'},
    {'name': 'next_attempt_at'},
])) }}
