"""The Cortex Analyst semantic model and CREATE SEMANTIC VIEW generated from the
dbt semantic layer: valid by Snowflake's specification (and the checker does
check), complete against docs/metrics.md, free of personal data, and right on a real
warehouse: every base table exists, every expression runs, every metric gives
the semantic layer's total and every verified query the saved query's rows."""

from __future__ import annotations

import copy
import datetime
import decimal
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import duckdb
import pytest
import sqlglot
import yaml
from sqlglot import exp

from analytics_core.settings import Settings
from questions.cortex_model import (
    PERSONAL_DATA,
    CortexModelError,
    build_semantic_model,
    create_semantic_view_sql,
    default_view_name,
    render,
    to_yaml,
)
from questions.semantic import SemanticLayer
from tests.questions.cortex_spec import (
    CLAUSES,
    check_create_semantic_view,
    check_semantic_model,
    parse_create_semantic_view,
)
from tests.questions.test_semantic_layer import CONTRACT_METRICS

pytestmark = pytest.mark.slow

CATALOG = "warehouse"
VIEW = "warehouse.reporting.analytics_platform"
#: The dimensions docs/metrics.md names: (logical table, column, its dbt group-by name).
CONTRACT_DIMENSIONS = (
    ("order_items", "order_date", "order_item__order_date"),
    ("customers", "region", "customer__region"),
    ("customers", "country", "customer__country"),
    ("customers", "segment", "customer__segment"),
    ("products", "category", "product__category"),
    ("orders", "channel", "order__channel"),
    ("products", "product_name", "product__product_name"),
)
COLUMN_KINDS = ("dimensions", "time_dimensions", "facts")


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def layer(small_warehouse: Settings) -> SemanticLayer:
    """The semantic layer of the build that produced the small warehouse, loaded once."""
    return SemanticLayer.load(
        manifest_path=small_warehouse.dbt_target_path / "semantic_manifest.json"
    )


@pytest.fixture(scope="module")
def model(layer: SemanticLayer) -> dict[str, Any]:
    return build_semantic_model(layer, database=CATALOG, verified_at=1_780_000_000)


@pytest.fixture(scope="module")
def ddl(model: dict[str, Any]) -> str:
    return create_semantic_view_sql(model, VIEW)


@pytest.fixture(scope="module")
def con(small_warehouse: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published warehouse, read-only; its file is warehouse.duckdb, so its
    catalog is `warehouse`, as the semantic layer's SQL names it."""
    assert small_warehouse.warehouse_path.name == f"{CATALOG}.duckdb"
    with duckdb.connect(str(small_warehouse.warehouse_path), read_only=True) as connection:
        yield connection


# --- helpers ------------------------------------------------------------------------------


def table(model: Mapping[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in model["tables"] if t["name"] == name)


def columns(table_: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [c for kind in COLUMN_KINDS for c in table_.get(kind) or []]


def relation(table_: Mapping[str, Any]) -> str:
    base = table_["base_table"]
    return f"{base['database']}.{base['schema']}.{base['table']}"


def metric_exprs(model: Mapping[str, Any]) -> dict[str, tuple[str | None, str]]:
    """metric -> (its table, or None for a model-level derived metric; its expr)."""
    found: dict[str, tuple[str | None, str]] = {}
    for t in model["tables"]:
        for metric in t.get("metrics") or []:
            found[metric["name"]] = (t["name"], metric["expr"])
    for metric in model.get("metrics") or []:
        found[metric["name"]] = (None, metric["expr"])
    return found


def metric_sql(model: Mapping[str, Any], name: str) -> str:
    """A DuckDB query of one metric's total, from its expression in the model
    (a derived metric's table metrics become scalar subqueries)."""
    exprs = metric_exprs(model)
    table_name, expr = exprs[name]
    if table_name is not None:
        return f"SELECT {expr} FROM {relation(table(model, table_name))} AS {table_name}"

    def subquery(match: re.Match[str]) -> str:
        inner_table, inner_metric = match.group(1), match.group(2)
        assert exprs[inner_metric][0] == inner_table
        return f"({metric_sql(model, inner_metric)})"

    tables = "|".join(t["name"] for t in model["tables"])
    return "SELECT " + re.sub(rf"\b({tables})\.(\w+)\b", subquery, expr)


def logical_tables_sql(model: Mapping[str, Any]) -> str:
    """A WITH clause that makes each logical table `__<name>` out of its base
    table: the logical columns, and nothing else."""
    parts = []
    for t in model["tables"]:
        projection = ", ".join(f"{c['expr']} AS {c['name']}" for c in columns(t))
        parts.append(f"__{t['name']} AS (SELECT {projection} FROM {relation(t)})")
    return "WITH " + ",\n".join(parts)


def run_verified_query(con: duckdb.DuckDBPyConnection, model: Mapping[str, Any], sql: str) -> Any:
    duck = sqlglot.transpile(sql, read="snowflake", write="duckdb")[0]
    prefix = logical_tables_sql(model)
    body = ",\n" + duck[len("WITH ") :] if duck.upper().startswith("WITH ") else "\n" + duck
    return con.execute(prefix + body)


def value(item: Any) -> Any:
    if isinstance(item, datetime.datetime):
        return item.date()
    if isinstance(item, decimal.Decimal):
        return float(item)
    return item


def same(ours: Any, theirs: Any) -> bool:
    ours, theirs = value(ours), value(theirs)
    if isinstance(ours, int | float) and isinstance(theirs, int | float):
        return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-6)
    return bool(ours == theirs)


# --- the specification ----------------------------------------------------------------------


def test_the_generated_model_meets_the_specification(model: dict[str, Any]) -> None:
    assert check_semantic_model(model) == []
    assert model["name"] == "analytics_platform"
    assert {t["name"] for t in model["tables"]} == {
        "order_items",
        "orders",
        "order_item_margins",
        "customers",
        "products",
        "regional_sales",
        "sales_targets",
    }


def _first_dimension(m: dict[str, Any]) -> dict[str, Any]:
    dimension: dict[str, Any] = table(m, "customers")["dimensions"][0]
    return dimension


BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "no model name": (lambda m: m.pop("name"), "model: missing required key 'name'"),
    "no base_table": (
        lambda m: table(m, "orders").pop("base_table"),
        "tables[orders]: missing required key 'base_table'",
    ),
    "base_table without schema": (
        lambda m: table(m, "orders")["base_table"].pop("schema"),
        "tables[orders].base_table: missing required key 'schema'",
    ),
    "unknown key": (
        lambda m: table(m, "orders").update(measures=[]),
        "tables[orders]: unknown key 'measures'",
    ),
    "unknown top-level key": (lambda m: m.update(owner="me"), "model: unknown key 'owner'"),
    "no tables": (lambda m: m.update(tables=[]), "tables: must not be empty"),
    "duplicate column name": (
        lambda m: table(m, "customers")["dimensions"].append(dict(_first_dimension(m))),
        "duplicate column name 'region'",
    ),
    "metric named like a dimension": (
        lambda m: table(m, "orders")["metrics"].append(
            {"name": "CHANNEL", "expr": "COUNT(orders.channel)"}
        ),
        "duplicate column name 'CHANNEL'",
    ),
    "duplicate table name": (
        lambda m: m["tables"].append(copy.deepcopy(table(m, "products"))),
        "duplicate table name 'products'",
    ),
    "relationship to an unknown table": (
        lambda m: m["relationships"][0].update(right_table="nowhere"),
        "right_table: no table 'nowhere' in the model",
    ),
    "relationship on an unknown column": (
        lambda m: m["relationships"][0]["relationship_columns"][0].update(left_column="nope"),
        "left_column: order_items has no column 'nope'",
    ),
    "relationship to a column that is not the primary key": (
        lambda m: m["relationships"][0]["relationship_columns"][0].update(
            right_column="customer_key"
        ),
        "are not the primary key ['order_id'] of orders",
    ),
    "relationship to a table without primary key": (
        lambda m: m["relationships"].append(
            {
                "name": "orders_to_targets",
                "left_table": "orders",
                "right_table": "sales_targets",
                "relationship_columns": [
                    {"left_column": "channel", "right_column": "sales_region"}
                ],
            }
        ),
        "its right table sales_targets has no primary_key",
    ),
    "circular relationships": (
        lambda m: m["relationships"].append(
            {
                "name": "customers_to_orders",
                "left_table": "customers",
                "right_table": "orders",
                "relationship_columns": [
                    {"left_column": "customer_key", "right_column": "order_id"}
                ],
            }
        ),
        "circular relationship",
    ),
    "unknown join type": (
        lambda m: m["relationships"][0].update(join_type="outer"),
        "join_type: 'outer' is not one of inner, left_outer",
    ),
    "duplicate relationship name": (
        lambda m: m["relationships"].append(copy.deepcopy(m["relationships"][0])),
        "duplicate relationship name",
    ),
    "non-string sample value": (
        lambda m: _first_dimension(m)["sample_values"].__setitem__(0, 1),
        "tables[customers].dimensions[region].sample_values[0]: expected a string, got int",
    ),
    "synonyms not a list": (
        lambda m: _first_dimension(m).update(synonyms="area"),
        "tables[customers].dimensions[region].synonyms: expected a list of strings",
    ),
    "unknown data type": (
        lambda m: _first_dimension(m).update(data_type="STRINGY"),
        "data_type: 'STRINGY' is not a Snowflake type",
    ),
    "time dimension of a text type": (
        lambda m: table(m, "orders")["time_dimensions"][0].update(data_type="VARCHAR"),
        "data_type: 'VARCHAR' is not a date or time type",
    ),
    "name that is not an identifier": (
        lambda m: _first_dimension(m).update(name="sales region"),
        "'sales region' is not a Snowflake identifier",
    ),
    "dimension without expr": (
        lambda m: _first_dimension(m).pop("expr"),
        "tables[customers].dimensions[region]: missing required key 'expr'",
    ),
    "metric that does not aggregate": (
        lambda m: table(m, "order_items")["metrics"][0].update(expr="order_items.quantity"),
        "a metric must aggregate",
    ),
    "dimension that aggregates": (
        lambda m: _first_dimension(m).update(expr="MAX(region)"),
        "a dimension or fact is per row",
    ),
    "expression that does not parse": (
        lambda m: _first_dimension(m).update(expr="CASE WHEN"),
        "not a Snowflake SQL expression",
    ),
    "expression on an unknown table": (
        lambda m: table(m, "orders")["metrics"][0].update(expr="SUM(ordrs.x)"),
        "no logical table 'ordrs'",
    ),
    "primary key that is no column": (
        lambda m: table(m, "orders")["primary_key"].update(columns=["order_key"]),
        "'order_key' is not a dimension, time dimension or fact",
    ),
    "derived metric of an unknown metric": (
        lambda m: m["metrics"][0].update(expr="order_items.profit / order_items.revenue"),
        "order_items.profit is not a metric of a table",
    ),
    "duplicate verified query name": (
        lambda m: m["verified_queries"].append(dict(m["verified_queries"][0])),
        "duplicate verified query name",
    ),
    "verified query on a physical table": (
        lambda m: m["verified_queries"][0].update(
            sql="SELECT COUNT(*) FROM warehouse.processed_data.fct_orders"
        ),
        "is not a logical table (write __<table name>)",
    ),
    "verified query on an unknown table": (
        lambda m: m["verified_queries"][0].update(sql="SELECT 1 FROM __returns"),
        "no logical table 'returns'",
    ),
    "verified query that does not parse": (
        lambda m: m["verified_queries"][0].update(sql="SELECT FROM WHERE ("),
        "not Snowflake SQL",
    ),
    "verified_at not a number": (
        lambda m: m["verified_queries"][0].update(verified_at="yesterday"),
        "verified_at: expected seconds since the epoch",
    ),
    "onboarding flag not a boolean": (
        lambda m: m["verified_queries"][0].update(use_as_onboarding_question="yes"),
        "use_as_onboarding_question: expected true or false",
    ),
    "verified query without question": (
        lambda m: m["verified_queries"][0].pop("question"),
        "missing required key 'question'",
    ),
}


@pytest.mark.parametrize("broken", list(BROKEN), ids=list(BROKEN))
def test_the_checker_finds_each_broken_copy(model: dict[str, Any], broken: str) -> None:
    breaking, message = BROKEN[broken]
    copied = copy.deepcopy(model)
    breaking(copied)
    errors = check_semantic_model(copied)
    assert any(message in error for error in errors), errors
    assert check_semantic_model(model) == []  # the original is untouched


def test_the_checker_refuses_what_is_not_a_model() -> None:
    assert check_semantic_model([]) == ["model: expected a mapping, got list"]
    assert "model: missing required key 'tables'" in check_semantic_model({"name": "x"})


# --- completeness ----------------------------------------------------------------------------


def test_every_contract_metric_is_there_with_the_dbt_synonyms(
    model: dict[str, Any], layer: SemanticLayer
) -> None:
    exprs = metric_exprs(model)
    entries = {
        m["name"]: m
        for group in [*(t.get("metrics") or [] for t in model["tables"]), model["metrics"]]
        for m in group
    }
    dbt_metrics = {m.name: m for m in layer.metrics()}
    assert set(exprs) == set(dbt_metrics)  # every dbt metric, nothing else
    for name in CONTRACT_METRICS:
        assert name in exprs, name
        assert dbt_metrics[name].synonyms, name
        assert set(dbt_metrics[name].synonyms) <= set(entries[name]["synonyms"]), name
        assert entries[name]["description"]
    # the metric filter is folded into the aggregation
    assert exprs["revenue"] == (
        "order_items",
        "SUM(CASE WHEN order_items.is_revenue_bearing = TRUE"
        " THEN order_items.line_net_amount_usd END)",
    )
    # a ratio of one table: numerator / denominator, null when it is zero
    table_name, aov = exprs["average_order_value"]
    assert table_name == "order_items"
    assert aov.startswith(exprs["revenue"][1] + " / NULLIF(")
    assert aov.endswith(", 0)")
    # ratios of two tables: derived metrics of the model, of table metrics
    assert exprs["gross_margin_pct"] == (
        None,
        "order_item_margins.gross_margin / NULLIF(order_items.revenue, 0)",
    )
    assert exprs["target_attainment"] == (
        None,
        "regional_sales.regional_revenue / NULLIF(sales_targets.target_revenue, 0)",
    )


def test_every_contract_dimension_is_there_with_the_dbt_synonyms_and_values(
    model: dict[str, Any], layer: SemanticLayer
) -> None:
    dbt_dimensions = {d.name: d for d in layer.dimensions()}
    for table_name, name, dbt_name in CONTRACT_DIMENSIONS:
        found = {c["name"]: c for c in columns(table(model, table_name))}
        assert name in found, (table_name, name)
        dimension, dbt = found[name], dbt_dimensions[dbt_name]
        assert dbt.synonyms, dbt_name
        assert set(dbt.synonyms) <= set(dimension["synonyms"]), dbt_name
        assert dimension.get("sample_values", []) == list(dbt.sample_values), dbt_name
        assert dimension["expr"] == dbt.expr
    assert table(model, "customers")["dimensions"][1]["expr"] == "country_name"
    order_date = table(model, "order_items")["time_dimensions"][0]
    assert (order_date["name"], order_date["data_type"]) == ("order_date", "DATE")


def test_relationships_join_facts_to_dimensions_by_one_path_each(model: dict[str, Any]) -> None:
    edges = {(r["left_table"], r["right_table"]) for r in model["relationships"]}
    assert edges == {
        ("order_items", "orders"),
        ("order_items", "products"),
        ("orders", "customers"),
        ("order_item_margins", "orders"),
        ("order_item_margins", "products"),
    }
    for relationship in model["relationships"]:
        right = table(model, relationship["right_table"])
        assert [c["right_column"] for c in relationship["relationship_columns"]] == right[
            "primary_key"
        ]["columns"]
        assert relationship["join_type"] == "left_outer"
        assert relationship["relationship_type"] == "many_to_one"

    def paths(start: str, goal: str) -> int:
        return sum(
            1 if right == goal else paths(right, goal) for left, right in edges if left == start
        )

    for start in {left for left, _ in edges}:
        for goal in {t["name"] for t in model["tables"]}:
            assert paths(start, goal) <= 1, (start, goal)


def test_no_personal_data_anywhere(
    model: dict[str, Any], ddl: str, con: duckdb.DuckDBPyConnection
) -> None:
    text = to_yaml(model) + ddl
    assert PERSONAL_DATA.search(text) is None
    raw_columns = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'raw_data' and table_name = 'shop_customers'"
        ).fetchall()
    }
    assert {"email", "full_name"} <= raw_columns  # what the source has ...
    logical = {c["name"] for t in model["tables"] for c in columns(t)}
    expressions = " ".join(c["expr"] for t in model["tables"] for c in columns(t))
    for personal in ("email", "full_name"):  # ... never gets in
        assert personal not in logical
        assert personal not in expressions
        assert personal not in text


def test_a_personal_data_column_is_refused(layer: SemanticLayer) -> None:
    raw = copy.deepcopy(dict(layer.raw_manifest))
    customers = next(m for m in raw["semantic_models"] if m["name"] == "customers")
    customers["dimensions"].append(
        {"name": "contact", "type": "categorical", "expr": "email", "description": "x"}
    )
    with pytest.raises(CortexModelError, match="personal data"):
        build_semantic_model(raw, database=CATALOG)


def test_a_metric_without_a_cortex_form_fails_loudly(layer: SemanticLayer) -> None:
    raw = copy.deepcopy(dict(layer.raw_manifest))
    raw["metrics"].append({**raw["metrics"][0], "name": "revenue_to_date", "type": "cumulative"})
    with pytest.raises(CortexModelError, match="revenue_to_date: cumulative"):
        build_semantic_model(raw, database=CATALOG)


# --- on the real warehouse ---------------------------------------------------------------------


def test_every_base_table_exists_in_the_warehouse(
    model: dict[str, Any], con: duckdb.DuckDBPyConnection
) -> None:
    for t in model["tables"]:
        base = t["base_table"]
        found = con.execute(
            "select count(*) from information_schema.tables"
            " where table_catalog = ? and table_schema = ? and table_name = ?",
            [base["database"], base["schema"], base["table"]],
        ).fetchone()
        assert found == (1,), base


#: DuckDB's types of the columns, by the Snowflake type the model gives them.
TYPE_FAMILIES = {
    "NUMBER": ("BIGINT", "INTEGER", "HUGEINT", "DECIMAL", "DOUBLE"),
    "VARCHAR": ("VARCHAR",),
    "BOOLEAN": ("BOOLEAN",),
    "DATE": ("DATE",),
}


def test_every_column_expression_runs_with_its_data_type(
    model: dict[str, Any], con: duckdb.DuckDBPyConnection
) -> None:
    for t in model["tables"]:
        for column in columns(t):
            sql = f"SELECT {column['expr']} FROM {relation(t)} AS {t['name']} LIMIT 5"
            cursor = con.execute(sql)
            duck_type = str(cursor.description[0][1])
            cursor.fetchall()
            wanted = TYPE_FAMILIES[column["data_type"]]
            assert duck_type.startswith(wanted), (t["name"], column["name"], duck_type)


def test_sample_values_are_real_values(
    model: dict[str, Any], con: duckdb.DuckDBPyConnection
) -> None:
    for t in model["tables"]:
        for column in t.get("dimensions") or []:
            samples = column.get("sample_values") or []
            if not samples:
                continue
            found = {
                str(row[0]).lower()
                for row in con.execute(
                    f"SELECT DISTINCT {column['expr']} FROM {relation(t)}"
                ).fetchall()
            }
            assert {s.lower() for s in samples} & found, (t["name"], column["name"])


@pytest.mark.parametrize("metric", CONTRACT_METRICS)
def test_every_metric_gives_the_semantic_layer_total(
    model: dict[str, Any], layer: SemanticLayer, con: duckdb.DuckDBPyConnection, metric: str
) -> None:
    ours = con.execute(metric_sql(model, metric)).fetchone()
    theirs = con.execute(layer.compile([metric])).fetchone()
    assert ours is not None and theirs is not None
    assert ours[0] is not None
    assert same(ours[0], theirs[0]), (metric, ours, theirs)


def test_revenue_and_orders_give_the_semantic_layer_totals(
    model: dict[str, Any], layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    compiled = con.execute(layer.compile(["revenue", "orders"]))
    names = [d[0] for d in compiled.description]
    theirs = dict(zip(names, compiled.fetchone() or (), strict=True))
    exprs = metric_exprs(model)
    assert exprs["revenue"][0] == exprs["orders"][0] == "order_items"
    sql = (
        f"SELECT {exprs['revenue'][1]}, {exprs['orders'][1]}"
        f" FROM {relation(table(model, 'order_items'))} AS order_items"
    )
    revenue, orders = con.execute(sql).fetchone() or (None, None)
    assert orders == theirs["orders"] and orders > 0
    assert same(revenue, theirs["revenue"])
    # the folded filter matters: all lines give more than revenue-bearing ones
    everything = con.execute(
        f"SELECT SUM(line_net_amount_usd) FROM {relation(table(model, 'order_items'))}"
    ).fetchone()
    assert everything is not None and value(everything[0]) > value(revenue)


# --- verified queries -------------------------------------------------------------------------


def test_one_verified_query_per_saved_query(model: dict[str, Any], layer: SemanticLayer) -> None:
    queries = model["verified_queries"]
    assert [q["name"] for q in queries] == [q.name for q in layer.saved_queries()]
    for query in queries:
        assert query["question"].startswith("What ") and query["question"].endswith("?")
        assert query["verified_at"] == 1_780_000_000
        assert query["verified_by"]
        assert isinstance(query["use_as_onboarding_question"], bool)
    assert sum(q["use_as_onboarding_question"] for q in queries) == 3
    by_name = {q["name"]: q for q in queries}
    assert by_name["top_products_by_revenue"]["question"] == "What are the top products by revenue?"
    assert by_name["aov_by_channel"]["question"] == "What is the average order value by channel?"


def test_verified_queries_are_snowflake_sql_over_logical_names(model: dict[str, Any]) -> None:
    logical = {t["name"]: {c["name"] for c in columns(t)} for t in model["tables"]}
    for query in model["verified_queries"]:
        tree = sqlglot.parse_one(query["sql"], read="snowflake")
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        aliases = {}
        for source in tree.find_all(exp.Table):
            if source.name in ctes:
                continue
            assert source.name.startswith("__"), (query["name"], source.sql())
            assert source.name[2:] in logical, (query["name"], source.sql())
            aliases[source.alias_or_name] = source.name[2:]
        assert aliases, query["name"]
        for column in tree.find_all(exp.Column):
            if column.table in aliases:
                assert column.name in logical[aliases[column.table]], (query["name"], column.sql())


def test_verified_queries_give_the_saved_queries_rows(
    model: dict[str, Any], layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    saved = {q.name: q for q in layer.saved_queries()}
    for query in model["verified_queries"]:
        ours = [tuple(row) for row in run_verified_query(con, model, query["sql"]).fetchall()]
        cursor = con.execute(layer.compile_saved_query(query["name"]))
        names = [d[0] for d in cursor.description]
        wanted = [*saved[query["name"]].group_by, *saved[query["name"]].metrics]
        theirs = [
            tuple(dict(zip(names, row, strict=True))[n] for n in wanted)
            for row in cursor.fetchall()
        ]
        groups = len(saved[query["name"]].group_by)

        def key(row: tuple[Any, ...], groups: int = groups) -> tuple[Any, ...]:
            return tuple((item is None, str(value(item))) for item in row[:groups])

        ours.sort(key=key)
        theirs.sort(key=key)
        assert ours, query["name"]
        assert len(ours) == len(theirs), query["name"]
        for mine, expected in zip(ours, theirs, strict=True):
            assert all(same(a, b) for a, b in zip(mine, expected, strict=True)), (
                query["name"],
                mine,
                expected,
            )


# --- CREATE SEMANTIC VIEW ------------------------------------------------------------------------


def test_the_semantic_view_has_everything_of_the_model(model: dict[str, Any], ddl: str) -> None:
    assert check_create_semantic_view(ddl) == []
    statement = parse_create_semantic_view(ddl)
    assert statement.name == VIEW
    assert statement.order == [
        "TABLES",
        "RELATIONSHIPS",
        "FACTS",
        "DIMENSIONS",
        "METRICS",
        "COMMENT",
        "AI_SQL_GENERATION",
    ]
    assert statement.names["TABLES"] == [t["name"] for t in model["tables"]]
    assert statement.names["RELATIONSHIPS"] == [r["name"] for r in model["relationships"]]
    assert sorted(statement.names["FACTS"]) == sorted(
        f"{t['name']}.{c['name']}" for t in model["tables"] for c in t.get("facts") or []
    )
    assert sorted(statement.names["DIMENSIONS"]) == sorted(
        f"{t['name']}.{c['name']}"
        for t in model["tables"]
        for kind in ("dimensions", "time_dimensions")
        for c in t.get(kind) or []
    )
    assert sorted(statement.names["METRICS"]) == sorted(
        [f"{t['name']}.{m['name']}" for t in model["tables"] for m in t.get("metrics") or []]
        + [m["name"] for m in model["metrics"]]
    )
    for t in model["tables"]:
        assert f"{t['name']} AS {relation(t)}" in ddl
    assert "orders_to_customers AS orders (customer_key) REFERENCES customers (customer_key)" in ddl
    assert (
        "order_items AS warehouse.processed_data.fct_order_items PRIMARY KEY (order_item_id)" in ddl
    )
    assert (
        "customers.region AS region WITH SYNONYMS = ('area', 'market', 'sales region',"
        " 'geography', 'territory', 'sales territory', 'geographic region', 'geographic area',"
        " 'geographical region', 'geographical area', 'continent', 'world region', 'regional',"
        " 'regionally') COMMENT = 'Sales region of the"
        " customer''s country" in ddl
    )
    assert (
        "gross_margin_pct AS order_item_margins.gross_margin / NULLIF(order_items.revenue, 0)"
        in ddl
    )
    assert "AI_SQL_GENERATION 'Relative periods are calendar periods" in ddl
    assert ddl.rstrip().endswith(";")


GOOD_DDL = """CREATE OR REPLACE SEMANTIC VIEW v
TABLES (
    t AS db.s.t PRIMARY KEY (id) WITH SYNONYMS = ('tee') COMMENT = 'it''s (a) table'
)
DIMENSIONS (
    t.d AS d COMMENT = 'x, y'
)
METRICS (
    t.m AS SUM(x) WITH SYNONYMS = ('em', 'mm')
)
COMMENT = 'a view';
"""

BROKEN_DDL = {
    "unbalanced parenthesis": (
        GOOD_DDL.replace("SUM(x)", "SUM(x"),
        "unclosed '('",
    ),
    "extra parenthesis": (GOOD_DDL.replace("SUM(x)", "SUM(x))"), "unbalanced ')'"),
    "clauses out of order": (
        GOOD_DDL.replace("DIMENSIONS (\n    t.d AS d COMMENT = 'x, y'\n)\n", "").replace(
            "COMMENT = 'a view';", "DIMENSIONS (\n    t.d AS d\n)\nCOMMENT = 'a view';"
        ),
        "clause DIMENSIONS is out of the documented order",
    ),
    "no TABLES": (
        GOOD_DDL.replace(
            "TABLES (\n    t AS db.s.t PRIMARY KEY (id) WITH SYNONYMS = ('tee')"
            " COMMENT = 'it''s (a) table'\n)\n",
            "",
        ),
        "the TABLES clause is required",
    ),
    "unterminated string": (GOOD_DDL.replace("'a view'", "'a view"), "unterminated"),
    "malformed synonyms": (
        GOOD_DDL.replace("WITH SYNONYMS = ('em', 'mm')", "WITH SYNONYMS = 'em'"),
        "malformed WITH SYNONYMS or COMMENT",
    ),
    "dimension of an unknown table": (
        GOOD_DDL.replace("t.d AS d", "u.d AS d"),
        "DIMENSIONS: u.d names no table of the TABLES clause",
    ),
    "item without AS": (GOOD_DDL.replace("t.m AS SUM(x)", "t.m SUM(x)"), "documented form"),
    "clause twice": (
        GOOD_DDL.replace("COMMENT = 'a view';", "COMMENT = 'a' COMMENT = 'b';"),
        "clause COMMENT appears twice",
    ),
    "not a semantic view": ("CREATE VIEW v AS SELECT 1", "expected SEMANTIC VIEW"),
}


def test_the_structural_check_accepts_a_good_statement() -> None:
    assert check_create_semantic_view(GOOD_DDL) == []
    statement = parse_create_semantic_view(GOOD_DDL)
    assert statement.names == {"TABLES": ["t"], "DIMENSIONS": ["t.d"], "METRICS": ["t.m"]}
    assert set(statement.order) <= set(CLAUSES)


@pytest.mark.parametrize("broken", list(BROKEN_DDL), ids=list(BROKEN_DDL))
def test_the_structural_check_finds_each_broken_statement(broken: str) -> None:
    sql, message = BROKEN_DDL[broken]
    errors = check_create_semantic_view(sql)
    assert any(message in error for error in errors), errors


# --- YAML and render --------------------------------------------------------------------------


def test_the_yaml_round_trips(model: dict[str, Any]) -> None:
    text = to_yaml(model)
    assert yaml.safe_load(text) == model
    assert text.startswith("# Generated from the dbt semantic layer")
    assert "sql: |" in text  # verified SQL as literal blocks


def test_render_for_the_cli(layer: SemanticLayer) -> None:
    raw = layer.raw_manifest
    text = render("yaml", database="ANALYTICS", schema_prefix="dev_me_", layer_or_raw_manifest=raw)
    loaded = yaml.safe_load(text)
    assert check_semantic_model(loaded) == []
    assert {t["base_table"]["schema"] for t in loaded["tables"]} == {"dev_me_processed_data"}
    assert {t["base_table"]["database"] for t in loaded["tables"]} == {"ANALYTICS"}
    assert {t["base_table"]["table"] for t in loaded["tables"]} == {
        "fct_order_items",
        "fct_orders",
        "fct_order_item_margins",
        "dim_customers",
        "dim_products",
        "sem_regional_order_items",
        "sales_targets",
    }
    sql = render("sql", database="ANALYTICS", schema_prefix="dev_me_", layer_or_raw_manifest=raw)
    assert sql.startswith(
        "CREATE OR REPLACE SEMANTIC VIEW ANALYTICS.dev_me_reporting.analytics_platform\n"
    )
    assert (
        default_view_name("ANALYTICS", "dev_me_") == "ANALYTICS.dev_me_reporting.analytics_platform"
    )
    assert check_create_semantic_view(sql) == []
    named = render("sql", database="D", view_name="D.S.V", layer_or_raw_manifest=raw)
    assert named.startswith("CREATE OR REPLACE SEMANTIC VIEW D.S.V\n")
    with pytest.raises(CortexModelError):
        render("json", database="D", layer_or_raw_manifest=raw)  # type: ignore[arg-type]


def test_custom_instructions_say_relative_periods_are_calendar_periods(
    model: dict[str, Any],
) -> None:
    instructions = model["custom_instructions"]
    assert "'last month' is the previous calendar month" in instructions
    assert "2026-02-01 to 2026-02-28" in instructions
    assert "Monday to Sunday" in instructions
    assert "target_attainment = regional_revenue / target_revenue" in instructions


def test_a_legacy_model_file_can_leave_out_the_derived_metrics(layer: SemanticLayer) -> None:
    legacy = build_semantic_model(layer, database=CATALOG, derived_metrics=False)
    assert "metrics" not in legacy
    assert check_semantic_model(legacy) == []
    assert len(legacy["verified_queries"]) == len(layer.saved_queries())
    assert "gross_margin_pct = gross_margin / revenue" in legacy["custom_instructions"]


# --- analytics semantic-model ---------------------------------------------------------


def test_cli_prints_the_model_and_writes_the_view(tmp_path: Any) -> None:
    from tests.conftest import run_cli

    proc = run_cli("semantic-model", "--database", "PROD_DB", home=tmp_path, check=True)
    model = yaml.safe_load(proc.stdout)
    assert check_semantic_model(model) == []
    assert {t["base_table"]["database"] for t in model["tables"]} == {"PROD_DB"}
    out = tmp_path / "view.sql"
    run_cli(
        "semantic-model",
        "-f",
        "sql",
        "--database",
        "PROD_DB",
        "--schema-prefix",
        "dev_me_",
        "--view",
        "PROD_DB.DEV_ME_REPORTING.SALES",
        "--out",
        str(out),
        home=tmp_path,
        check=True,
    )
    text = out.read_text()
    assert text.startswith("CREATE OR REPLACE SEMANTIC VIEW PROD_DB.DEV_ME_REPORTING.SALES")
    assert "PROD_DB.dev_me_processed_data.fct_orders" in text
    assert check_create_semantic_view(text) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--database", "x;drop table t"), "--database must be a Snowflake identifier"),
        (("--schema-prefix", "a b"), "--schema-prefix must be a Snowflake identifier"),
        (("-f", "sql", "--view", "v; select 1"), "--view must be"),
        (("-f", "pdf"), "'pdf' is not one of"),
        (("--out", "/nonexistent/dir/m.yaml"), "does not exist"),
    ],
)
def test_cli_rejects_bad_options(tmp_path: Any, args: tuple[str, ...], message: str) -> None:
    from tests.conftest import run_cli

    proc = run_cli("semantic-model", *args, home=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
