-- Every landed scheduler line, parsed against the event schema of
-- analytics_core/events.py (SchedulerRunEvent). reject_reason is null for a
-- valid event and names the first rule a line breaks otherwise.
{{ parse_event_lines(source('events', 'scheduler_run_events'), [
    {'name': 'schema_version', 'type': 'integer', 'equals': 1,
        'reason': 'unsupported_schema_version'},
    {'name': 'event_id', 'type': 'uuid'},
    {'name': 'job', 'type': 'string', 'column': 'job_name', 'max_length': 64,
        'pattern': '[a-z][a-z0-9_]*'},
    {'name': 'kind', 'type': 'string', 'accepted': ['build', 'report']},
    {'name': 'due_at', 'type': 'timestamp'},
    {'name': 'attempt', 'type': 'integer', 'minimum': 1, 'maximum': 100},
    {'name': 'status', 'type': 'string',
        'accepted': ['running', 'succeeded', 'retrying', 'failed']},
    {'name': 'at', 'type': 'timestamp', 'column': 'event_at'},
    {'name': 'duration_ms', 'type': 'integer', 'also': ['null', 'missing'], 'minimum': 0},
    {'name': 'detail', 'type': 'string', 'also': ['null', 'missing'], 'max_length': 4000},
    {'name': 'next_attempt_at', 'type': 'timestamp', 'also': ['null', 'missing']},
]) }}
