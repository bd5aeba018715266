"""The project's key and not-null tests: one query per model
(``primary_key``, ``not_null_columns``), and what they catch.

Each data test is a dbt node, and dbt's own work per node is most of a small
build, so keys and not-null columns are declared once per model rather than
as a ``unique`` and a ``not_null`` test per column. These tests run the SQL
dbt compiled for them (from the published docs manifest) against a copy of
the built warehouse, clean and then broken on purpose."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analytics_core.settings import Settings
from tests.dbt.evaluator import exceptions

pytestmark = pytest.mark.slow

PROJECT = "analytics_platform"


@pytest.fixture(scope="module")
def manifest(small_warehouse: Settings) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((small_warehouse.docs_dir / "manifest.json").read_text())
    return loaded


def generic_tests(manifest: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node["package_name"] == PROJECT
        and (node.get("test_metadata") or {}).get("name") == name
    ]


def model_of(manifest: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    (parent,) = [uid for uid in test["depends_on"]["nodes"] if not uid.startswith("macro.")]
    node: dict[str, Any] = manifest["nodes"][parent]
    return node


def find_test(manifest: dict[str, Any], name: str, model: str) -> dict[str, Any]:
    (test,) = [t for t in generic_tests(manifest, name) if model_of(manifest, t)["name"] == model]
    return test


@pytest.fixture
def broken_copy(small_warehouse: Settings, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable copy of the published warehouse under the same file name,
    so the catalog name in the compiled SQL still resolves."""
    copy = tmp_path / small_warehouse.warehouse_path.name
    shutil.copyfile(small_warehouse.warehouse_path, copy)
    con = duckdb.connect(str(copy))
    yield con
    con.close()


def failures(con: duckdb.DuckDBPyConnection, test: dict[str, Any]) -> list[tuple[Any, ...]]:
    return con.execute(test["compiled_code"]).fetchall()


def test_column_tests_are_folded_into_one_test_per_model(manifest: dict[str, Any]) -> None:
    """No ``unique`` or ``not_null`` test on a single column is left: each would
    be a node of its own. Models state their key with ``primary_key`` and
    their other required columns with ``not_null_columns``."""
    per_column = generic_tests(manifest, "unique") + generic_tests(manifest, "not_null")
    assert not per_column, sorted(t["name"] for t in per_column)
    keys = generic_tests(manifest, "primary_key")
    not_nulls = generic_tests(manifest, "not_null_columns")
    assert len(keys) >= 20 and len(not_nulls) >= 20
    # Named after the model they test, so a failure in the logs and the
    # monitoring tables says where to look.
    for test in keys + not_nulls:
        model = model_of(manifest, test)["name"]
        assert test["name"].endswith(model) or f"{model}_" in test["name"], test["name"]
        columns = test["test_metadata"]["kwargs"]["columns"]
        assert isinstance(columns, list) and columns, test["name"]


# Models with no primary-key test, each on purpose and with its reason
# (logs whose rows repeat by design have no column set that is unique).
NO_PRIMARY_KEY = exceptions("fct_missing_primary_key_tests")


def test_every_model_seed_and_snapshot_has_a_primary_key_test(manifest: dict[str, Any]) -> None:
    """Each relation the project builds states its key with ``primary_key``,
    except the deliberate exceptions above (and each exception still exists,
    so the list cannot go stale)."""
    keyed = {model_of(manifest, t)["unique_id"] for t in generic_tests(manifest, "primary_key")}
    built = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed", "snapshot")
        and node["package_name"] == PROJECT
    }
    missing = sorted(
        node["name"]
        for uid, node in built.items()
        if uid not in keyed and node["name"] not in NO_PRIMARY_KEY
    )
    assert not missing, missing
    names = {node["name"] for node in built.values()}
    assert set(NO_PRIMARY_KEY) <= names, set(NO_PRIMARY_KEY) - names
    excepted = {uid for uid, node in built.items() if node["name"] in NO_PRIMARY_KEY}
    assert not excepted & keyed, "an exception has a primary-key test: drop it from the list"
    assert {"seed", "snapshot"} <= {built[uid]["resource_type"] for uid in keyed}


def test_every_key_and_not_null_test_passes_on_the_built_warehouse(
    manifest: dict[str, Any], broken_copy: duckdb.DuckDBPyConnection
) -> None:
    tests = generic_tests(manifest, "primary_key") + generic_tests(manifest, "not_null_columns")
    failing = {t["name"]: failures(broken_copy, t) for t in tests}
    assert not {name: rows for name, rows in failing.items() if rows}


def test_primary_key_catches_a_duplicate_and_a_null_key(
    manifest: dict[str, Any], broken_copy: duckdb.DuckDBPyConnection
) -> None:
    test = find_test(manifest, "primary_key", "dim_customers")
    assert test["test_metadata"]["kwargs"]["columns"] == ["customer_key"]
    table = "processed_data.dim_customers"
    (existing,) = broken_copy.execute(f"select max(customer_key) from {table}").fetchone() or (
        None,
    )
    broken_copy.execute(
        f"insert into {table} select * from {table} where customer_key = ?", [existing]
    )
    broken_copy.execute(f"insert into {table} (customer_key) values (null)")
    rows = failures(broken_copy, test)
    # One row per offending key, with how often it occurs.
    assert sorted(rows, key=lambda r: (r[0] is None, r[0])) == [(existing, 2), (None, 1)]


def test_not_null_columns_returns_each_row_with_a_null_in_any_column(
    manifest: dict[str, Any], broken_copy: duckdb.DuckDBPyConnection
) -> None:
    test = find_test(manifest, "not_null_columns", "dim_products")
    columns = test["test_metadata"]["kwargs"]["columns"]
    assert len(columns) >= 2, columns
    table = "processed_data.dim_products"
    key = "product_key"
    ids = [
        r[0]
        for r in broken_copy.execute(f"select {key} from {table} order by {key} limit 2").fetchall()
    ]
    assert len(ids) == 2
    # The first row loses the first column, the second row the last one.
    broken_copy.execute(f"update {table} set {columns[0]} = null where {key} = ?", [ids[0]])
    broken_copy.execute(f"update {table} set {columns[-1]} = null where {key} = ?", [ids[1]])
    rows = failures(broken_copy, test)
    assert len(rows) == 2
    nulls = sorted(tuple(i for i, value in enumerate(row) if value is None) for row in rows)
    assert nulls == sorted([(0,), (len(columns) - 1,)])
