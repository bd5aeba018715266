"""The dbt project's layers, read from the manifest of a real build: only
staging (and the deliberate exceptions named here) reads sources, and every
model's parents are real ``ref()`` calls, never ``-- depends_on:`` comments."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from analytics_core.settings import Settings
from tests.dbt.evaluator import exceptions

pytestmark = pytest.mark.slow

PROJECT = "analytics_platform"

# Models outside staging that read a source, each on purpose: the raw-volume
# monitor, which watches what landed itself.
READS_SOURCES = set(exceptions("fct_marts_or_intermediate_dependent_on_source"))


@pytest.fixture(scope="module")
def models(small_warehouse: Settings) -> dict[str, dict[str, Any]]:
    manifest = json.loads((small_warehouse.docs_dir / "manifest.json").read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == PROJECT
    }


def test_only_staging_and_the_listed_exceptions_read_sources(
    models: dict[str, dict[str, Any]],
) -> None:
    reading = {
        name
        for name, node in models.items()
        if any(parent.startswith("source.") for parent in node["depends_on"]["nodes"])
    }
    assert {name for name in reading if name.startswith("stg_")}, "staging reads sources"
    outside = {name for name in reading if not name.startswith("stg_")}
    assert outside == READS_SOURCES == {"raw_volume_daily"}
    # Staging models live in models/staging/ and are named after their source.
    for name in reading - READS_SOURCES:
        assert models[name]["original_file_path"].startswith("dbt_project/models/staging/"), name
        assert re.fullmatch(r"stg_[a-z][a-z_]*__[a-z_]+", name), name


def test_no_model_declares_a_parent_in_a_comment(models: dict[str, dict[str, Any]]) -> None:
    commented = sorted(name for name, node in models.items() if "depends_on:" in node["raw_code"])
    assert not commented, commented


def test_the_incremental_models_read_the_high_water_mark_model(
    models: dict[str, dict[str, Any]],
) -> None:
    """A parent only the incremental branch reads is still a parent: dbt
    parses a model as a full build, so these hold only if every ``ref()`` is
    made where the parser sees it."""
    mark = f"model.{PROJECT}.int_raw__high_water_mark"
    for name in ("int_orders__changed", "fct_orders", "fct_order_items", "quarantined_rows"):
        parents = models[name]["depends_on"]["nodes"]
        assert mark in parents, name
        assert f"model.{PROJECT}.stg_shop__orders" in parents, name
    for name in ("fct_orders", "fct_order_items", "quarantined_rows"):
        assert f"model.{PROJECT}.int_orders__changed" in models[name]["depends_on"]["nodes"]
    for name in ("rpt_daily_sales", "rpt_weekly_kpis", "rpt_customer_counts"):
        parents = models[name]["depends_on"]["nodes"]
        assert f"model.{PROJECT}.int_orders__changed_periods" in parents, name
