"""Who owns a finding: dbt ``meta.owner`` read from the manifest of the last
build, wherever that build wrote it (the published docs locally, the
``target-<target>/`` folder of a build on Snowflake, where nothing is
published: the AWS build task evaluates its alerts from there)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from analytics_core.data_quality_findings import Owners
from analytics_core.settings import Settings


def _manifest(owner: str) -> dict[str, object]:
    return {
        "nodes": {
            "model.p.stg_orders": {"config": {"meta": {"owner": owner}}, "depends_on": {}},
            "test.p.not_null_stg_orders_id": {
                "config": {"meta": {}},
                "depends_on": {"nodes": ["model.p.stg_orders"]},
            },
        },
        "sources": {
            "source.p.raw_data.orders": {
                "source_name": "raw_data",
                "name": "orders",
                "meta": {"owner": "platform"},
            }
        },
    }


def _write(path: Path, owner: str, mtime: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_manifest(owner)), encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def _owner_of_the_test(settings: Settings) -> str | None:
    owners = Owners.from_file(settings.built_artifact("manifest.json"))
    return owners.of_node("test.p.not_null_stg_orders_id")


def test_the_owner_comes_from_the_newest_place_a_build_wrote(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert settings.built_artifact("manifest.json") is None
    assert _owner_of_the_test(settings) is None  # nothing built: owned by nobody

    # Two Snowflake targets: the newest build's manifest.
    _write(settings.dbt_dir / "target-dev" / "manifest.json", "dev_team", mtime=1_000)
    _write(settings.dbt_dir / "target-prod" / "manifest.json", "prod_team", mtime=2_000)
    assert _owner_of_the_test(settings) == "prod_team"
    # A local build's target wins over them; the published docs over that.
    _write(settings.dbt_target_path / "manifest.json", "local_team")
    assert _owner_of_the_test(settings) == "local_team"
    _write(settings.docs_dir / "manifest.json", "published_team")
    assert _owner_of_the_test(settings) == "published_team"


def test_sources_are_owned_by_name_and_a_damaged_manifest_owns_nothing(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    _write(settings.docs_dir / "manifest.json", "data_engineering")
    owners = Owners.from_file(settings.built_artifact("manifest.json"))
    assert owners.of_table("raw_data.orders") == owners.of_table("raw_data_orders") == "platform"
    assert owners.of_node("model.p.unknown") is None
    (settings.docs_dir / "manifest.json").write_text("{not json", encoding="utf-8")
    assert _owner_of_the_test(settings) is None
