-- Every landed line, parsed and checked against the JSON Schema of the
-- report_jobs stream (ReportJobEvent in analytics_core/events.py: types,
-- required members, enums, bounds and patterns all come from there).
-- reject_reason is null for a valid event and names the first rule a line
-- breaks otherwise. Below: only the output columns, their order and names,
-- and what SQL does with an absent member.
{{ parse_event_lines(source('events', 'report_job_events'), event_fields('report_jobs', [
    {'name': 'schema_version', 'reason': 'unsupported_schema_version'},
    {'name': 'event_id'},
    {'name': 'job_id'},
    {'name': 'report_type'},
    {'name': 'status'},
    {'name': 'trigger', 'column': 'triggered_by'},
    {'name': 'at', 'column': 'event_at'},
    {'name': 'duration_ms'},
    {'name': 'error'},
    {'name': 'params', 'default': "'{}'"},
])) }}
