"""The semantic layer (dbt semantic models and metrics, MetricFlow): valid,
complete against docs/metrics.md, and its SQL returns the numbers of the
reporting tables on a real warehouse."""

from __future__ import annotations

import datetime
import json
import shutil
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot

from analytics_core.settings import PROJECT_ROOT, Settings
from questions.semantic import (
    SemanticLayer,
    SemanticLayerError,
    load_raw_semantic_manifest,
    parse_semantic_manifest,
    validate_semantic_manifest,
)

pytestmark = pytest.mark.slow


def load_semantic_manifest(project_dir: Path) -> Any:
    """The project's semantic manifest as MetricFlow's ``mf`` reads it (a
    ``PydanticSemanticManifest``), relations named as dbt parsed them."""
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )

    raw = load_raw_semantic_manifest(project_dir)
    return parse_manifest_from_dbt_generated_manifest(json.dumps(raw))


#: Every metric of the metrics glossary (docs/metrics.md).
CONTRACT_METRICS = (
    "revenue",
    "orders",
    "average_order_value",
    "units_sold",
    "active_customers",
    "new_customers",
    "gross_margin",
    "gross_margin_pct",
    "return_rate",
    "cancellation_rate",
    "target_revenue",
    "target_attainment",
)
#: The dimensions of docs/metrics.md, by their group-by names.
CONTRACT_DIMENSIONS = (
    "metric_time",
    "customer__region",
    "customer__country",
    "customer__segment",
    "product__category",
    "order__channel",
    "product__product_name",
)
GRAINS = ("day", "week", "month", "quarter", "year")


@pytest.fixture(scope="module")
def layer(small_warehouse: Settings) -> SemanticLayer:
    """The layer of the build that produced the small warehouse, loaded once."""
    manifest = small_warehouse.dbt_target_path / "semantic_manifest.json"
    return SemanticLayer.load(manifest_path=manifest)


@pytest.fixture(scope="module")
def con(small_warehouse: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(small_warehouse.warehouse_path), read_only=True) as connection:
        yield connection


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def day(value: Any) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def close(a: Any, b: Any, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= tolerance


def by_key(
    records: Sequence[dict[str, Any]], keys: Sequence[str]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    out = {tuple(day(r[k]) for k in keys): r for r in records}
    assert len(out) == len(records), "duplicate keys"
    return out


def test_semantic_manifest_is_valid(layer: SemanticLayer) -> None:
    assert layer.validate() == []


def test_every_contract_metric_has_label_description_and_synonyms(layer: SemanticLayer) -> None:
    metrics = {m.name: m for m in layer.metrics()}
    assert set(CONTRACT_METRICS) <= set(metrics)
    for metric in metrics.values():
        assert metric.label, metric.name
        assert metric.description.strip(), metric.name
        # Internal metrics (regional_revenue: questions say "revenue") have none.
        assert metric.synonyms or metric.meta.get("internal"), metric.name
    assert not metrics["regional_revenue"].synonyms
    assert {"sales", "turnover", "net sales"} <= set(metrics["revenue"].synonyms)
    assert {"AOV", "basket size", "average basket"} <= set(metrics["average_order_value"].synonyms)
    assert "note" in metrics["target_attainment"].meta


def test_every_contract_dimension_exists_with_labels_and_synonyms(layer: SemanticLayer) -> None:
    dimensions = {d.name: d for d in layer.dimensions()}
    assert set(CONTRACT_DIMENSIONS) <= set(dimensions)
    for name in CONTRACT_DIMENSIONS:
        dimension = dimensions[name]
        assert dimension.label and dimension.description and dimension.synonyms, dimension
    assert dimensions["metric_time"].is_time
    assert {"area", "market"} <= set(dimensions["customer__region"].synonyms)
    assert "sales channel" in dimensions["order__channel"].synonyms
    assert "product category" in dimensions["product__category"].synonyms
    # every contract dimension slices revenue, at every contract grain
    group_bys = set(layer.group_bys_for(["revenue"]))
    assert {n for n in CONTRACT_DIMENSIONS if n != "metric_time"} <= group_bys
    for grain in GRAINS:
        layer.compile(["revenue"], [f"metric_time__{grain}"])


def test_categorical_sample_values_occur_in_the_warehouse(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    relations = {
        m["name"]: f"{m['node_relation']['schema_name']}.{m['node_relation']['alias']}"
        for m in layer.raw_manifest["semantic_models"]
    }
    categorical = [d for d in layer.dimensions() if d.kind == "categorical"]
    entities = [d for d in layer.dimensions() if d.kind == "entity" and d.sample_values]
    assert categorical
    assert [e.name for e in entities] == ["sales_region"]
    for dimension in categorical + entities:
        assert dimension.sample_values, dimension.name
        values = {
            value
            for (value,) in con.execute(
                f"select distinct cast({dimension.expr} as varchar) "
                f"from {relations[dimension.semantic_model]}"
            ).fetchall()
        }
        missing = set(dimension.sample_values) - values
        assert not missing, (dimension.name, missing)
    regions = next(d for d in categorical if d.name == "customer__region")
    assert set(regions.sample_values) == {"AMER", "EMEA", "APAC", "UNKNOWN"}


def test_revenue_orders_units_by_day_and_region_equal_rpt_daily_sales(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    sql = layer.compile(
        ["revenue", "orders", "units_sold"], ["metric_time__day", "customer__region"]
    )
    got = by_key(rows(con, sql), ["metric_time__day", "customer__region"])
    expected = by_key(
        rows(
            con,
            """
            select order_date, region, sum(revenue_usd) as revenue, sum(orders) as orders,
                sum(units_sold) as units_sold, count(*) as channels
            from reporting.rpt_daily_sales group by 1, 2
            """,
        ),
        ["order_date", "region"],
    )
    assert len(expected) > 100
    assert set(got) == set(expected)
    for key, want in expected.items():
        have = got[key]
        assert have["orders"] == want["orders"], key
        assert have["units_sold"] == want["units_sold"], key
        # the report rounds each (day, region, channel) to cents
        assert close(have["revenue"], want["revenue"], 0.005 * want["channels"] + 1e-9), key


def test_average_order_value_and_active_customers_by_day_region_channel(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    keys = ["metric_time__day", "customer__region", "order__channel"]
    got = by_key(rows(con, layer.compile(["average_order_value", "active_customers"], keys)), keys)
    expected = by_key(
        rows(con, "select * from reporting.rpt_daily_sales"), ["order_date", "region", "channel"]
    )
    assert set(got) == set(expected)
    for key, want in expected.items():
        have = got[key]
        assert close(have["average_order_value"], want["average_order_value_usd"], 0.005001), key
        assert have["active_customers"] == want["active_customers"], key


def test_weekly_rates_margin_and_customers_equal_rpt_weekly_kpis(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    keys = ["metric_time__week", "customer__region"]
    order_metrics = [
        "return_rate",
        "returned_orders",
        "delivered_or_returned_orders",
        "cancellation_rate",
        "cancelled_orders",
        "valid_orders",
    ]
    got_orders = by_key(rows(con, layer.compile(order_metrics, keys)), keys)
    got_sales = by_key(
        rows(
            con,
            layer.compile(
                ["revenue", "active_customers", "gross_margin", "gross_margin_pct"], keys
            ),
        ),
        keys,
    )
    got_new = by_key(rows(con, layer.compile(["new_customers"], keys)), keys)
    expected = by_key(
        rows(con, "select * from reporting.rpt_weekly_kpis"), ["week_start", "region"]
    )
    assert len(expected) > 50
    assert set(expected) <= set(got_orders)
    for key, want in expected.items():
        have = got_orders[key]
        for count in ("returned_orders", "delivered_or_returned_orders", "cancelled_orders"):
            assert have[count] == want[count], (key, count)
        assert have["valid_orders"] == want["valid_orders"], key
        assert close(have["return_rate"], want["return_rate"], 1e-12), key
        assert close(have["cancellation_rate"], want["cancellation_rate"], 1e-12), key
        sales = got_sales.get(key)
        if want["orders"]:
            assert sales is not None, key
            assert close(sales["revenue"], want["revenue_usd"], 0.005001), key
            assert sales["active_customers"] == want["active_customers"], key
            assert close(sales["gross_margin"], want["gross_margin_usd"], 0.005001), key
            assert close(
                sales["gross_margin_pct"],
                float(sales["gross_margin"]) / float(sales["revenue"]),
                1e-9,
            )
        assert (got_new[key]["new_customers"] if key in got_new else 0) == want["new_customers"]


def test_target_revenue_and_attainment_by_region_and_month(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    keys = ["metric_time__month", "sales_region"]
    got = by_key(
        rows(
            con,
            layer.compile(["regional_revenue", "target_revenue", "target_attainment"], keys),
        ),
        keys,
    )
    expected = by_key(
        rows(con, "select * from reporting.rpt_monthly_region_targets"), ["month_start", "region"]
    )
    assert expected
    assert set(expected) <= set(got)
    for key, want in expected.items():
        have = got[key]
        assert close(have["regional_revenue"] or 0, want["revenue_usd"], 0.005001), key
        if want["target_revenue_usd"] is None:
            assert have["target_revenue"] is None and have["target_attainment"] is None, key
        else:
            assert Decimal(have["target_revenue"]) == want["target_revenue_usd"], key
            if want["revenue_usd"]:
                assert close(have["target_attainment"], want["target_attainment"], 1e-9), key
    # regional_revenue is revenue by customer__region under another name
    by_region = by_key(
        rows(con, layer.compile(["revenue"], ["metric_time__month", "customer__region"])),
        ["metric_time__month", "customer__region"],
    )
    for key, have in by_region.items():
        assert close(got[key]["regional_revenue"], have["revenue"], 1e-6), key


def test_where_order_limit_and_time_bounds(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    sql = layer.compile(
        ["revenue"],
        ["product__product_name"],
        where=["{{ Dimension('customer__region') }} = 'EMEA'"],
        order_by=["-revenue"],
        limit=5,
        start=datetime.date(2026, 5, 1),
        end=datetime.date(2026, 5, 31),
    )
    top = rows(con, sql)
    assert 0 < len(top) <= 5
    assert [r["revenue"] for r in top] == sorted((r["revenue"] for r in top), reverse=True)
    (expected,) = con.execute(
        """
        select max(revenue) from (
            select p.product_name, sum(i.line_net_amount_usd) as revenue
            from processed_data.fct_order_items i
            join processed_data.dim_customers c on i.customer_key = c.customer_key
            join processed_data.dim_products p on i.product_id = p.product_key
            where i.is_revenue_bearing and c.region = 'EMEA'
                and i.order_date between '2026-05-01' and '2026-05-31'
            group by 1
        )
        """
    ).fetchone()
    assert close(top[0]["revenue"], expected, 1e-6)


def test_snowflake_sql_parses_and_names_snowflake_relations(layer: SemanticLayer) -> None:
    sql = layer.compile(
        ["revenue", "average_order_value"],
        ["metric_time__month", "customer__region"],
        where=["{{ Dimension('order__channel') }} = 'web'"],
        dialect="snowflake",
    )
    sqlglot.parse_one(sql, read="snowflake")
    assert "processed_data.fct_order_items" in sql
    assert '"warehouse"' not in sql
    duck = layer.compile(["revenue"], ["metric_time__month"])
    assert '"warehouse"."processed_data"."fct_order_items"' in duck


def test_snowflake_database_can_be_named(small_warehouse: Settings) -> None:
    layer = SemanticLayer.load(
        manifest_path=small_warehouse.dbt_target_path / "semantic_manifest.json",
        snowflake_database="analytics_platform",
        snowflake_schema_prefix="dev_me_",
    )
    sql = layer.compile(["orders"], ["metric_time__day"], dialect="snowflake")
    assert "analytics_platform.dev_me_processed_data.fct_order_items" in sql


def test_saved_queries_compile_and_run(
    layer: SemanticLayer, con: duckdb.DuckDBPyConnection
) -> None:
    saved = layer.saved_queries()
    assert len(saved) >= 6
    for query in saved:
        assert query.label and query.description and query.metrics and query.group_by
        sql = layer.compile_saved_query(query.name)
        assert rows(con, sql), query.name
        sqlglot.parse_one(layer.compile_saved_query(query.name, "snowflake"), read="snowflake")
        # the listed group-bys are real names: the same query compiles from them
        con.execute(layer.compile(query.metrics, query.group_by)).fetchall()


def test_unknown_names_are_errors(layer: SemanticLayer) -> None:
    with pytest.raises(SemanticLayerError):
        layer.compile(["no_such_metric"], ["metric_time__day"])
    with pytest.raises(SemanticLayerError):
        layer.compile(["revenue"], ["customer__no_such_dimension"])


def test_compiling_is_fast(layer: SemanticLayer) -> None:
    layer.compile(["revenue", "orders"], ["metric_time__day", "customer__region"])
    started = time.perf_counter()
    for _ in range(5):
        layer.compile(["revenue", "orders"], ["metric_time__week", "order__channel"])
    assert (time.perf_counter() - started) / 5 < 1.0


def test_parses_the_project_with_dbt() -> None:
    """What the loader does when there is no fresh target/semantic_manifest.json."""
    raw = parse_semantic_manifest(PROJECT_ROOT)
    assert {m["name"] for m in raw["metrics"]} >= set(CONTRACT_METRICS)
    assert validate_semantic_manifest(SemanticLayer(raw).semantic_manifest) == []


def test_loads_a_fresh_target_manifest(small_warehouse: Settings, tmp_path: Path) -> None:
    (tmp_path / "target").mkdir()
    shutil.copy(
        small_warehouse.dbt_target_path / "semantic_manifest.json",
        tmp_path / "target" / "semantic_manifest.json",
    )
    manifest = load_semantic_manifest(tmp_path)
    assert validate_semantic_manifest(manifest) == []
    assert {m.name for m in manifest.metrics} >= set(CONTRACT_METRICS)


def test_relations_are_prefixed_once() -> None:
    """A manifest of a build on a prefixed Snowflake target names its schemas
    with the prefix already; retargeting it again must not prefix twice."""
    from questions.semantic import load_raw_semantic_manifest, retarget_relations

    raw = load_raw_semantic_manifest()
    once = retarget_relations(raw, "snowflake", "CI", "ci_run_")
    twice = retarget_relations(once, "snowflake", "CI", "ci_run_")
    names = [m["node_relation"]["relation_name"] for m in once["semantic_models"]]
    assert names and all(n.startswith("CI.ci_run_") for n in names), names
    assert [m["node_relation"]["relation_name"] for m in twice["semantic_models"]] == names


def _metricflows_own_ids_and_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    """MetricFlow as it comes: its id generator and its jinja2 (undoing
    :func:`count_ids_in_place` and :func:`compile_constant_templates_once`)."""
    import jinja2
    from metricflow.sql.render import expr_renderer
    from metricflow_semantics.dag.sequential_id import SequentialIdGenerator

    ours = SequentialIdGenerator.create_next_id.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(SequentialIdGenerator, "create_next_id", ours.metricflows)
    monkeypatch.setattr(expr_renderer, "jinja2", jinja2)


def test_ids_counted_in_place_are_metricflows_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    from metricflow_semantics.dag.id_prefix import StaticIdPrefix
    from metricflow_semantics.dag.sequential_id import SequentialIdGenerator

    from questions.semantic.rendering import count_ids_in_place

    count_ids_in_place()

    def numbers() -> list[str]:
        ids = SequentialIdGenerator
        sub, cte = StaticIdPrefix.SUB_QUERY, StaticIdPrefix.CTE
        SequentialIdGenerator.reset(7)
        drawn = [ids.create_next_id(sub), ids.create_next_id(sub), ids.create_next_id(cte)]
        with SequentialIdGenerator.id_number_space(100):
            drawn += [ids.create_next_id(sub), ids.create_next_id(cte)]
        drawn += [ids.create_next_id(sub), ids.create_next_id(cte)]
        SequentialIdGenerator.reset(0)
        drawn += [ids.create_next_id(sub), ids.create_next_id(sub)]
        return [d.str_value for d in drawn]

    ours = numbers()
    with monkeypatch.context() as patched:
        _metricflows_own_ids_and_templates(patched)
        theirs = numbers()
    assert ours == theirs
    assert ours[:3] == ["subq_7", "subq_8", "cte_7"] and ours[3:5] == ["subq_100", "cte_100"]
    assert ours[5:7] == ["subq_9", "cte_8"]


def test_compile_shortcuts_give_metricflows_own_sql(
    layer: SemanticLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ids counted in place and the Jinja templates compiled once change
    how fast MetricFlow writes SQL, not the SQL it writes."""
    queries: list[dict[str, Any]] = [
        {"metrics": ["revenue", "orders"], "group_by": ["metric_time__month", "customer__region"]},
        {
            "metrics": ["return_rate", "cancellation_rate"],
            "group_by": ["order__channel"],
            "where": ["{{ Dimension('customer__region') }} IN ('EMEA', 'APAC')"],
            "order_by": ["-return_rate"],
            "limit": 3,
        },
        {"metrics": ["target_attainment"], "group_by": ["sales_region", "metric_time__month"]},
        {"metrics": ["average_order_value", "active_customers"], "group_by": ["order__channel"]},
    ]
    ours = [layer.compile(**query) for query in queries]
    with monkeypatch.context() as patched:
        _metricflows_own_ids_and_templates(patched)
        fresh = SemanticLayer(layer.raw_manifest)  # MetricFlow's engine, built by its own code
        _metricflows_own_ids_and_templates(patched)
        theirs = [fresh.compile(**query) for query in queries]
    assert ours == theirs
    assert all("subq_" in sql or "cte" in sql.lower() for sql in ours)


def test_a_parse_is_kept_for_the_next_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a fresh target/semantic_manifest.json the loader parses, then
    keeps the result there (dated when the parse started); an edit to the
    semantic YAML after that makes the next caller parse again."""
    import os

    from questions.semantic import manifest as module

    semantic = tmp_path / "dbt_project" / "models" / "semantic"
    semantic.mkdir(parents=True)
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    (semantic / "_metrics.yml").write_text("metrics: []\n")
    os.utime(semantic / "_metrics.yml", (1_000_000, 1_000_000))
    os.utime(tmp_path / "dbt_project.yml", (1_000_000, 1_000_000))
    parses: list[Path] = []

    def parse(project_dir: Path | None = None) -> dict[str, object]:
        parses.append(Path(project_dir or "."))
        return {"metrics": [{"name": f"parse_{len(parses)}"}]}

    monkeypatch.setattr(module, "parse_semantic_manifest", parse)
    first = module.load_raw_semantic_manifest(tmp_path)
    assert first == {"metrics": [{"name": "parse_1"}]} and parses == [tmp_path]
    cached = tmp_path / "target" / "semantic_manifest.json"
    assert json.loads(cached.read_text()) == first
    assert not list(cached.parent.glob(".semantic-*"))  # written whole, by rename
    # The next caller (any process) reads it.
    assert module.load_raw_semantic_manifest(tmp_path) == first and len(parses) == 1
    # An edit newer than the kept parse: parsed again, and kept again.
    later = cached.stat().st_mtime + 5
    os.utime(semantic / "_metrics.yml", (later, later))
    second = module.load_raw_semantic_manifest(tmp_path)
    assert second == {"metrics": [{"name": "parse_2"}]}
    assert json.loads(cached.read_text()) == second
    # A project where nothing can be kept still answers (a read-only image).
    blocked = tmp_path / "blocked"
    shutil.copytree(tmp_path / "dbt_project", blocked / "dbt_project")
    (blocked / "dbt_project.yml").write_text("name: x\n")
    (blocked / "target").write_text("a file where the folder would be")
    assert module.load_raw_semantic_manifest(blocked) == {"metrics": [{"name": "parse_3"}]}
