"""What ``increment`` needs to continue a history, stored in the warehouse itself.

It lives in ``_generator.state`` (one row), outside ``raw_data`` so dbt
sources never see it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from orchestration.generator.config import DEFECTS
from orchestration.generator.errors import GeneratorError

STATE_SCHEMA = "_generator"
STATE_TABLE = "state"
#: Bumped when the world model changes so that old histories cannot be
#: continued with a different world.
FORMAT_VERSION = 1
#: (column, SQL type) of the state table.
STATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("format_version", "INTEGER"),
    ("seed", "BIGINT"),
    ("scale", "DOUBLE"),
    ("defect_rates", "VARCHAR"),
    ("start_date", "DATE"),
    ("end_date", "DATE"),
    ("updated_at", "TIMESTAMP"),
)


@dataclass(frozen=True)
class GeneratorState:
    seed: int
    scale: float
    defect_rates: dict[str, float]
    #: First order day of the history.
    start_date: dt.date
    #: Last day generated so far.
    end_date: dt.date

    def to_row(self) -> tuple[Any, ...]:
        """Values in :data:`STATE_COLUMNS` order."""
        return (
            FORMAT_VERSION,
            self.seed,
            self.scale,
            json.dumps(self.defect_rates, sort_keys=True),
            self.start_date,
            self.end_date,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> GeneratorState:
        version, seed, scale, rates, start, end, _ = row
        if version != FORMAT_VERSION:
            raise GeneratorError(
                f"the raw data was written by an incompatible generator (state format {version}, "
                f"this one writes {FORMAT_VERSION}): run a full generate instead of an increment"
            )
        defect_rates = {str(k): float(v) for k, v in json.loads(rates).items()}
        if set(defect_rates) != set(DEFECTS):
            raise GeneratorError(
                "the generator state in this warehouse is damaged: run a full generate"
            )
        return cls(
            seed=int(seed),
            scale=float(scale),
            defect_rates=defect_rates,
            start_date=_as_date(start),
            end_date=_as_date(end),
        )


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
