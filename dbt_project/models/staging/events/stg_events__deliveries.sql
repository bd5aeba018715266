-- Every landed delivery line, parsed and checked against the JSON Schema of
-- the deliveries stream (DeliveryEvent in analytics_core/events.py: types,
-- required members, enums, bounds and patterns all come from there).
-- reject_reason is null for a valid event and names the first rule a line
-- breaks otherwise. Below: only the output columns, their order and names.
{{ parse_event_lines(source('events', 'delivery_events'), event_fields('deliveries', [
    {'name': 'schema_version', 'reason': 'unsupported_schema_version'},
    {'name': 'event_id'},
    {'name': 'delivery_id'},
    {'name': 'kind'},
    {'name': 'source'},
    {'name': 'recipient'},
    {'name': 'channel'},
    {'name': 'due_at'},
    {'name': 'attempt'},
    {'name': 'status'},
    {'name': 'at', 'column': 'event_at'},
    {'name': 'report_job_id'},
    {'name': 'delivered_as'},
    {'name': 'duration_ms'},
    {'name': 'detail'},
    {'name': 'next_attempt_at'},
])) }}
