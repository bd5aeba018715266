{#
    Operational events (analytics_core/events.py): the raw landing tables,
    the SQL that reads their JSON lines on DuckDB and on Snowflake, and
    parse_event_lines(), which checks each line against its event schema.

    Each stream of events has a landing table in `monitoring_raw` (prefixed
    like every schema on non-production targets), see event_streams():
      report_jobs     -> monitoring_raw.report_job_events    (report service)
      scheduler_runs  -> monitoring_raw.scheduler_run_events (scheduler)
      deliveries      -> monitoring_raw.delivery_events      (report service)
    holding one row per line of an events file, as text, whether or not the
    line is valid:
      raw_line         the line (JSON text, or whatever a broken writer left)
      file_name        the file relative to the events root,
                       <stream>/date=YYYY-MM-DD/<name>.jsonl
      file_row_number  the line's number in its file (1-based)
      loaded_at        when the line landed in the warehouse (UTC)
    Keeping lines as text means a malformed line is never lost: the models
    parse them and put the ones that fail in <table>_rejected.

    - Snowflake: Snowpipe copies new S3 objects into them (events_ddl.sql).
    - DuckDB: a local build copies the new lines of $ANALYTICS_HOME/events/
      into them before dbt starts (orchestration/local_events.py, the local
      stand-in for Snowpipe).

    The streams, their tables and their JSON Schemas come from the event
    classes of analytics_core/events.py, through the generated macros of
    event_schemas.sql (event_streams(), event_json_schema()).

    create_event_tables() must run before assert_raw_contract() checks the
    sources (on-run-start), so the tables exist on a fresh warehouse.
#}

{% macro events_relation(stream) %}
    {%- set streams = event_streams() -%}
    {%- if stream not in streams -%}
        {{ exceptions.raise_compiler_error(
            "unknown event stream " ~ stream ~ "; known: " ~ (streams.keys() | sort | join(', '))) }}
    {%- endif -%}
    {{ return(api.Relation.create(
        database=target.database,
        schema=generate_schema_name('monitoring_raw', none) | trim,
        identifier=streams[stream])) }}
{% endmacro %}

{% macro events_columns_ddl() -%}
    raw_line varchar, file_name varchar, file_row_number bigint, loaded_at {{ dbt.type_timestamp() }}
{%- endmacro %}

{% macro create_event_tables() %}
    {%- if execute -%}
        {%- for stream in event_streams() | sort -%}
            {%- set relation = events_relation(stream) -%}
            {%- if loop.first -%}
                {%- do adapter.execute(
                    'create schema if not exists ' ~ relation.without_identifier(),
                    auto_begin=False, fetch=False) -%}
            {%- endif -%}
            {%- do adapter.execute(
                'create table if not exists ' ~ relation ~ ' (' ~ events_columns_ddl() ~ ')',
                auto_begin=False, fetch=False) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}

{# ------------------------------------------------------------ reading JSON #}

{# The line as a JSON document, or null when it is not valid JSON. #}
{% macro events_parse_json(line) %}
    {{ return(adapter.dispatch('events_parse_json')(line)) }}
{% endmacro %}

{% macro default__events_parse_json(line) -%}
    case when json_valid({{ line }}) then {{ line }} end
{%- endmacro %}

{% macro snowflake__events_parse_json(line) -%}
    try_parse_json({{ line }})
{%- endmacro %}

{#
    The JSON type of a member of `doc` (or of doc itself when key is none),
    the same words on both adapters: string, integer, number, object, array,
    boolean, null (a JSON null), missing.
#}
{% macro events_json_type(doc, key=none) %}
    {{ return(adapter.dispatch('events_json_type')(doc, key)) }}
{% endmacro %}

{% macro default__events_json_type(doc, key) -%}
    case json_type({{ doc }}{% if key %}, '$.{{ key }}'{% endif %})
        when 'VARCHAR' then 'string'
        when 'UBIGINT' then 'integer'
        when 'BIGINT' then 'integer'
        when 'DOUBLE' then 'number'
        when 'OBJECT' then 'object'
        when 'ARRAY' then 'array'
        when 'BOOLEAN' then 'boolean'
        when 'NULL' then 'null'
        else 'missing'
    end
{%- endmacro %}

{% macro snowflake__events_json_type(doc, key) -%}
    case typeof({{ doc }}{% if key %}:"{{ key }}"{% endif %})
        when 'VARCHAR' then 'string'
        when 'INTEGER' then 'integer'
        when 'DECIMAL' then 'number'
        when 'DOUBLE' then 'number'
        when 'OBJECT' then 'object'
        when 'ARRAY' then 'array'
        when 'BOOLEAN' then 'boolean'
        when 'NULL_VALUE' then 'null'
        else 'missing'
    end
{%- endmacro %}

{# A string member as text (null when it is not a string). #}
{% macro events_json_string(doc, key) %}
    {{ return(adapter.dispatch('events_json_string')(doc, key)) }}
{% endmacro %}

{% macro default__events_json_string(doc, key) -%}
    json_extract_string({{ doc }}, '$.{{ key }}')
{%- endmacro %}

{% macro snowflake__events_json_string(doc, key) -%}
    cast({{ doc }}:"{{ key }}" as varchar)
{%- endmacro %}

{# An integer member as bigint (only call it where the member is an integer). #}
{% macro events_json_integer(doc, key) %}
    {{ return(adapter.dispatch('events_json_integer')(doc, key)) }}
{% endmacro %}

{% macro default__events_json_integer(doc, key) -%}
    try_cast(json_extract({{ doc }}, '$.{{ key }}') as bigint)
{%- endmacro %}

{% macro snowflake__events_json_integer(doc, key) -%}
    cast({{ doc }}:"{{ key }}" as bigint)
{%- endmacro %}

{# Any member as JSON text. #}
{% macro events_json_text(doc, key) %}
    {{ return(adapter.dispatch('events_json_text')(doc, key)) }}
{% endmacro %}

{% macro default__events_json_text(doc, key) -%}
    cast(json_extract({{ doc }}, '$.{{ key }}') as varchar)
{%- endmacro %}

{% macro snowflake__events_json_text(doc, key) -%}
    to_json({{ doc }}:"{{ key }}")
{%- endmacro %}

{# An ISO 8601 text with a UTC offset as a UTC timestamp without time zone; null if it is not one. #}
{% macro events_utc_timestamp(text) %}
    {{ return(adapter.dispatch('events_utc_timestamp')(text)) }}
{% endmacro %}

{% macro default__events_utc_timestamp(text) -%}
    cast(timezone('UTC', try_cast({{ text }} as timestamp with time zone)) as timestamp)
{%- endmacro %}

{% macro snowflake__events_utc_timestamp(text) -%}
    cast(convert_timezone('UTC', try_cast({{ text }} as timestamp_tz)) as timestamp_ntz)
{%- endmacro %}

{# Whether `text` matches the whole regular expression (no backslashes: Snowflake literals eat them). #}
{% macro events_matches(text, pattern) %}
    {{ return(adapter.dispatch('events_matches')(text, pattern)) }}
{% endmacro %}

{% macro default__events_matches(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro snowflake__events_matches(text, pattern) -%}
    regexp_like({{ text }}, '{{ pattern }}')
{%- endmacro %}

{# Warns (severity warn in the yml) while any landed line was rejected. #}
{% test no_rejected_events(model) %}
    select * from {{ model }}
{% endtest %}

{# ------------------------------------------------------- checking an event #}

{#
    parse_event_lines(source_relation, fields): every landed line of a
    landing table, parsed and checked against an event schema, as the select
    of a view: file_name, file_row_number, loaded_at, raw_line,
    reject_reason, then one column per field. reject_reason is null for a
    valid event, else the first rule the line breaks: not_a_json_object,
    then each field's reason in the order of `fields`.

    Each field is a dict:
      name        the JSON member
      type        string, uuid (a lower-cased UUID), integer, object or
                  timestamp (ISO 8601 text with a UTC offset, read as a UTC
                  timestamp)
      column      the output column (default: name)
      reason      the reject reason (default: bad_<name>)
      also        JSON types allowed besides the field's own: ['null',
                  'missing'] for an optional member (default: none)
      accepted    the accepted values (strings)
      pattern     a regular expression the whole value must match
      min_length, max_length   bounds of a string's length
      minimum, maximum         bounds of an integer
      equals      the only accepted integer
      default     SQL for the output column when the member is absent
    (Not `values`: a dict's method would shadow it in Jinja.) Models do not
    write these by hand: event_fields() reads them from the stream's JSON
    Schema, so the event classes of analytics_core/events.py are their one
    definition.
#}
{% macro parse_event_lines(source_relation, fields) %}
with

source as (

    select * from {{ source_relation }}

),

parsed as (

    select
        raw_line,
        file_name,
        file_row_number,
        loaded_at,
        {{ events_parse_json('raw_line') }} as doc
    from source

),

typed as (

    select
        raw_line,
        file_name,
        file_row_number,
        loaded_at,
        doc,
        {% for field in fields -%}
        {{ events_json_type('doc', field.name) }} as {{ field.name }}__type,
        {% endfor -%}
        {{ events_json_type('doc') }} as doc_type
    from parsed

),

extracted as (

    select
        raw_line,
        file_name,
        file_row_number,
        loaded_at,
        {% for field in fields -%}
        {{ field.name }}__type,
        {{ _event_field_value(field) }} as {{ field.name }}__value,
        {% endfor -%}
        doc_type
    from typed

),

checked as (

    select
        *,
        case
            when doc_type <> 'object' then 'not_a_json_object'
            {% for field in fields -%}
            when {{ _event_field_broken(field) }} then '{{ field.reason or ('bad_' ~ field.name) }}'
            {% endfor -%}
        end as reject_reason
    from extracted

)

select
    file_name,
    file_row_number,
    loaded_at,
    raw_line,
    {% for field in fields -%}
    {{ _event_field_output(field) }} as {{ field.column or field.name }},
    {% endfor -%}
    reject_reason
from checked
{% endmacro %}

{% macro _event_json_type_of(field) -%}
    {{ return({'uuid': 'string', 'timestamp': 'string'}.get(field.type, field.type)) }}
{%- endmacro %}

{# The member as SQL of its type (null when it has another JSON type). #}
{% macro _event_field_value(field) -%}
    {%- if field.type == 'integer' -%}
        case when {{ field.name }}__type = 'integer' then {{ events_json_integer('doc', field.name) }} end
    {%- elif field.type == 'object' -%}
        case when {{ field.name }}__type = 'object' then {{ events_json_text('doc', field.name) }} end
    {%- elif field.type == 'uuid' -%}
        lower({{ events_json_string('doc', field.name) }})
    {%- elif field.type in ('string', 'timestamp') -%}
        {{ events_json_string('doc', field.name) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("event field " ~ field.name ~ ": unknown type " ~ field.type) }}
    {%- endif -%}
{%- endmacro %}

{# True when the member breaks a rule of its field. #}
{% macro _event_field_broken(field) -%}
    {%- set value = field.name ~ '__value' -%}
    {%- set allowed = [_event_json_type_of(field) | trim] + (field.also or []) -%}
    {%- set rules = [field.name ~ "__type not in ('" ~ (allowed | join("', '")) ~ "')"] -%}
    {%- if field.equals is not none and field.equals is defined -%}
        {%- do rules.append(value ~ ' <> ' ~ field.equals) -%}
    {%- endif -%}
    {%- if field.accepted -%}
        {%- do rules.append(value ~ " not in ('" ~ (field.accepted | join("', '")) ~ "')") -%}
    {%- endif -%}
    {%- if field.min_length is defined -%}
        {%- do rules.append('length(' ~ value ~ ') < ' ~ field.min_length) -%}
    {%- endif -%}
    {%- if field.max_length is defined -%}
        {%- do rules.append('length(' ~ value ~ ') > ' ~ field.max_length) -%}
    {%- endif -%}
    {%- if field.minimum is defined -%}
        {%- do rules.append(value ~ ' < ' ~ field.minimum) -%}
    {%- endif -%}
    {%- if field.maximum is defined -%}
        {%- do rules.append(value ~ ' > ' ~ field.maximum) -%}
    {%- endif -%}
    {%- if field.type == 'uuid' -%}
        {%- do rules.append('not ' ~ events_matches(value,
            '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')) -%}
    {%- endif -%}
    {%- if field.pattern -%}
        {%- do rules.append('not ' ~ events_matches(value, field.pattern)) -%}
    {%- endif -%}
    {%- if field.type == 'timestamp' -%}
        {%- do rules.append('(' ~ field.name ~ "__type = 'string' and (not "
            ~ events_matches(value, '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ].*(Z|z|[+-][0-9]{2}:?[0-9]{2})')
            ~ ' or ' ~ events_utc_timestamp(value) ~ ' is null))') -%}
    {%- endif -%}
    ({{ rules | join(' or ') }})
{%- endmacro %}

{% macro _event_field_output(field) -%}
    {%- set value = field.name ~ '__value' -%}
    {%- if field.type == 'timestamp' -%}
        {%- set value = events_utc_timestamp(value) -%}
    {%- endif -%}
    {%- if field.default is defined -%}
        coalesce({{ value }}, {{ field.default }})
    {%- else -%}
        {{ value }}
    {%- endif -%}
{%- endmacro %}

{#
    event_fields(stream, columns): the field list parse_event_lines() checks,
    read from the stream's JSON Schema (event_json_schema(), written from the
    event classes of analytics_core/events.py): each member's JSON type and
    format, whether it is required or may be null, its enum, const, length
    and range bounds and pattern. The model says only what is SQL's business,
    one dict per member in output order:
      name      the JSON member (every member of the schema, and only those)
      column    the output column (default: name)
      reason    the reject reason (default: bad_<name>)
      default   SQL for the output column when the member is absent (default:
                the schema's default, when it has one)
    A member the model does not list, or one the schema does not have, is a
    compile error: a new field in the event class needs a decision here.
#}
{% macro event_fields(stream, columns) %}
    {%- set schema = event_json_schema(stream) -%}
    {%- set properties = schema['properties'] -%}
    {%- set required = schema.get('required', []) -%}
    {%- set listed = columns | map(attribute='name') | list -%}
    {%- set unlisted = properties.keys() | reject('in', listed) | sort | list -%}
    {%- set unknown = listed | reject('in', properties.keys()) | list -%}
    {%- if unlisted or unknown -%}
        {{ exceptions.raise_compiler_error(
            "event stream " ~ stream ~ ": the model must list every member of its schema"
            ~ (", not listed: " ~ unlisted | join(', ') if unlisted else '')
            ~ (", not in the schema: " ~ unknown | join(', ') if unknown else '')) }}
    {%- endif -%}
    {%- set fields = [] -%}
    {%- for column in columns -%}
        {%- do fields.append(_event_field_from_schema(
            column, properties[column.name], column.name in required)) -%}
    {%- endfor -%}
    {{ return(fields) }}
{% endmacro %}

{% macro _event_field_from_schema(column, member, is_required) %}
    {%- set variants = member.get('anyOf', [member]) -%}
    {%- set typed = variants | rejectattr('type', 'equalto', 'null') | list -%}
    {%- if typed | length != 1 -%}
        {{ exceptions.raise_compiler_error(
            "event member " ~ column.name ~ ": one JSON type besides null expected") }}
    {%- endif -%}
    {%- set spec = typed[0] -%}
    {%- set also = [] -%}
    {%- if typed | length < variants | length -%}{%- do also.append('null') -%}{%- endif -%}
    {%- if not is_required -%}{%- do also.append('missing') -%}{%- endif -%}
    {%- set field = {'name': column.name, 'also': also} -%}
    {%- if spec.type == 'string' and spec.get('format') == 'uuid' -%}
        {%- do field.update({'type': 'uuid'}) -%}
    {%- elif spec.type == 'string' and spec.get('format') == 'date-time' -%}
        {%- do field.update({'type': 'timestamp'}) -%}
    {%- elif spec.type in ('string', 'integer', 'object') -%}
        {%- do field.update({'type': spec.type}) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "event member " ~ column.name ~ ": no SQL check for JSON type " ~ spec.type) }}
    {%- endif -%}
    {%- if 'enum' in spec -%}{%- do field.update({'accepted': spec['enum']}) -%}{%- endif -%}
    {%- if 'const' in spec -%}{%- do field.update({'equals': spec['const']}) -%}{%- endif -%}
    {%- if 'minLength' in spec -%}{%- do field.update({'min_length': spec['minLength']}) -%}{%- endif -%}
    {%- if 'maxLength' in spec -%}{%- do field.update({'max_length': spec['maxLength']}) -%}{%- endif -%}
    {%- if 'minimum' in spec -%}{%- do field.update({'minimum': spec['minimum']}) -%}{%- endif -%}
    {%- if 'maximum' in spec -%}{%- do field.update({'maximum': spec['maximum']}) -%}{%- endif -%}
    {%- if 'pattern' in spec -%}
        {%- do field.update({'pattern': _event_pattern(column.name, spec['pattern'])}) -%}
    {%- endif -%}
    {%- for key in ('column', 'reason', 'default') -%}
        {%- if column.get(key) is not none -%}{%- do field.update({key: column[key]}) -%}{%- endif -%}
    {%- endfor -%}
    {%- if 'default' not in field and member.get('default') is not none -%}
        {%- set value = member['default'] -%}
        {%- do field.update({'default': value if value is number else "'" ~ value ~ "'"}) -%}
    {%- endif -%}
    {{ return(field) }}
{% endmacro %}

{#
    A JSON Schema pattern as the whole-value regular expression
    events_matches() takes: without its ^...$ anchors (both adapters match the
    whole value). Backslashes may only start \xHH escapes (a character by its
    code): DuckDB's regular expressions read the escape, and Snowflake's
    string literals turn it into the character itself, which its regular
    expressions match as such. Any other backslash sequence (\d, \s: dropped
    by Snowflake's literals) or a quote is refused at compile time rather than
    checked differently on the two adapters.
#}
{% macro _event_pattern(name, pattern) %}
    {%- set body = pattern -%}
    {%- if body.startswith('^') -%}{%- set body = body[1:] -%}{%- endif -%}
    {%- if body.endswith('$') -%}{%- set body = body[:-1] -%}{%- endif -%}
    {%- if modules.re.search('\\\\(?!x[0-9a-fA-F]{2})', body) or "'" in body -%}
        {{ exceptions.raise_compiler_error(
            "event member " ~ name ~ ": pattern " ~ pattern
            ~ " uses a backslash sequence or a quote the SQL cannot check the same way"
            ~ " on both adapters") }}
    {%- endif -%}
    {{ return(body) }}
{% endmacro %}

{#
    append_new_events(parsed, columns): the select of an append-only
    incremental model of valid events, one row per event_id. `parsed` is the
    stream's parse_event_lines() view, `columns` the columns to keep (the
    delivery columns file_name, file_row_number, loaded_at come last). A
    re-delivered event (same event_id) is kept once: the first delivery wins.
    Models using it set materialized='incremental',
    incremental_strategy='append' and full_refresh=false: events are history
    that exists nowhere else once the files are gone.
#}
{% macro append_new_events(parsed, columns) %}
with

parsed as (

    select * from {{ parsed }}
    where reject_reason is null
    {% if is_incremental() %}
        -- a look-back window: a pipe may commit rows stamped a little before
        -- the newest row this table has seen; event_id keeps them unique
        -- (from the beginning while this table is still empty: a home whose
        -- first builds saw no event must take the first ones it sees)
        and loaded_at > coalesce(
            (select {{ dbt.dateadd('hour', -24, 'max(loaded_at)') }} from {{ this }}),
            cast('1900-01-01 00:00:00' as timestamp)
        )
    {% endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by loaded_at, file_name, file_row_number
        ) as delivery
    from parsed

),

new_events as (

    select * from ranked
    where delivery = 1
    {% if is_incremental() %}
        and event_id not in (select event_id from {{ this }})
    {% endif %}

)

select
    {% for column in columns -%}
    {{ column }},
    {% endfor -%}
    file_name,
    file_row_number,
    loaded_at
from new_events
{% endmacro %}
