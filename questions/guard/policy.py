"""What a guarded statement may read and call: the policy, and the default
one for questions (the allow-listed relations, columns and functions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

DEFAULT_PERSONAL_COLUMNS: Final[frozenset[str]] = frozenset(
    {"email", "full_name", "first_name", "last_name", "phone", "address"}
)

# Function names are matched in lower case against, for functions sqlglot
# knows, its expression class key (``type(node).key``, e.g. ``timestamptrunc``
# for DuckDB's and Snowflake's DATE_TRUNC) and every SQL name of that class
# (``type(node).sql_names()``, e.g. ``coalesce``, ``ifnull``, ``nvl``); for
# functions sqlglot does not know (``exp.Anonymous``), against the name as
# written. Both spellings are listed where they differ. Nothing here reads
# files, the network, the catalog, settings or variables, or has side effects.
DEFAULT_ALLOWED_FUNCTIONS: Final[frozenset[str]] = frozenset(
    {
        # aggregates
        *("count", "sum", "avg", "min", "max", "median", "any_value", "anyvalue"),
        *("count_if", "countif", "approx_distinct", "approxdistinct"),
        *("approx_count_distinct", "stddev", "stddev_samp", "stddevsamp", "stddev_pop"),
        *("stddevpop", "variance", "var_samp", "varsamp", "variance_pop", "var_pop"),
        *("variancepop", "corr", "covar_samp", "covarsamp", "covar_pop", "covarpop"),
        *("percentile_cont", "percentilecont", "percentile_disc", "percentiledisc"),
        *("quantile_cont", "quantilecont", "quantile_disc", "quantiledisc", "quantile"),
        *("listagg", "string_agg", "group_concat", "groupconcat", "arg_max", "argmax"),
        *("arg_min", "argmin", "max_by", "min_by", "bool_and", "bool_or"),
        *("logicaland", "logicalor"),
        # window functions
        *("row_number", "rownumber", "rank", "dense_rank", "denserank", "ntile"),
        *("percent_rank", "percentrank", "cume_dist", "cumedist", "lag", "lead"),
        *("first_value", "firstvalue", "last_value", "lastvalue", "nth_value", "nthvalue"),
        "ratio_to_report",
        # conditional and null handling
        *("case", "if", "iff", "iif", "coalesce", "ifnull", "nvl", "nvl2", "nullif"),
        *("greatest", "least", "zeroifnull", "nullifzero", "div0", "safedivide"),
        *("safe_divide", "equal_null"),
        # conversion
        *("cast", "try_cast", "trycast", "to_number", "to_decimal", "to_double"),
        *("to_varchar", "to_char", "tochar", "tonumber", "todouble"),
        # math
        *("abs", "round", "floor", "ceil", "ceiling", "sign", "sqrt", "power", "pow"),
        *("ln", "log", "log10", "exp", "mod", "trunc", "truncate"),
        # strings
        *("lower", "upper", "initcap", "trim", "ltrim", "rtrim", "length", "len"),
        *("concat", "concat_ws", "concatws", "dpipe", "substring", "substr", "replace"),
        *("left", "right", "lpad", "rpad", "pad", "split_part", "splitpart"),
        *("position", "strpos", "strposition", "starts_with", "startswith", "contains"),
        # dates and times
        *("date_trunc", "datetrunc", "timestamp_trunc", "timestamptrunc", "time_trunc"),
        *("extract", "date_part", "datepart", "year", "month", "day", "quarter"),
        *("week", "weekofyear", "yearofweek", "yearofweekiso", "dayofweek"),
        *("dayofweekiso", "dayofmonth", "dayofyear", "isodow", "isoyear", "weekiso"),
        *("date_add", "dateadd", "date_sub", "datesub", "date_diff", "datediff"),
        *("timestamp_add", "timestampadd", "timestamp_diff", "timestampdiff"),
        *("current_date", "currentdate", "current_timestamp", "currenttimestamp"),
        *("to_date", "todate", "tsordstodate", "ts_or_ds_to_date", "date", "to_timestamp"),
        *("totimestamp", "strtotime", "str_to_time", "strtodate", "str_to_date"),
        *("last_day", "lastday", "make_date", "date_from_parts", "datefromparts"),
        *("strftime", "timetostr", "time_to_str", "datestrtodate", "date_str_to_date"),
        *("monthname", "dayname", "timestrtotime", "time_str_to_time"),
        *("ts_or_ds_add", "tsordsadd", "ts_or_ds_diff", "tsordsdiff"),
        *("generate_date_array", "add_months", "addmonths", "months_between"),
        *("monthsbetween",),
    }
)

_DIALECTS: Final = frozenset({"duckdb", "snowflake"})


@dataclass(frozen=True)
class GuardPolicy:
    """What a guarded statement may read and call, for one target warehouse.

    ``allowed_relations`` is keyed by lower-case ``schema.name`` with the
    schema written without ``schema_prefix``. A value of ``None`` allows every
    column of the relation except personal ones; a set allows only those
    columns (and refuses ``*`` over the relation, as ``*`` would reach the
    others). ``database``, when set, is the only catalog a relation may name
    (``DB.REPORTING.RPT_X``); when unset, a relation naming any catalog is
    refused. ``schema_prefix`` (non-production targets build into
    ``<prefix>_reporting`` and so on) makes only the prefixed schemas match.
    Names match case-insensitively, quoted or not.
    """

    dialect: str
    allowed_relations: Mapping[str, frozenset[str] | None]
    personal_columns: frozenset[str] = DEFAULT_PERSONAL_COLUMNS
    allowed_functions: frozenset[str] = DEFAULT_ALLOWED_FUNCTIONS
    max_rows: int = 10_000
    max_sql_chars: int = 20_000
    database: str | None = None
    schema_prefix: str | None = None

    def __post_init__(self) -> None:
        if self.dialect not in _DIALECTS:
            raise ValueError(f"dialect must be one of {sorted(_DIALECTS)}, not {self.dialect!r}")
        if self.max_rows < 1 or self.max_sql_chars < 1:
            raise ValueError("max_rows and max_sql_chars must be positive")
        relations = {
            key.lower(): (None if cols is None else frozenset(c.lower() for c in cols))
            for key, cols in self.allowed_relations.items()
        }
        for key in relations:
            if key.count(".") != 1:
                raise ValueError(f"allowed relation {key!r} is not schema.name")
        object.__setattr__(self, "allowed_relations", MappingProxyType(relations))
        object.__setattr__(
            self, "personal_columns", frozenset(c.lower() for c in self.personal_columns)
        )
        object.__setattr__(
            self, "allowed_functions", frozenset(f.lower() for f in self.allowed_functions)
        )


@dataclass(frozen=True)
class GuardedQuery:
    """A statement that passed the guard: run ``sql``, nothing else."""

    sql: str
    relations: frozenset[str]
    columns: tuple[str, ...] = field(default=())


REPORTING_RELATIONS: Final[tuple[str, ...]] = (
    "rpt_daily_sales",
    "rpt_product_performance",
    "rpt_weekly_kpis",
    "rpt_monthly_region_targets",
    "rpt_customer_counts",
)
PROCESSED_RELATIONS: Final[tuple[str, ...]] = (
    "dim_customers",
    "dim_products",
    "dim_dates",
    "fct_orders",
    "fct_order_items",
    "fct_order_item_margins",
    "sales_targets",
    "countries",
    # The semantic layer's own relations (MetricFlow's SQL reads them).
    "sem_regional_order_items",
    "metricflow_time_spine",
)
# dim_customers has no personal data today; listing its columns keeps it so
# if someone adds one (``*`` over it is refused, columns must be named).
DIM_CUSTOMERS_COLUMNS: Final[frozenset[str]] = frozenset(
    {
        "customer_key",
        "country_code",
        "country_name",
        "region",
        "segment",
        "signed_up_at",
        "first_order_date",
        "updated_at",
    }
)


def default_policy(
    dialect: str, schema_prefix: str | None = None, *, database: str | None = None
) -> GuardPolicy:
    """The policy for questions: the public reporting tables and the processed
    facts, dimensions and seeds; nothing from ``raw_data``, ``monitoring``,
    ``monitoring_raw``, ``information_schema`` or staging/intermediate/snapshot
    models. ``schema_prefix`` is the target schema of a non-production target
    (its schemas are ``<prefix>_reporting`` ...); ``database`` the catalog
    fully qualified names may carry (Snowflake's ``DB.REPORTING.RPT_X``)."""
    relations: dict[str, frozenset[str] | None] = {
        f"reporting.{name}": None for name in REPORTING_RELATIONS
    }
    relations.update({f"processed_data.{name}": None for name in PROCESSED_RELATIONS})
    relations["processed_data.dim_customers"] = DIM_CUSTOMERS_COLUMNS
    return GuardPolicy(
        dialect=dialect,
        allowed_relations=relations,
        database=database,
        schema_prefix=schema_prefix,
    )
