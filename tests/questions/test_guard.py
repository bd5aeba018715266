"""The SQL guard: what a question's SQL may and may not do before it runs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analytics_core.errors import AnalyticsError
from questions.guard import (
    DEFAULT_ALLOWED_FUNCTIONS,
    GuardedQuery,
    GuardError,
    GuardPolicy,
    default_policy,
    guard_sql,
)

DUCK = default_policy("duckdb")
SNOW = default_policy("snowflake", database="ANALYTICS")
SNOW_DEV = default_policy("snowflake", schema_prefix="DEV_ALICE", database="analytics")

ACCEPTED_DUCKDB = [
    "select * from reporting.rpt_daily_sales",
    "SELECT order_date, revenue FROM Reporting.RPT_Daily_Sales WHERE revenue > 0",
    'select "region" from "reporting"."rpt_daily_sales"',
    "select order_date, sum(revenue) as revenue from reporting.rpt_daily_sales group by 1",
    "with x as (select * from reporting.rpt_daily_sales) select * from x limit 5",
    "with a as (select region from reporting.rpt_daily_sales), "
    "b as (select region from a) select * from b",
    "select c.segment, count(distinct o.order_id) from processed_data.dim_customers c "
    "join processed_data.fct_orders o on o.customer_key = c.customer_key group by 1",
    "select region from reporting.rpt_daily_sales union all "
    "select region from reporting.rpt_monthly_region_targets",
    "select region from reporting.rpt_daily_sales intersect "
    "select region from processed_data.countries",
    "select region from reporting.rpt_daily_sales except "
    "select region from processed_data.countries",
    "select region, revenue, row_number() over (partition by region order by revenue desc) "
    "as rn from reporting.rpt_daily_sales",
    "select region, sum(revenue) over (order by order_date rows between 6 preceding "
    "and current row) from reporting.rpt_daily_sales",
    "select case when revenue > 100 then 'big' else 'small' end as size, "
    "coalesce(region, 'n/a'), nullif(orders, 0), round(revenue / orders, 2) "
    "from reporting.rpt_daily_sales",
    "select date_trunc('month', order_date) as m, extract(year from order_date), "
    "cast(revenue as integer), abs(revenue), lower(region), upper(region) "
    "from reporting.rpt_daily_sales",
    "select * from reporting.rpt_daily_sales where region in "
    "(select region from processed_data.countries where country_code = 'DE')",
    "select * from reporting.rpt_daily_sales d where exists "
    "(select 1 from processed_data.countries c where c.region = d.region)",
    "select (select max(revenue) from reporting.rpt_daily_sales) as top",
    "select * from (select region, revenue from reporting.rpt_daily_sales) s",
    "select s.region from reporting.rpt_daily_sales s, "
    "lateral (select max(revenue) as m from reporting.rpt_weekly_kpis) k",
    "select customer_key, region, segment from processed_data.dim_customers",
    "select * from reporting.rpt_daily_sales -- a trailing comment",
    "/* leading comment */ select * from reporting.rpt_daily_sales;",
    "select 'a; drop table x' as text from reporting.rpt_daily_sales",
    "with rpt_daily_sales as (select region from reporting.rpt_daily_sales) "
    "select region from rpt_daily_sales",
    "from reporting.rpt_daily_sales select region",
    "select region from reporting.rpt_daily_sales qualify "
    "row_number() over (order by revenue desc) = 1",
    "select " + " + ".join(["revenue"] * 20) + " as r from reporting.rpt_daily_sales",
    "select "
    + ", ".join(f"revenue as r{i}" for i in range(800))
    + " from reporting.rpt_daily_sales",
    "select order_date between date '2026-01-01' and current_date - interval 7 day "
    "from reporting.rpt_daily_sales",
]

ACCEPTED_SNOWFLAKE = [
    "SELECT * FROM REPORTING.RPT_DAILY_SALES",
    'SELECT "REGION", SUM("REVENUE") FROM "REPORTING"."RPT_DAILY_SALES" GROUP BY 1',
    "select * from ANALYTICS.REPORTING.RPT_WEEKLY_KPIS",
    'select * from "ANALYTICS"."REPORTING"."RPT_WEEKLY_KPIS"',
    "select iff(revenue > 0, 1, 0), div0(revenue, orders), zeroifnull(revenue), "
    "dateadd(day, 1, order_date), datediff(day, order_date, current_date()), "
    "to_date('2026-01-01'), listagg(region, ',') from reporting.rpt_daily_sales",
    "WITH __daily AS (SELECT ORDER_DATE, REVENUE FROM ANALYTICS.REPORTING.RPT_DAILY_SALES) "
    "SELECT DATE_TRUNC('MONTH', ORDER_DATE) AS M, SUM(REVENUE) FROM __daily GROUP BY 1 "
    "ORDER BY 1 NULLS LAST",
    "select top 5 region from reporting.rpt_daily_sales",
]


@pytest.mark.parametrize("sql", ACCEPTED_DUCKDB)
def test_accepts_duckdb(sql: str) -> None:
    guarded = guard_sql(sql, DUCK)
    assert isinstance(guarded, GuardedQuery)
    assert "LIMIT" in guarded.sql
    assert "--" not in guarded.sql
    assert "/*" not in guarded.sql
    # The rendering passes the guard again, unchanged.
    assert guard_sql(guarded.sql, DUCK).sql == guarded.sql


@pytest.mark.parametrize("sql", ACCEPTED_SNOWFLAKE)
def test_accepts_snowflake(sql: str) -> None:
    guarded = guard_sql(sql, SNOW)
    assert guarded.relations <= set(SNOW.allowed_relations)
    assert guard_sql(guarded.sql, SNOW).sql == guarded.sql


def test_relations_and_columns_are_reported() -> None:
    guarded = guard_sql(
        "with x as (select region, revenue from reporting.rpt_daily_sales) "
        "select x.region, t.target_revenue as target from x "
        "join processed_data.sales_targets t on t.region = x.region",
        DUCK,
    )
    assert guarded.relations == {"reporting.rpt_daily_sales", "processed_data.sales_targets"}
    assert guarded.columns == ("region", "target")


def test_prefixed_schemas_match_on_non_production_targets() -> None:
    guarded = guard_sql("select * from DEV_ALICE_REPORTING.RPT_DAILY_SALES", SNOW_DEV)
    assert guarded.relations == {"reporting.rpt_daily_sales"}
    with pytest.raises(GuardError) as refused:
        guard_sql("select * from REPORTING.RPT_DAILY_SALES", SNOW_DEV)
    assert refused.value.reason == "relation_not_allowed"
    with pytest.raises(GuardError) as refused:
        guard_sql("select * from DEV_ALICE_RAW_DATA.SHOP_CUSTOMERS", SNOW_DEV)
    assert refused.value.reason == "relation_not_allowed"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select * from reporting.rpt_daily_sales", "LIMIT 10000"),
        ("select * from reporting.rpt_daily_sales limit 10", "LIMIT 10"),
        ("select * from reporting.rpt_daily_sales limit 50000", "LIMIT 10000"),
        ("select * from reporting.rpt_daily_sales limit 10 offset 20", "LIMIT 10 OFFSET 20"),
        ("select * from reporting.rpt_daily_sales fetch first 7 rows only", "LIMIT 7"),
        (
            "select region from reporting.rpt_daily_sales union "
            "select region from processed_data.countries limit 99999",
            "LIMIT 10000",
        ),
        ("(select region from reporting.rpt_daily_sales)", "AS guarded LIMIT 10000"),
    ],
)
def test_limit_is_applied(sql: str, expected: str) -> None:
    guarded = guard_sql(sql, DUCK)
    assert guarded.sql.endswith(expected)
    assert guarded.sql.count("LIMIT") == 1


REFUSED: list[tuple[GuardPolicy, str, str]] = [
    # shape of the input
    (DUCK, "", "empty"),
    (DUCK, "   \n\t ", "empty"),
    (DUCK, "-- just a comment", "empty"),
    (DUCK, "/* only */ -- comments", "empty"),
    (DUCK, "What were sales last week in EMEA?", "parse_error"),
    (DUCK, "select from where", "parse_error"),
    (DUCK, "select * from reporting.rpt_daily_sales where (", "parse_error"),
    (DUCK, "how much did we sell? " * 455, "parse_error"),  # about 10,000 characters
    (DUCK, "select " + "1 + " * 2490 + "1 from reporting.rpt_daily_sales", "too_complex"),
    (DUCK, "select " + "(" * 3000 + "1" + ")" * 3000, "too_complex"),
    (DUCK, "select " + "abs(" * 300 + "1" + ")" * 300, "too_complex"),
    (DUCK, "select 1 " + " " * 20_000, "too_long"),
    (DUCK, "sales", "not_a_query"),
    (DUCK, "values (1), (2)", "not_a_query"),
    # stacked statements
    (DUCK, "select 1; drop table x", "not_one_statement"),
    (DUCK, "select 1;\n-- \ndelete from reporting.rpt_daily_sales", "not_one_statement"),
    (
        DUCK,
        "select 1; -- x\n; update reporting.rpt_daily_sales set revenue = 0",
        "not_one_statement",
    ),
    (DUCK, "select 1; select 2", "not_one_statement"),
    (SNOW, "select 1; call system$wait(10)", "not_one_statement"),
    # not read-only
    (DUCK, "drop table reporting.rpt_daily_sales", "not_read_only"),
    (DUCK, "delete from reporting.rpt_daily_sales", "not_read_only"),
    (
        DUCK,
        "insert into reporting.rpt_daily_sales select * from reporting.rpt_daily_sales",
        "not_read_only",
    ),
    (DUCK, "update reporting.rpt_daily_sales set revenue = 0", "not_read_only"),
    (DUCK, "create table t as select * from reporting.rpt_daily_sales", "not_read_only"),
    (
        DUCK,
        "with x as (delete from reporting.rpt_daily_sales returning *) select * from x",
        "not_read_only",
    ),
    (
        DUCK,
        "with x as (insert into reporting.rpt_weekly_kpis values (1) returning *) select * from x",
        "not_read_only",
    ),
    (DUCK, "select * into t from reporting.rpt_daily_sales", "not_read_only"),
    (SNOW, "select * into t from reporting.rpt_daily_sales", "not_read_only"),
    (DUCK, "copy (select * from reporting.rpt_daily_sales) to '/tmp/out.csv'", "not_read_only"),
    (DUCK, "copy reporting.rpt_daily_sales from '/tmp/in.csv'", "not_read_only"),
    (DUCK, "attach '/tmp/other.duckdb' as other", "not_read_only"),
    (DUCK, "detach other", "not_read_only"),
    (DUCK, "pragma database_list", "not_read_only"),
    (DUCK, "install httpfs", "not_read_only"),
    (DUCK, "load httpfs", "not_read_only"),
    (DUCK, "set threads = 1", "not_read_only"),
    (DUCK, "use raw_data", "not_read_only"),
    (DUCK, "describe reporting.rpt_daily_sales", "not_read_only"),
    (DUCK, "show tables", "not_read_only"),
    (DUCK, "summarize reporting.rpt_daily_sales", "not_read_only"),
    (DUCK, "call pragma_version()", "not_read_only"),
    (SNOW, "select * from reporting.rpt_daily_sales for update", "not_read_only"),
    (
        SNOW,
        "merge into reporting.rpt_daily_sales t using reporting.rpt_weekly_kpis s "
        "on t.region = s.region when matched then delete",
        "not_read_only",
    ),
    (SNOW, "put file:///tmp/x @stage", "not_read_only"),
    # files, tables functions, system functions
    (DUCK, "select * from read_csv('/etc/passwd')", "function_not_allowed"),
    (DUCK, "select * from read_csv_auto('/etc/passwd')", "function_not_allowed"),
    (DUCK, "select * from read_parquet('s3://bucket/x.parquet')", "function_not_allowed"),
    (DUCK, "select * from read_json('/etc/x.json')", "function_not_allowed"),
    (DUCK, "select * from read_text('/etc/passwd')", "function_not_allowed"),
    (DUCK, "select * from glob('/home/*')", "function_not_allowed"),
    (DUCK, "select * from sniff_csv('/etc/passwd')", "function_not_allowed"),
    (DUCK, "select * from query('select * from raw_data.shop_customers')", "function_not_allowed"),
    (DUCK, "select * from query_table('raw_data.shop_customers')", "function_not_allowed"),
    (DUCK, "select * from duckdb_tables()", "function_not_allowed"),
    (DUCK, "select * from pragma_table_info('reporting.rpt_daily_sales')", "function_not_allowed"),
    (DUCK, "select * from range(10)", "function_not_allowed"),
    (DUCK, "select getvariable('secret')", "function_not_allowed"),
    (DUCK, "select current_setting('s3_secret_access_key')", "function_not_allowed"),
    (DUCK, "select columns('e.*') from reporting.rpt_daily_sales", "function_not_allowed"),
    (
        DUCK,
        "select region from reporting.rpt_daily_sales where region = "
        "(select content from read_text('/etc/passwd'))",
        "function_not_allowed",
    ),
    (DUCK, "select * from '/etc/passwd'", "relation_not_allowed"),
    (DUCK, "select * from 'https://example.com/x.csv'", "relation_not_allowed"),
    (SNOW, "select system$whitelist()", "function_not_allowed"),
    (
        SNOW,
        "select system$get_privatelink_config() from reporting.rpt_daily_sales",
        "function_not_allowed",
    ),
    (SNOW, "select * from table(generator(rowcount => 10))", "function_not_allowed"),
    (SNOW, "select * from table(information_schema.query_history())", "function_not_allowed"),
    (SNOW, "select parse_json(region):a from reporting.rpt_daily_sales", "function_not_allowed"),
    (
        SNOW,
        "select external_function(region) from reporting.rpt_daily_sales",
        "function_not_allowed",
    ),
    (SNOW, "select a from @my_stage", "relation_not_allowed"),
    (SNOW, "select $1 from @my_stage/data.csv", "syntax_not_allowed"),
    (SNOW, "select $my_session_var from reporting.rpt_daily_sales", "syntax_not_allowed"),
    (DUCK, "select * from reporting.rpt_daily_sales where region = ?", "syntax_not_allowed"),
    # relations that are not allowed, wherever they hide
    (DUCK, "select * from raw_data.shop_customers", "relation_not_allowed"),
    (DUCK, "select * from raw_data.shop_orders", "relation_not_allowed"),
    (DUCK, "select * from information_schema.tables", "relation_not_allowed"),
    (DUCK, "select * from monitoring.quarantined_rows", "relation_not_allowed"),
    (DUCK, "select * from monitoring_raw.report_job_events", "relation_not_allowed"),
    (DUCK, "select * from pg_catalog.pg_tables", "relation_not_allowed"),
    (DUCK, "select * from processed_data.stg_shop__customers", "relation_not_allowed"),
    (DUCK, "select * from processed_data.int_orders__validated", "relation_not_allowed"),
    (DUCK, "select * from rpt_daily_sales", "relation_not_allowed"),
    (DUCK, "select * from shop_customers", "relation_not_allowed"),
    (DUCK, "select * from warehouse.reporting.rpt_daily_sales", "relation_not_allowed"),
    (SNOW, "select * from OTHER_DB.REPORTING.RPT_DAILY_SALES", "relation_not_allowed"),
    (DUCK, "select * from (select * from raw_data.shop_customers) s", "relation_not_allowed"),
    (
        DUCK,
        "select * from reporting.rpt_daily_sales where region in "
        "(select country_code from raw_data.shop_customers)",
        "relation_not_allowed",
    ),
    (
        DUCK,
        "select (select count(*) from monitoring.runs) from reporting.rpt_daily_sales",
        "relation_not_allowed",
    ),
    (
        DUCK,
        "select region from reporting.rpt_daily_sales union all "
        "select country_code from raw_data.shop_customers",
        "relation_not_allowed",
    ),
    (
        DUCK,
        "select region from reporting.rpt_daily_sales except "
        "(select 'x' union select segment from raw_data.shop_customers)",
        "relation_not_allowed",
    ),
    (
        DUCK,
        "select * from reporting.rpt_daily_sales d, lateral "
        "(select * from raw_data.shop_orders o where o.order_id = d.orders) x",
        "relation_not_allowed",
    ),
    (
        DUCK,
        "select * from reporting.rpt_daily_sales d join raw_data.fx_rates f on true",
        "relation_not_allowed",
    ),
    (
        DUCK,
        "with rpt_daily_sales as (select * from raw_data.shop_customers) "
        "select * from rpt_daily_sales",
        "relation_not_allowed",
    ),
    (DUCK, "with x as (select 1) select * from raw_data.x", "relation_not_allowed"),
    (
        DUCK,
        "with shop_customers as (select 1) select * from raw_data.shop_customers",
        "relation_not_allowed",
    ),
    (DUCK, "with a as (select * from b), b as (select 1) select * from a", "relation_not_allowed"),
    (
        DUCK,
        "with a as (with b as (select * from raw_data.shop_orders) select * from b) "
        "select * from a",
        "relation_not_allowed",
    ),
    (DUCK, "select * from reporting.rpt_daily_sal\u0435s", "syntax_not_allowed"),  # Cyrillic ie
    # personal data
    (DUCK, "select email from processed_data.dim_customers", "personal_data"),
    (DUCK, "select full_name as n from processed_data.dim_customers", "personal_data"),
    (DUCK, "select c.email as contact from processed_data.dim_customers c", "personal_data"),
    (DUCK, 'select "EMAIL" from processed_data.dim_customers', "personal_data"),
    (
        DUCK,
        "select customer_key from processed_data.dim_customers where email like '%@example.com'",
        "personal_data",
    ),
    (
        DUCK,
        "select count(*) from processed_data.dim_customers c join processed_data.fct_orders o "
        "on o.customer_key = c.customer_key and c.phone is not null",
        "personal_data",
    ),
    (
        DUCK,
        "select customer_key from processed_data.dim_customers order by last_name",
        "personal_data",
    ),
    (DUCK, "select upper(first_name) from processed_data.dim_customers", "personal_data"),
    (DUCK, "select * from processed_data.dim_customers", "personal_data"),
    (DUCK, "select c.* from processed_data.dim_customers c", "personal_data"),
    (
        DUCK,
        "with c as (select * from processed_data.dim_customers) select segment from c",
        "personal_data",
    ),
    (DUCK, "select * exclude (email) from processed_data.dim_customers", "personal_data"),
    (SNOW, 'SELECT "FULL_NAME" FROM "PROCESSED_DATA"."DIM_CUSTOMERS"', "personal_data"),
    (DUCK, "select address from reporting.rpt_daily_sales", "personal_data"),
    (DUCK, "select c from processed_data.dim_customers c", "row_reference"),
    (DUCK, "select dim_customers from processed_data.dim_customers", "row_reference"),
    (DUCK, "select _loaded_at from processed_data.dim_customers", "column_not_allowed"),
    (DUCK, "select c._loaded_at from processed_data.dim_customers c", "column_not_allowed"),
    # fullwidth "email"
    (
        DUCK,
        "select \uff45\uff4d\uff41\uff49\uff4c from processed_data.dim_customers",
        "syntax_not_allowed",
    ),
]


@pytest.mark.parametrize(
    ("policy", "sql", "reason"),
    REFUSED,
    ids=[f"{i:03d}-{reason}" for i, (_, _, reason) in enumerate(REFUSED)],
)
def test_refuses(policy: GuardPolicy, sql: str, reason: str) -> None:
    with pytest.raises(GuardError) as refused:
        guard_sql(sql, policy)
    assert refused.value.reason == reason, str(refused.value)
    message = str(refused.value)
    assert "\n" not in message
    assert len(message) < 200


def test_error_is_an_analytics_error_and_never_echoes_much_input() -> None:
    sql = "select " + "a_very_long_column_name_" * 400 + " from nowhere where ("
    with pytest.raises(AnalyticsError) as refused:
        guard_sql(sql, DUCK)
    assert isinstance(refused.value, GuardError)
    assert len(str(refused.value)) < 200


def test_policy_normalises_and_validates() -> None:
    policy = GuardPolicy(
        dialect="duckdb",
        allowed_relations={"Reporting.RPT_Daily_Sales": frozenset({"Region"})},
        allowed_functions=frozenset({"SUM"}),
    )
    assert dict(policy.allowed_relations) == {"reporting.rpt_daily_sales": frozenset({"region"})}
    assert guard_sql("select sum(region) from reporting.rpt_daily_sales", policy)
    with pytest.raises(GuardError) as refused:
        guard_sql("select avg(region) from reporting.rpt_daily_sales", policy)
    assert refused.value.reason == "function_not_allowed"
    with pytest.raises(GuardError) as refused:
        guard_sql("select revenue from reporting.rpt_daily_sales", policy)
    assert refused.value.reason == "column_not_allowed"
    with pytest.raises(ValueError, match="dialect"):
        GuardPolicy(dialect="postgres", allowed_relations={})
    with pytest.raises(ValueError, match=r"schema\.name"):
        GuardPolicy(dialect="duckdb", allowed_relations={"rpt_daily_sales": None})


def test_default_allow_list_has_no_dangerous_names() -> None:
    dangerous = {"read_csv", "read_parquet", "glob", "query", "getvariable", "anonymous"}
    assert not dangerous & DEFAULT_ALLOWED_FUNCTIONS


class TestRunsOnDuckDB:
    """Guarded statements run for real, and their row limit holds."""

    @pytest.fixture()
    def connection(self, tmp_path: Path) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
        con.execute("create schema reporting")
        con.execute("create schema processed_data")
        con.execute("create schema raw_data")
        con.execute(
            "create table reporting.rpt_daily_sales as select "
            "date '2026-01-01' + cast(i as integer) as order_date, "
            "case when i % 3 = 0 then 'EMEA' when i % 3 = 1 then 'AMER' else 'APAC' end "
            "as region, i * 1.5 as revenue, i % 7 as orders from range(500) t(i)"
        )
        con.execute(
            "create table processed_data.countries as select * from (values "
            "('DE', 'Germany', 'EMEA'), ('US', 'United States', 'AMER'), "
            "('JP', 'Japan', 'APAC')) v(country_code, country_name, region)"
        )
        con.execute("create table raw_data.shop_customers as select 'a@b.c' as email")
        return con

    @pytest.mark.parametrize(
        ("sql", "rows"),
        [
            ("select * from reporting.rpt_daily_sales", 40),
            ("select * from reporting.rpt_daily_sales limit 10", 10),
            (
                "with s as (select region, sum(revenue) as revenue "
                "from reporting.rpt_daily_sales group by region) "
                "select s.region, c.country_name, s.revenue from s "
                "join processed_data.countries c on c.region = s.region order by 1",
                3,
            ),
            (
                "select region from reporting.rpt_daily_sales union all "
                "select region from processed_data.countries",
                40,
            ),
            (
                "select order_date, revenue, row_number() over "
                "(partition by region order by revenue desc) as rn, "
                "date_trunc('month', order_date) as m from reporting.rpt_daily_sales",
                40,
            ),
            ("(select region from reporting.rpt_daily_sales)", 40),
        ],
    )
    def test_guarded_sql_runs_with_its_limit(
        self, connection: duckdb.DuckDBPyConnection, sql: str, rows: int
    ) -> None:
        policy = default_policy("duckdb")
        small = GuardPolicy(
            dialect=policy.dialect,
            allowed_relations=policy.allowed_relations,
            max_rows=40,
        )
        guarded = guard_sql(sql, small)
        assert len(connection.execute(guarded.sql).fetchall()) == rows

    def test_refused_sql_never_reaches_the_warehouse(
        self, connection: duckdb.DuckDBPyConnection
    ) -> None:
        with pytest.raises(GuardError):
            guard_sql("select email from raw_data.shop_customers", DUCK)
        assert connection.execute("select count(*) from raw_data.shop_customers").fetchone() == (1,)
