"""The local engine's vocabulary comes from the semantic layer: a synonym, a
value synonym or a question dimension added to the semantic YAML alone (in a
copy of the dbt project, parsed by the real dbt) is understood, with no
Python change; bad ``meta`` is a clear error."""

from __future__ import annotations

import copy
import datetime
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from analytics_core.settings import PROJECT_ROOT
from questions.answers import Filter
from questions.local import LocalQuestionEngine
from questions.local.vocabulary import build_vocabulary, question_dimensions
from questions.semantic import (
    SemanticLayer,
    SemanticLayerError,
    parse_semantic_manifest,
)

AS_OF = datetime.date(2026, 6, 15)
SEMANTIC = Path("dbt_project") / "models" / "semantic"
#: Values of the question dimensions, as the warehouse would give them.
VALUES = {
    "customer__region": ["AMER", "APAC", "EMEA", "UNKNOWN"],
    "customer__country_code": ["DE", "GB", "US"],
    "order__channel": ["mobile", "partner", "store", "web"],
}
QUESTION = "gmv in the old world by iso country"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def changed_layer(tmp_path_factory: pytest.TempPathFactory) -> SemanticLayer:
    """A copy of the dbt project whose semantic YAML (only) says more: a metric
    synonym, a value synonym and one more question dimension."""
    copy_dir = tmp_path_factory.mktemp("project")
    for name in ("dbt_project.yml", "profiles.yml.example", "selectors.yml"):
        shutil.copy(PROJECT_ROOT / name, copy_dir / name)
    shutil.copytree(
        PROJECT_ROOT / "dbt_project",
        copy_dir / "dbt_project",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    metrics = copy_dir / SEMANTIC / "_metrics.yml"
    models = copy_dir / SEMANTIC / "_semantic_models.yml"
    _edit(metrics, "synonyms: [sales, turnover,", "synonyms: [gmv, sales, turnover,")
    _edit(
        models,
        "              EMEA: [europe middle east and africa,",
        "              EMEA: [the old world, europe middle east and africa,",
    )
    _edit(
        models,
        "            synonyms: [iso country, country iso code, iso country code, iso code]\n",
        "            synonyms: [iso country, country iso code, iso country code, iso code]\n"
        "            question_order: 8\n",
    )
    return SemanticLayer(parse_semantic_manifest(copy_dir))


@pytest.fixture(scope="module")
def own_layer() -> SemanticLayer:
    return SemanticLayer.load()


def test_yaml_alone_teaches_the_engine_a_synonym_a_value_and_a_dimension(
    changed_layer: SemanticLayer,
) -> None:
    engine = LocalQuestionEngine(changed_layer, values=VALUES)
    assert engine.vocabulary.question_dimensions[-1] == "customer__country_code"
    answer = engine.interpret(QUESTION, as_of=AS_OF)
    assert answer.status == "answered", answer.explanation
    assert answer.interpretation is not None
    assert answer.interpretation.metrics == ("revenue",)
    assert answer.interpretation.group_by == ("customer__country_code",)
    assert answer.interpretation.filters == (Filter("customer__region", ("EMEA",)),)
    assert answer.sql is not None and "'EMEA'" in answer.sql and "country_code" in answer.sql
    # Suggestions name the new dimension too (after the others, as ordered).
    clarify = engine.interpret("new customers by channel", as_of=AS_OF)
    assert clarify.status == "clarify"
    assert any("country code" in s for s in clarify.suggestions), clarify.suggestions


def test_the_projects_own_layer_does_not_know_them(own_layer: SemanticLayer) -> None:
    engine = LocalQuestionEngine(own_layer, values=VALUES)
    assert "customer__country_code" not in engine.vocabulary.question_dimensions
    answer = engine.interpret(QUESTION, as_of=AS_OF)
    assert answer.status == "clarify", answer.explanation


def test_question_dimensions_and_targets_are_read_from_meta(own_layer: SemanticLayer) -> None:
    vocabulary = build_vocabulary(own_layer, {})
    assert vocabulary.question_dimensions == (
        "customer__region",
        "customer__country",
        "customer__segment",
        "product__category",
        "product__product_name",
        "order__channel",
        "order__order_status",
    )
    assert vocabulary.suggested_metrics == ("revenue", "orders", "average_order_value")
    assert vocabulary.target_metrics == ("target_revenue", "target_attainment")
    assert vocabulary.stand_ins == {
        "revenue": "regional_revenue",
        "customer__region": "sales_region",
    }


def _with_meta(layer: SemanticLayer, dimension: str, **meta: Any) -> SemanticLayer:
    """``layer``'s manifest with ``meta`` set on a dimension of ``customers``."""
    raw = copy.deepcopy(json.loads(json.dumps(layer.raw_manifest)))
    model = next(m for m in raw["semantic_models"] if m["name"] == "customers")
    item = next(d for d in model["dimensions"] if d["name"] == dimension)
    item.setdefault("config", {}).setdefault("meta", {}).update(meta)
    return SemanticLayer(raw)


@pytest.mark.parametrize(
    ("dimension", "meta", "message"),
    [
        ("region", {"question_order": "first"}, "meta.question_order of customer__region"),
        ("first_order_date", {"question_order": 9}, "is for categorical dimensions"),
        ("segment", {"value_synonyms": ["smb"]}, "meta.value_synonyms of customer__segment"),
    ],
)
def test_bad_meta_is_a_clear_error(
    own_layer: SemanticLayer, dimension: str, meta: dict[str, Any], message: str
) -> None:
    bad = _with_meta(own_layer, dimension, **meta)
    with pytest.raises(SemanticLayerError, match=message):
        build_vocabulary(bad, {"customer__segment": ["consumer"]})


def test_a_manifest_without_question_dimensions_says_to_rebuild(
    own_layer: SemanticLayer,
) -> None:
    raw = json.loads(json.dumps(own_layer.raw_manifest))
    for model in raw["semantic_models"]:
        for item in model.get("dimensions", []):
            ((item.get("config") or {}).get("meta") or {}).pop("question_order", None)
    with pytest.raises(SemanticLayerError, match="analytics build"):
        question_dimensions(SemanticLayer(raw))
