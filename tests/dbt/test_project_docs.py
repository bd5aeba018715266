"""The dbt project documents everything, keeps reporting public and
contracted, and its docs site matches the published warehouse."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pytest

from analytics_core.settings import Settings

pytestmark = pytest.mark.slow

SCHEMAS = {"processed_data", "reporting", "monitoring"}
PROJECT = "analytics_platform"


@pytest.fixture(scope="module")
def artifacts(small_warehouse: Settings) -> dict[str, Any]:
    docs = small_warehouse.docs_dir
    return {
        "manifest": json.loads((docs / "manifest.json").read_text()),
        "catalog": json.loads((docs / "catalog.json").read_text()),
        "index": (docs / "index.html").read_text(),
    }


def project_nodes(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed", "snapshot")
        and node["package_name"] == "analytics_platform"
    ]


def test_every_model_seed_snapshot_and_source_is_described(artifacts: dict[str, Any]) -> None:
    manifest = artifacts["manifest"]
    nodes = project_nodes(manifest)
    assert len(nodes) >= 20
    undocumented = [n["unique_id"] for n in nodes if not n["description"].strip()]
    undocumented += [
        s["unique_id"]
        for s in manifest["sources"].values()
        if not s["description"].strip()
        or any(not c["description"].strip() for c in s["columns"].values())
    ]
    assert not undocumented, undocumented


def test_every_column_in_the_warehouse_is_described(artifacts: dict[str, Any]) -> None:
    """Columns as the warehouse has them (catalog.json), not only as YAML lists them."""
    manifest, catalog = artifacts["manifest"], artifacts["catalog"]
    missing = []
    for node in project_nodes(manifest):
        built = catalog["nodes"].get(node["unique_id"])
        if built is None:
            continue
        described = {
            name.lower() for name, column in node["columns"].items() if column["description"]
        }
        missing += [
            f"{node['name']}.{name}" for name in built["columns"] if name.lower() not in described
        ]
    assert not missing, missing


def test_reporting_models_are_public_contracted_and_the_rest_is_not(
    artifacts: dict[str, Any],
) -> None:
    for node in project_nodes(artifacts["manifest"]):
        if node["resource_type"] != "model":
            continue
        schema = node["config"]["schema"]
        if node["name"].startswith("rpt_"):
            assert schema == "reporting"
            assert node["access"] == "public", node["name"]
            assert node["config"]["contract"]["enforced"], node["name"]
        else:
            assert node["access"] != "public", node["name"]


def test_published_warehouse_has_exactly_the_four_schemas(small_warehouse: Settings) -> None:
    with duckdb.connect(str(small_warehouse.warehouse_path), read_only=True) as con:
        schemas = {
            name
            for (name,) in con.execute(
                "select schema_name from duckdb_schemas() where not internal"
            ).fetchall()
        }
    assert SCHEMAS | {"raw_data"} <= schemas
    # nothing prefixed or stray on the local (production-named) target
    assert not {s for s in schemas if s.endswith(tuple(SCHEMAS)) and s not in SCHEMAS}


def test_docs_site_is_generated(artifacts: dict[str, Any]) -> None:
    assert "<html" in artifacts["index"].lower()
    assert "model.analytics_platform.rpt_daily_sales" in artifacts["catalog"]["nodes"]


def test_the_docs_site_opens_with_the_metrics_glossary(artifacts: dict[str, Any]) -> None:
    """The site's overview is the project's own page, with the glossary
    written from the semantic layer: every metric a caller may name."""
    manifest = artifacts["manifest"]
    overview = manifest["docs"].get(f"doc.{PROJECT}.__overview__")
    assert overview is not None, "no __overview__ doc block in the project"
    text = overview["block_contents"]
    assert "Metrics glossary" in text
    public = [
        m["name"]
        for m in manifest["metrics"].values()
        if not (m.get("config") or {}).get("meta", {}).get("internal")
    ]
    assert len(public) >= 12
    missing = [name for name in public if f"`{name}`" not in text]
    assert not missing, missing
