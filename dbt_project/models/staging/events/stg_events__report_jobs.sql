-- Every landed line, parsed against the event schema of
-- analytics_core/events.py (ReportJobEvent). reject_reason is null for a
-- valid event and names the first rule a line breaks otherwise.
{{ parse_event_lines(source('events', 'report_job_events'), [
    {'name': 'schema_version', 'type': 'integer', 'equals': 1,
        'reason': 'unsupported_schema_version'},
    {'name': 'event_id', 'type': 'uuid'},
    {'name': 'job_id', 'type': 'string', 'min_length': 1, 'max_length': 128},
    {'name': 'report_type', 'type': 'string', 'max_length': 64, 'pattern': '[a-z][a-z0-9_]*'},
    {'name': 'status', 'type': 'string',
        'accepted': ['queued', 'running', 'succeeded', 'failed']},
    {'name': 'trigger', 'type': 'string', 'column': 'triggered_by',
        'accepted': ['api', 'external_function', 'schedule']},
    {'name': 'at', 'type': 'timestamp', 'column': 'event_at'},
    {'name': 'duration_ms', 'type': 'integer', 'also': ['null', 'missing'], 'minimum': 0},
    {'name': 'error', 'type': 'string', 'also': ['null', 'missing'], 'max_length': 4000},
    {'name': 'params', 'type': 'object', 'also': ['missing'], 'default': "'{}'"},
]) }}
