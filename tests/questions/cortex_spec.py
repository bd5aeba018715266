"""Snowflake's specification of the Cortex Analyst semantic model (and of the
semantic view YAML and DDL), as checks: :func:`check_semantic_model` for the
YAML model, :func:`check_create_semantic_view` for ``CREATE SEMANTIC VIEW``.

Written from Snowflake's documentation:

- semantic model specification:
  https://docs.snowflake.com/en/user-guide/snowflake-cortex/cortex-analyst/semantic-model-spec
- YAML specification for semantic views (model-level derived ``metrics``,
  ``access_modifier``, ``using_relationships``):
  https://docs.snowflake.com/en/user-guide/views-semantic/semantic-view-yaml-spec
- Verified Query Repository (``verified_queries``; SQL over the logical tables,
  each named with two leading underscores, ``__sales_data``):
  https://docs.snowflake.com/en/user-guide/snowflake-cortex/cortex-analyst/verified-query-repository
- validation rules (a relationship references the primary key of its right
  table; no circular relationships; at least one dimension or metric):
  https://docs.snowflake.com/en/user-guide/views-semantic/validation-rules
- CREATE SEMANTIC VIEW (clause order TABLES, RELATIONSHIPS, FACTS,
  DIMENSIONS, METRICS, COMMENT, AI_SQL_GENERATION, AI_QUESTION_CATEGORIZATION,
  COPY GRANTS): https://docs.snowflake.com/en/sql-reference/sql/create-semantic-view
- identifiers: https://docs.snowflake.com/en/sql-reference/identifiers-syntax
- data types: https://docs.snowflake.com/en/sql-reference/intro-summary-data-types

An empty list means valid; each problem is one message naming where it is
(``tables[orders].dimensions[channel].sample_values[0]: ...``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analytics_core.errors import first_line

__all__ = [
    "ACCESS_MODIFIERS",
    "JOIN_TYPES",
    "RELATIONSHIP_TYPES",
    "SemanticViewStatement",
    "check_create_semantic_view",
    "check_semantic_model",
    "is_identifier",
    "is_snowflake_type",
    "parse_create_semantic_view",
]

#: An unquoted Snowflake identifier: a letter or underscore, then letters,
#: digits, underscores or dollar signs; at most 255 characters.
_UNQUOTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")
_QUOTED = re.compile(r'^"(?:[^"]|""){1,255}"$')

JOIN_TYPES = ("inner", "left_outer")
RELATIONSHIP_TYPES = ("many_to_one", "one_to_one")
ACCESS_MODIFIERS = ("public_access", "private_access")
AGGREGATIONS = ("sum", "avg", "median", "min", "max", "count", "count_distinct")

#: Snowflake data types (with their synonyms), without parameters.
_TYPES = {
    "NUMBER", "DECIMAL", "DEC", "NUMERIC", "INT", "INTEGER", "BIGINT", "SMALLINT",
    "TINYINT", "BYTEINT", "FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION",
    "REAL", "VARCHAR", "CHAR", "CHARACTER", "NCHAR", "STRING", "TEXT", "NVARCHAR",
    "NVARCHAR2", "CHAR VARYING", "NCHAR VARYING", "BINARY", "VARBINARY", "BOOLEAN",
    "DATE", "DATETIME", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ", "TIMESTAMP_NTZ",
    "TIMESTAMP_TZ", "VARIANT", "OBJECT", "ARRAY", "GEOGRAPHY", "GEOMETRY", "VECTOR",
    "FILE",
}  # fmt: skip
_TIME_TYPES = {
    "DATE",
    "DATETIME",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMP_LTZ",
    "TIMESTAMP_NTZ",
    "TIMESTAMP_TZ",
}
_TYPE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*(\(\s*[^()]*\))?\s*$")


def is_identifier(name: Any) -> bool:
    """Whether ``name`` is a Snowflake identifier (unquoted, or double-quoted)."""
    return isinstance(name, str) and bool(_UNQUOTED.match(name) or _QUOTED.match(name))


def is_snowflake_type(data_type: Any, *, time: bool = False) -> bool:
    """Whether ``data_type`` names a Snowflake data type (``NUMBER(38, 2)``,
    ``VARCHAR``, ...); ``time``: a date or time type."""
    if not isinstance(data_type, str):
        return False
    match = _TYPE.match(data_type)
    if match is None:
        return False
    base = " ".join(match.group(1).upper().split())
    return base in (_TIME_TYPES if time else _TYPES)


# --- the shape: keys, required keys, types ---------------------------------------------


@dataclass(frozen=True)
class _Field:
    """One key of a mapping in the specification."""

    kind: str  # string, strings, boolean, integer, object, objects, choice
    required: bool = False
    schema: Mapping[str, _Field] | None = None
    choices: tuple[str, ...] = ()


def _schema(**fields: _Field) -> dict[str, _Field]:
    return fields


_STR = _Field("string")
_REQ_STR = _Field("string", required=True)
_STRS = _Field("strings")
_BOOL = _Field("boolean")

_CORTEX_SEARCH = _schema(service=_REQ_STR, literal_column=_STR, database=_STR, schema=_STR)
_DIMENSION = _schema(
    name=_REQ_STR,
    synonyms=_STRS,
    description=_STR,
    expr=_REQ_STR,
    data_type=_REQ_STR,
    unique=_BOOL,
    sample_values=_STRS,
    is_enum=_BOOL,
    cortex_search_service=_Field("object", schema=_CORTEX_SEARCH),
    cortex_search_service_name=_STR,
)
_TIME_DIMENSION = _schema(
    name=_REQ_STR,
    synonyms=_STRS,
    description=_STR,
    expr=_REQ_STR,
    data_type=_REQ_STR,
    unique=_BOOL,
    sample_values=_STRS,
)
_FACT = _schema(
    name=_REQ_STR,
    synonyms=_STRS,
    description=_STR,
    expr=_REQ_STR,
    data_type=_REQ_STR,
    sample_values=_STRS,
    access_modifier=_Field("choice", choices=ACCESS_MODIFIERS),
    default_aggregation=_Field("choice", choices=AGGREGATIONS),
)
_METRIC = _schema(
    name=_REQ_STR,
    synonyms=_STRS,
    description=_STR,
    expr=_REQ_STR,
    access_modifier=_Field("choice", choices=ACCESS_MODIFIERS),
    using_relationships=_STRS,
)
_FILTER = _schema(name=_REQ_STR, synonyms=_STRS, description=_STR, expr=_REQ_STR)
_TABLE = _schema(
    name=_REQ_STR,
    description=_STR,
    synonyms=_STRS,
    base_table=_Field(
        "object",
        required=True,
        schema=_schema(database=_REQ_STR, schema=_REQ_STR, table=_REQ_STR),
    ),
    primary_key=_Field("object", schema=_schema(columns=_Field("strings", required=True))),
    dimensions=_Field("objects", schema=_DIMENSION),
    time_dimensions=_Field("objects", schema=_TIME_DIMENSION),
    facts=_Field("objects", schema=_FACT),
    metrics=_Field("objects", schema=_METRIC),
    filters=_Field("objects", schema=_FILTER),
)
_RELATIONSHIP = _schema(
    name=_REQ_STR,
    left_table=_REQ_STR,
    right_table=_REQ_STR,
    relationship_columns=_Field(
        "objects",
        required=True,
        schema=_schema(left_column=_REQ_STR, right_column=_REQ_STR),
    ),
    join_type=_Field("choice", choices=JOIN_TYPES),
    relationship_type=_Field("choice", choices=RELATIONSHIP_TYPES),
)
_DERIVED_METRIC = _schema(
    name=_REQ_STR,
    synonyms=_STRS,
    description=_STR,
    expr=_REQ_STR,
    access_modifier=_Field("choice", choices=ACCESS_MODIFIERS),
)
_VERIFIED_QUERY = _schema(
    name=_REQ_STR,
    question=_REQ_STR,
    sql=_REQ_STR,
    verified_at=_Field("integer"),
    verified_by=_STR,
    use_as_onboarding_question=_BOOL,
    semantic_model_name=_STR,
)
_MODEL = _schema(
    name=_REQ_STR,
    description=_STR,
    tables=_Field("objects", required=True, schema=_TABLE),
    relationships=_Field("objects", schema=_RELATIONSHIP),
    metrics=_Field("objects", schema=_DERIVED_METRIC),
    verified_queries=_Field("objects", schema=_VERIFIED_QUERY),
    custom_instructions=_STR,
    module_custom_instructions=_Field(
        "object", schema=_schema(sql_generation=_STR, question_categorization=_STR)
    ),
)


def _label(item: Any, index: int) -> str:
    name = item.get("name") if isinstance(item, Mapping) else None
    return name if isinstance(name, str) and name else str(index)


def _check_shape(value: Any, schema: Mapping[str, _Field], path: str, errors: list[str]) -> None:
    where = path or "model"
    if not isinstance(value, Mapping):
        errors.append(f"{where}: expected a mapping, got {type(value).__name__}")
        return
    for key in value:
        if key not in schema:
            errors.append(f"{where}: unknown key {key!r}")
    for key, spec in schema.items():
        here = f"{path}.{key}" if path else key
        if key not in value or value[key] is None:
            if spec.required:
                errors.append(f"{where}: missing required key {key!r}")
            continue
        item = value[key]
        if spec.kind == "string":
            if not isinstance(item, str):
                errors.append(f"{here}: expected a string, got {type(item).__name__}")
            elif spec.required and not item.strip():
                errors.append(f"{here}: must not be empty")
        elif spec.kind == "strings":
            if not isinstance(item, list):
                errors.append(f"{here}: expected a list of strings")
            else:
                if spec.required and not item:
                    errors.append(f"{here}: must not be empty")
                for index, element in enumerate(item):
                    if not isinstance(element, str):
                        errors.append(
                            f"{here}[{index}]: expected a string, got {type(element).__name__}"
                            f" ({element!r})"
                        )
        elif spec.kind == "boolean":
            if not isinstance(item, bool):
                errors.append(f"{here}: expected true or false, got {item!r}")
        elif spec.kind == "integer":
            if isinstance(item, bool) or not isinstance(item, int) or item < 0:
                errors.append(f"{here}: expected seconds since the epoch, got {item!r}")
        elif spec.kind == "choice":
            if item not in spec.choices:
                errors.append(f"{here}: {item!r} is not one of {', '.join(spec.choices)}")
        elif spec.kind == "object":
            assert spec.schema is not None
            _check_shape(item, spec.schema, here, errors)
        elif spec.kind == "objects":
            assert spec.schema is not None
            if not isinstance(item, list):
                errors.append(f"{here}: expected a list")
                continue
            if spec.required and not item:
                errors.append(f"{here}: must not be empty")
            for index, element in enumerate(item):
                _check_shape(element, spec.schema, f"{here}[{_label(element, index)}]", errors)


# --- the meaning: names, references, expressions ----------------------------------------


def _items(value: Any, key: str) -> list[Mapping[str, Any]]:
    items = value.get(key) if isinstance(value, Mapping) else None
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _unique(names: Sequence[tuple[str, str]], what: str, errors: list[str]) -> None:
    """``names``: (path, name); names compare as Snowflake compares unquoted
    identifiers (case-insensitively)."""
    seen: dict[str, str] = {}
    for path, name in names:
        key = name.upper()
        if key in seen:
            errors.append(f"{path}: duplicate {what} name {name!r} (also {seen[key]})")
        else:
            seen[key] = path


def _parse_sql(sql: str) -> Any:
    import sqlglot

    return sqlglot.parse_one(sql, read="snowflake")


def _expression_errors(expr: str, path: str, *, aggregate: bool | None) -> list[str]:
    """Parse errors, and (``aggregate`` True/False) a missing or forbidden
    aggregation: a metric aggregates, a dimension or fact is per row."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = _parse_sql(expr)
    except sqlglot.errors.ParseError as error:
        return [f"{path}.expr: not a Snowflake SQL expression ({first_line(error)})"]
    if tree is None:
        return [f"{path}.expr: empty expression"]
    has_aggregate = any(True for _ in tree.find_all(exp.AggFunc))
    if aggregate is True and not has_aggregate:
        return [f"{path}.expr: a metric must aggregate (SUM, COUNT, AVG, ...): {expr!r}"]
    if aggregate is False and has_aggregate:
        return [f"{path}.expr: a dimension or fact is per row; it must not aggregate: {expr!r}"]
    return []


def _qualified_references(expr: str) -> list[tuple[str, str]]:
    """``table.column`` references of an expression (parsed; none if it does not parse)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = _parse_sql(expr)
    except sqlglot.errors.ParseError:
        return []
    return [(c.table, c.name) for c in tree.find_all(exp.Column) if c.table]


def _check_table(table: Mapping[str, Any], path: str, errors: list[str]) -> dict[str, str]:
    """Checks of one logical table; returns its logical columns (name -> kind)."""
    columns: dict[str, str] = {}
    named: list[tuple[str, str]] = []
    for key, kind in (
        ("dimensions", "dimension"),
        ("time_dimensions", "time_dimension"),
        ("facts", "fact"),
        ("metrics", "metric"),
        ("filters", "filter"),
    ):
        for index, item in enumerate(_items(table, key)):
            here = f"{path}.{key}[{_label(item, index)}]"
            name = item.get("name")
            if not isinstance(name, str):
                continue
            if not is_identifier(name):
                errors.append(f"{here}.name: {name!r} is not a Snowflake identifier")
            named.append((here, name))
            if kind != "filter":
                columns.setdefault(name, kind)
            data_type = item.get("data_type")
            if isinstance(data_type, str) and not is_snowflake_type(
                data_type, time=kind == "time_dimension"
            ):
                wanted = "a date or time type" if kind == "time_dimension" else "a Snowflake type"
                errors.append(f"{here}.data_type: {data_type!r} is not {wanted}")
            expr = item.get("expr")
            if isinstance(expr, str) and expr.strip():
                aggregate = True if kind == "metric" else None if kind == "filter" else False
                errors.extend(_expression_errors(expr, here, aggregate=aggregate))
    _unique(named, "column", errors)
    for index, column in enumerate(((table.get("primary_key") or {}).get("columns")) or []):
        if isinstance(column, str) and column not in columns:
            errors.append(
                f"{path}.primary_key.columns[{index}]: {column!r} is not a dimension,"
                " time dimension or fact of the table"
            )
    base = table.get("base_table")
    if isinstance(base, Mapping):
        for key in ("database", "schema", "table"):
            part = base.get(key)
            if isinstance(part, str) and part and not is_identifier(part):
                errors.append(f"{path}.base_table.{key}: {part!r} is not a Snowflake identifier")
    return columns


def _check_relationships(
    model: Mapping[str, Any],
    columns: Mapping[str, Mapping[str, str]],
    primary_keys: Mapping[str, list[str]],
    errors: list[str],
) -> None:
    edges: dict[str, set[str]] = {}
    named = []
    for index, relationship in enumerate(_items(model, "relationships")):
        here = f"relationships[{_label(relationship, index)}]"
        name = relationship.get("name")
        if isinstance(name, str):
            named.append((here, name))
            if not is_identifier(name):
                errors.append(f"{here}.name: {name!r} is not a Snowflake identifier")
        left, right = relationship.get("left_table"), relationship.get("right_table")
        for key, table in (("left_table", left), ("right_table", right)):
            if isinstance(table, str) and table not in columns:
                errors.append(f"{here}.{key}: no table {table!r} in the model")
        if left == right and isinstance(left, str):
            errors.append(f"{here}: a relationship joins two different tables")
        pairs = _items(relationship, "relationship_columns")
        for pair_index, pair in enumerate(pairs):
            for key, table in (("left_column", left), ("right_column", right)):
                column = pair.get(key)
                if (
                    isinstance(table, str)
                    and isinstance(column, str)
                    and table in columns
                    and column not in columns[table]
                ):
                    errors.append(
                        f"{here}.relationship_columns[{pair_index}].{key}: {table} has no"
                        f" column {column!r}"
                    )
        if isinstance(right, str) and right in columns:
            referenced = [p.get("right_column") for p in pairs]
            key_columns = primary_keys.get(right) or []
            if not key_columns:
                errors.append(f"{here}: its right table {right} has no primary_key")
            elif sorted(map(str, referenced)) != sorted(key_columns):
                errors.append(
                    f"{here}: the right columns {referenced} are not the primary key"
                    f" {key_columns} of {right}"
                )
        if isinstance(left, str) and isinstance(right, str) and left != right:
            edges.setdefault(left, set()).add(right)
    _unique(named, "relationship", errors)
    # No circular relationships, even through other tables.
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycle = [*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt]
                errors.append("relationships: circular relationship " + " -> ".join(cycle))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])


def _check_verified_query(
    query: Mapping[str, Any], here: str, tables: set[str], errors: list[str]
) -> None:
    import sqlglot
    from sqlglot import exp

    sql = query.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        return
    try:
        tree = _parse_sql(sql)
    except sqlglot.errors.ParseError as error:
        errors.append(f"{here}.sql: not Snowflake SQL ({first_line(error)})")
        return
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table.name
        if name in ctes:
            continue
        if not name.startswith("__"):
            errors.append(
                f"{here}.sql: {table.sql(dialect='snowflake')!r} is not a logical table"
                " (write __<table name>)"
            )
        elif name[2:] not in tables:
            errors.append(f"{here}.sql: no logical table {name[2:]!r} in the model")


def check_semantic_model(model: Any) -> list[str]:
    """What in ``model`` (the parsed YAML) breaks Snowflake's semantic model
    specification; empty when it is valid (see the module docstring)."""
    errors: list[str] = []
    _check_shape(model, _MODEL, "", errors)
    if not isinstance(model, Mapping):
        return errors
    name = model.get("name")
    if isinstance(name, str) and name and not is_identifier(name):
        errors.append(f"name: {name!r} is not a Snowflake identifier")
    columns: dict[str, dict[str, str]] = {}
    primary_keys: dict[str, list[str]] = {}
    table_names = []
    for index, table in enumerate(_items(model, "tables")):
        here = f"tables[{_label(table, index)}]"
        table_name = table.get("name")
        if not isinstance(table_name, str):
            continue
        table_names.append((here, table_name))
        if not is_identifier(table_name):
            errors.append(f"{here}.name: {table_name!r} is not a Snowflake identifier")
        columns[table_name] = _check_table(table, here, errors)
        key = (
            (table.get("primary_key") or {}).get("columns")
            if isinstance(table.get("primary_key"), Mapping)
            else None
        )
        primary_keys[table_name] = [str(c) for c in key or []]
    _unique(table_names, "table", errors)
    if not any(
        kind in ("dimension", "time_dimension", "metric")
        for c in columns.values()
        for kind in c.values()
    ) and not _items(model, "metrics"):
        errors.append("tables: the model defines no dimension and no metric")
    _check_relationships(model, columns, primary_keys, errors)
    relationship_names = {r.get("name") for r in _items(model, "relationships")}
    table_metrics = {
        (t, c) for t, cols in columns.items() for c, kind in cols.items() if kind == "metric"
    }
    for index, table in enumerate(_items(model, "tables")):
        for metric_index, metric in enumerate(_items(table, "metrics")):
            here = f"tables[{_label(table, index)}].metrics[{_label(metric, metric_index)}]"
            for relationship in metric.get("using_relationships") or []:
                if relationship not in relationship_names:
                    errors.append(f"{here}.using_relationships: no relationship {relationship!r}")
        for key in ("dimensions", "time_dimensions", "facts", "metrics", "filters"):
            for item_index, item in enumerate(_items(table, key)):
                expr = item.get("expr")
                if not isinstance(expr, str):
                    continue
                here = f"tables[{_label(table, index)}].{key}[{_label(item, item_index)}]"
                for qualifier, column in _qualified_references(expr):
                    if qualifier not in columns:
                        errors.append(
                            f"{here}.expr: no logical table {qualifier!r} (in {qualifier}.{column})"
                        )
    derived = []
    for index, metric in enumerate(_items(model, "metrics")):
        here = f"metrics[{_label(metric, index)}]"
        metric_name = metric.get("name")
        if isinstance(metric_name, str):
            derived.append((here, metric_name))
            if not is_identifier(metric_name):
                errors.append(f"{here}.name: {metric_name!r} is not a Snowflake identifier")
            if any(metric_name.upper() == c.upper() for _, c in table_metrics):
                errors.append(f"{here}.name: {metric_name!r} is also a table metric")
        expr = metric.get("expr")
        if isinstance(expr, str) and expr.strip():
            errors.extend(_expression_errors(expr, here, aggregate=None))
            references = _qualified_references(expr)
            if not references:
                errors.append(
                    f"{here}.expr: a derived metric combines table metrics (table.metric)"
                )
            for qualifier, column in references:
                if (qualifier, column) not in table_metrics:
                    errors.append(f"{here}.expr: {qualifier}.{column} is not a metric of a table")
    _unique(derived, "metric", errors)
    queries = []
    for index, query in enumerate(_items(model, "verified_queries")):
        here = f"verified_queries[{_label(query, index)}]"
        if isinstance(query.get("name"), str):
            queries.append((here, query["name"]))
        _check_verified_query(query, here, set(columns), errors)
    _unique(queries, "verified query", errors)
    return errors


# --- CREATE SEMANTIC VIEW -------------------------------------------------------------------

#: The clauses in their documented order; TABLES is required.
CLAUSES = (
    "TABLES",
    "RELATIONSHIPS",
    "FACTS",
    "DIMENSIONS",
    "METRICS",
    "COMMENT",
    "AI_SQL_GENERATION",
    "AI_QUESTION_CATEGORIZATION",
    "COPY GRANTS",
)
_LIST_CLAUSES = ("TABLES", "RELATIONSHIPS", "FACTS", "DIMENSIONS", "METRICS")
_NAME = r"[A-Za-z_][A-Za-z0-9_$]*"
#: Items are matched with their quoted strings emptied ('...' -> ''), so text
#: in a comment cannot pass for syntax.
_SYNONYMS = r"(?:\s+WITH\s+SYNONYMS\s*=?\s*\(\s*''(?:\s*,\s*'')*\s*\))?"
_COMMENT = r"(?:\s+COMMENT\s*=\s*'')?"
_ITEM = {
    "TABLES": re.compile(
        rf"^({_NAME})\s+AS\s+{_NAME}(?:\.{_NAME}){{0,2}}"
        r"(?:\s+PRIMARY\s+KEY\s*\([^()']+\))?(?:\s+UNIQUE\s*\([^()']+\))*"
        rf"{_SYNONYMS}{_COMMENT}$",
        re.IGNORECASE | re.DOTALL,
    ),
    "RELATIONSHIPS": re.compile(
        rf"^(?:({_NAME})\s+AS\s+)?{_NAME}\s*\([^()']+\)\s+REFERENCES\s+{_NAME}"
        r"(?:\s*\([^()']+\))?$",
        re.IGNORECASE | re.DOTALL,
    ),
    "FACTS": re.compile(
        rf"^(?:(?:PUBLIC|PRIVATE)\s+)?({_NAME}\.{_NAME})\s+AS\s+(\S.*?){_SYNONYMS}{_COMMENT}$",
        re.IGNORECASE | re.DOTALL,
    ),
    "DIMENSIONS": re.compile(
        rf"^(?:PUBLIC\s+)?({_NAME}\.{_NAME})\s+AS\s+(\S.*?){_SYNONYMS}{_COMMENT}$",
        re.IGNORECASE | re.DOTALL,
    ),
    "METRICS": re.compile(
        rf"^(?:(?:PUBLIC|PRIVATE)\s+)?({_NAME}(?:\.{_NAME})?)\s+AS\s+(\S.*?){_SYNONYMS}{_COMMENT}$",
        re.IGNORECASE | re.DOTALL,
    ),
}
#: An annotation keyword left over once the item's own annotations are read:
#: a malformed WITH SYNONYMS or COMMENT.
_STRAY = re.compile(r"\bWITH\s+SYNONYMS\b|\bCOMMENT\b", re.IGNORECASE)


def _string_end(text: str, start: int) -> int:
    """The index of the quote closing the single-quoted string opened at
    ``start`` (backslash escapes and doubled quotes inside), or the end."""
    end = start + 1
    while end < len(text):
        if text[end] == "\\":
            end += 2
            continue
        if text[end] == "'":
            if end + 1 < len(text) and text[end + 1] == "'":
                end += 2
                continue
            return end
        end += 1
    return end


def _strip_strings(text: str) -> str:
    """``text`` with the content of every single-quoted string removed."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char != "'":
            out.append(char)
            index += 1
            continue
        out.append("''")
        index = _string_end(text, index) + 1
    return "".join(out)


@dataclass
class SemanticViewStatement:
    """A ``CREATE SEMANTIC VIEW`` statement, split into its clauses."""

    name: str = ""
    #: clause -> its items (TABLES ... METRICS) or its string (COMMENT, AI_*).
    clauses: dict[str, list[str]] = field(default_factory=dict)
    #: The clauses in the order they appear.
    order: list[str] = field(default_factory=list)
    #: clause -> the names its items define (``orders``, ``orders.channel``, ...).
    names: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _tokens(sql: str, errors: list[str]) -> list[tuple[str, str]]:
    """Top-level tokens: ("word", w), ("group", inner text), ("string", s),
    ("symbol", c). Strings and quoted identifiers are skipped over whole."""
    tokens: list[tuple[str, str]] = []
    index, depth, start = 0, 0, 0
    while index < len(sql):
        char = sql[index]
        if char in "'\"":
            end = index + 1
            while True:
                if end >= len(sql):
                    errors.append(f"unterminated {char}-quoted text at offset {index}")
                    return tokens
                if sql[end] == "\\" and char == "'":
                    end += 2
                    continue
                if sql[end] == char:
                    if end + 1 < len(sql) and sql[end + 1] == char:
                        end += 2
                        continue
                    break
                end += 1
            if depth == 0:
                tokens.append(("string" if char == "'" else "word", sql[index : end + 1]))
            index = end + 1
            continue
        if char == "-" and sql.startswith("--", index):
            newline = sql.find("\n", index)
            index = len(sql) if newline < 0 else newline
            continue
        if char == "(":
            if depth == 0:
                start = index + 1
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                errors.append(f"unbalanced ')' at offset {index}")
                return tokens
            if depth == 0:
                tokens.append(("group", sql[start:index]))
        elif depth == 0:
            if char.isspace():
                pass
            elif re.match(r"[A-Za-z0-9_$.]", char):
                match = re.match(r"[A-Za-z0-9_$.\"]+", sql[index:])
                assert match is not None
                tokens.append(("word", match.group(0)))
                index += len(match.group(0))
                continue
            else:
                tokens.append(("symbol", char))
        index += 1
    if depth > 0:
        errors.append(f"{depth} unclosed '(' ")
    return tokens


def _split_items(text: str) -> list[str]:
    """The comma-separated items of a clause (commas inside parentheses or
    strings do not split)."""
    items, depth, current, index = [], 0, [], 0
    while index < len(text):
        char = text[index]
        if char == "'":
            end = _string_end(text, index)
            current.append(text[index : end + 1])
            index = end + 1
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    if "".join(current).strip():
        items.append("".join(current).strip())
    return items


def parse_create_semantic_view(sql: str) -> SemanticViewStatement:
    """Split a ``CREATE [OR REPLACE] SEMANTIC VIEW`` statement into its clauses
    and check its structure: balanced parentheses and quotes, the documented
    clauses in the documented order, each once, and items of the documented
    shapes. sqlglot does not parse semantic views, hence this."""
    statement = SemanticViewStatement()
    errors = statement.errors
    tokens = _tokens(sql, errors)
    if errors:
        return statement
    words = [t[1].upper() for t in tokens]
    position = 0

    def take(*expected: str) -> bool:
        nonlocal position
        if words[position : position + len(expected)] == list(expected):
            position += len(expected)
            return True
        return False

    if not take("CREATE"):
        errors.append("the statement does not start with CREATE")
        return statement
    take("OR", "REPLACE")
    if not take("SEMANTIC", "VIEW"):
        errors.append("expected SEMANTIC VIEW after CREATE [OR REPLACE]")
        return statement
    take("IF", "NOT", "EXISTS")
    if position >= len(tokens) or tokens[position][0] != "word":
        errors.append("expected the semantic view's name")
        return statement
    statement.name = tokens[position][1]
    position += 1
    last = -1
    while position < len(tokens):
        kind, text = tokens[position]
        if kind == "symbol" and text == ";":
            if position != len(tokens) - 1:
                errors.append("text after the statement's ';'")
            break
        word = text.upper()
        clause = "COPY GRANTS" if word == "COPY" else word
        if clause not in CLAUSES:
            errors.append(f"unexpected {text!r} where a clause should start")
            break
        rank = CLAUSES.index(clause)
        if clause in statement.clauses:
            errors.append(f"clause {clause} appears twice")
        elif rank < last:
            errors.append(f"clause {clause} is out of the documented order ({', '.join(CLAUSES)})")
        last = max(last, rank)
        statement.order.append(clause)
        position += 1
        if clause in _LIST_CLAUSES:
            if position >= len(tokens) or tokens[position][0] != "group":
                errors.append(f"{clause}: expected '(' and its items")
                break
            items = _split_items(tokens[position][1])
            statement.clauses[clause] = items
            statement.names[clause] = []
            if not items:
                errors.append(f"{clause}: no items")
            for item in items:
                stripped = _strip_strings(item)
                shape = _ITEM[clause].match(stripped)
                if shape is None:
                    errors.append(f"{clause}: item not of the documented form: {item[:120]!r}")
                    continue
                if shape.group(1):
                    statement.names[clause].append(shape.group(1))
                # the expression (FACTS, DIMENSIONS, METRICS) must not have
                # swallowed a malformed annotation
                if shape.re.groups > 1 and _STRAY.search(shape.group(2)):
                    errors.append(f"{clause}: malformed WITH SYNONYMS or COMMENT in {item[:120]!r}")
            position += 1
        elif clause == "COPY GRANTS":
            if not take("GRANTS"):
                errors.append("expected GRANTS after COPY")
                break
        else:
            if clause == "COMMENT":
                if position < len(tokens) and tokens[position] == ("symbol", "="):
                    position += 1
                else:
                    errors.append("COMMENT: expected '='")
            if position >= len(tokens) or tokens[position][0] != "string":
                errors.append(f"{clause}: expected a quoted string")
                break
            statement.clauses[clause] = [tokens[position][1]]
            position += 1
    if "TABLES" not in statement.clauses:
        errors.append("the TABLES clause is required")
    return statement


def check_create_semantic_view(sql: str) -> list[str]:
    """Structural problems of a ``CREATE SEMANTIC VIEW`` statement (see
    :func:`parse_create_semantic_view`); empty when well-formed."""
    statement = parse_create_semantic_view(sql)
    errors = list(statement.errors)
    tables = set(statement.names.get("TABLES", []))
    for clause in ("FACTS", "DIMENSIONS", "METRICS"):
        for name in statement.names.get(clause, []):
            if "." in name and name.split(".")[0] not in tables:
                errors.append(f"{clause}: {name} names no table of the TABLES clause")
    _unique(
        [(c, n) for c in ("FACTS", "DIMENSIONS", "METRICS") for n in statement.names.get(c, [])],
        "semantic expression",
        errors,
    )
    return errors
