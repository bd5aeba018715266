"""Bad arguments fail early with one clear line naming the argument."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from orchestration.generator import DuckDBSink, GeneratorConfig, GeneratorError, increment
from tests.generator.conftest import generate_into


@pytest.mark.parametrize(
    ("config", "names"),
    [
        (GeneratorConfig(scale=0), "scale"),
        (GeneratorConfig(scale=-1), "scale"),
        (GeneratorConfig(scale=1000), "scale"),
        (GeneratorConfig(scale=float("nan")), "scale"),
        (GeneratorConfig(defect_rate=2), "defect_rate"),
        (GeneratorConfig(defect_rate=-0.1), "defect_rate"),
        (GeneratorConfig(defect_rates={"fx_gap": 0.5}), "defect_rates[fx_gap]"),
        (GeneratorConfig(defect_rates={"typo": 0.1}), "unknown defect 'typo'"),
        (GeneratorConfig(seed=-1), "seed"),
        (GeneratorConfig(end_date=dt.date(1999, 1, 1)), "end_date"),
    ],
)
def test_invalid_config_names_the_argument(config: GeneratorConfig, names: str) -> None:
    with pytest.raises(GeneratorError) as error:
        config.validate()
    message = str(error.value)
    assert names in message
    assert "\n" not in message


def test_messages_state_the_allowed_range() -> None:
    with pytest.raises(GeneratorError, match=r"greater than 0 and at most 30 \(got 0\)"):
        GeneratorConfig(scale=0).validate()
    with pytest.raises(GeneratorError, match=r"between 0 and 0.2 \(got 2\)"):
        GeneratorConfig(defect_rate=2).validate()
    with pytest.raises(GeneratorError, match="allowed: duplicate_cdc, null_customer"):
        GeneratorConfig(defect_rates={"typo": 0.1}).validate()


def test_valid_config_passes() -> None:
    GeneratorConfig(scale=30, defect_rate=0.2, defect_rates={"late_arrival": 0}).validate()
    assert GeneratorConfig(defect_rates={"fx_gap": 0.1}).resolved_rates()["fx_gap"] == 0.1
    assert GeneratorConfig(defect_rate=0.01).resolved_rates()["late_arrival"] == 0.01


def test_generate_validates_before_writing(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError, match="scale"):
        generate_into(tmp_path / "w.duckdb", scale=0)
    with DuckDBSink(tmp_path / "w.duckdb") as sink:
        assert sink.read_state() is None


def test_increment_without_generate(tmp_path: Path) -> None:
    with (
        DuckDBSink(tmp_path / "empty.duckdb") as sink,
        pytest.raises(GeneratorError, match="run generate first"),
    ):
        increment(5, sink)


@pytest.mark.parametrize("days", [0, -3, 367])
def test_increment_days_out_of_range(tmp_path: Path, days: int) -> None:
    with (
        DuckDBSink(tmp_path / "w.duckdb") as sink,
        pytest.raises(GeneratorError, match=r"days must be between 1 and 366"),
    ):
        increment(days, sink)
