# mypy: disable-error-code="import-untyped"
"""The raw tables of the raw-data contract (``docs/raw-data.md``): names,
columns and types, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pyarrow as pa

RAW_SCHEMA = "raw_data"


class TableKind(Enum):
    #: Append-only change log: every call appends the rows that landed.
    CDC = "cdc"
    #: Current state only: every call replaces the table.
    EXTRACT = "extract"
    #: Append-only reference rows (exchange rates).
    APPEND = "append"


@dataclass(frozen=True)
class Column:
    name: str
    #: Contract type, spelled as in docs/raw-data.md (DuckDB accepts it as is).
    sql_type: str
    arrow_type: pa.DataType


@dataclass(frozen=True)
class TableSpec:
    name: str
    kind: TableKind
    columns: tuple[Column, ...]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow_type) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


_TS = pa.timestamp("us")
_MONEY = pa.decimal128(12, 2)


def _col(name: str, sql_type: str, arrow_type: pa.DataType) -> Column:
    return Column(name, sql_type, arrow_type)


_CDC_COLUMNS = (
    _col("_cdc_op", "VARCHAR(1)", pa.string()),
    _col("_cdc_ts", "TIMESTAMP", _TS),
    _col("_cdc_lsn", "BIGINT", pa.int64()),
    _col("_loaded_at", "TIMESTAMP", _TS),
)

SHOP_ORDERS = TableSpec(
    "shop_orders",
    TableKind.CDC,
    (
        _col("order_id", "BIGINT", pa.int64()),
        _col("customer_id", "BIGINT", pa.int64()),
        _col("order_ts", "TIMESTAMP", _TS),
        _col("channel", "VARCHAR", pa.string()),
        _col("status", "VARCHAR", pa.string()),
        _col("currency", "VARCHAR(3)", pa.string()),
        *_CDC_COLUMNS,
    ),
)

SHOP_ORDER_ITEMS = TableSpec(
    "shop_order_items",
    TableKind.CDC,
    (
        _col("order_item_id", "BIGINT", pa.int64()),
        _col("order_id", "BIGINT", pa.int64()),
        _col("product_id", "BIGINT", pa.int64()),
        _col("quantity", "INTEGER", pa.int32()),
        _col("unit_price", "DECIMAL(12,2)", _MONEY),
        _col("discount_amount", "DECIMAL(12,2)", _MONEY),
        *_CDC_COLUMNS,
    ),
)

SHOP_CUSTOMERS = TableSpec(
    "shop_customers",
    TableKind.EXTRACT,
    (
        _col("customer_id", "BIGINT", pa.int64()),
        _col("email", "VARCHAR", pa.string()),
        _col("full_name", "VARCHAR", pa.string()),
        _col("country_code", "VARCHAR(2)", pa.string()),
        _col("segment", "VARCHAR", pa.string()),
        _col("signup_at", "TIMESTAMP", _TS),
        _col("updated_at", "TIMESTAMP", _TS),
        _col("_loaded_at", "TIMESTAMP", _TS),
    ),
)

SHOP_PRODUCTS = TableSpec(
    "shop_products",
    TableKind.EXTRACT,
    (
        _col("product_id", "BIGINT", pa.int64()),
        _col("sku", "VARCHAR", pa.string()),
        _col("product_name", "VARCHAR", pa.string()),
        _col("category", "VARCHAR", pa.string()),
        _col("unit_cost", "DECIMAL(12,2)", _MONEY),
        _col("list_price", "DECIMAL(12,2)", _MONEY),
        _col("is_active", "BOOLEAN", pa.bool_()),
        _col("updated_at", "TIMESTAMP", _TS),
        _col("_loaded_at", "TIMESTAMP", _TS),
    ),
)

FX_RATES = TableSpec(
    "fx_rates",
    TableKind.APPEND,
    (
        _col("rate_date", "DATE", pa.date32()),
        _col("currency", "VARCHAR(3)", pa.string()),
        _col("usd_per_unit", "DECIMAL(18,8)", pa.decimal128(18, 8)),
        _col("_loaded_at", "TIMESTAMP", _TS),
    ),
)

RAW_TABLES: tuple[TableSpec, ...] = (
    SHOP_ORDERS,
    SHOP_ORDER_ITEMS,
    SHOP_CUSTOMERS,
    SHOP_PRODUCTS,
    FX_RATES,
)


def build_table(spec: TableSpec, columns: dict[str, pa.Array]) -> pa.Table:
    """An Arrow table in the spec's column order and types."""
    missing = set(spec.column_names) - set(columns)
    if missing:
        raise ValueError(f"{spec.name}: missing columns {sorted(missing)}")
    return pa.Table.from_arrays(
        [columns[name] for name in spec.column_names], schema=spec.arrow_schema
    )
