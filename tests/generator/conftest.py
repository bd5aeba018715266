"""Generated histories shared by the generator tests (small scales, real DuckDB files)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.generator import (
    DuckDBSink,
    GenerationSummary,
    GeneratorConfig,
    Progress,
    generate,
)

END = dt.date(2026, 6, 30)
START = END - dt.timedelta(days=730)
SCALE = 0.02
COUNTRIES_CSV = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "countries.csv"


def horizon(end: dt.date) -> dt.datetime:
    """The load horizon of a run ending on ``end``."""
    return dt.datetime.combine(end + dt.timedelta(days=1), dt.time())


def generate_into(path: Path, progress: Progress | None = None, **config: Any) -> GenerationSummary:
    """Generate into a DuckDB file; config defaults: scale 0.02, ending 2026-06-30."""
    config.setdefault("end_date", END)
    config.setdefault("scale", SCALE)
    with DuckDBSink(path) as sink:
        return generate(GeneratorConfig(**config), sink, progress)


Query = Callable[[str], list[tuple[Any, ...]]]


def query(path: Path) -> Query:
    """Run SQL read-only against a generated file; the countries seed is view ``countries``."""

    def run(sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(path), read_only=True) as con:
            con.execute(f"create temp view countries as select * from read_csv('{COUNTRIES_CSV}')")
            return con.execute(sql).fetchall()

    return run


def scalar(q: Query, sql: str) -> Any:
    return q(sql)[0][0]


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """Scale 0.02, seed 42, default defect rates, ending 2026-06-30."""
    path = tmp_path_factory.mktemp("generator") / "history.duckdb"
    generate_into(path)
    return query(path)


@pytest.fixture(scope="session")
def defective(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """Every defect at 5%."""
    path = tmp_path_factory.mktemp("generator") / "defective.duckdb"
    generate_into(path, defect_rate=0.05)
    return query(path)


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """Every defect at 0 except null customers (overridden to 10%)."""
    path = tmp_path_factory.mktemp("generator") / "clean.duckdb"
    generate_into(path, defect_rate=0.0, defect_rates={"null_customer": 0.1})
    return query(path)
