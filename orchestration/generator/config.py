"""What a caller can ask of the generator, and the checks on it."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from orchestration.generator.errors import GeneratorError
from orchestration.generator.timeline import MAX_END_DATE, MIN_END_DATE

#: Every defect the generator can inject (keys of ``defect_rates``).
DEFECTS: tuple[str, ...] = (
    "duplicate_cdc",
    "null_customer",
    "orphan_product",
    "nonpositive_quantity",
    "future_order",
    "late_arrival",
    "fx_gap",
)
#: The largest scale measured to generate and build within this machine's 24 GiB
#: (benchmarks/bench_build.py; about 30 M order items).
MAX_SCALE = 30.0
MAX_DEFECT_RATE = 0.2
MAX_SEED = 2**63 - 1
MAX_INCREMENT_DAYS = 366


@dataclass(frozen=True)
class GeneratorConfig:
    """Arguments of :func:`~orchestration.generator.generate`.

    ``scale`` 1 is about 1,000,000 order items over the two years of history.
    ``defect_rate`` is the rate of every defect unless ``defect_rates``
    overrides it for a defect named in :data:`DEFECTS`.
    """

    seed: int = 42
    scale: float = 1.0
    end_date: dt.date | None = None
    defect_rate: float = 0.005
    defect_rates: Mapping[str, float] = field(default_factory=dict)

    def validate(self) -> None:
        """Raise :class:`GeneratorError` naming the first bad argument."""
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise GeneratorError(f"seed must be an integer (got {self.seed!r})")
        if not 0 <= self.seed <= MAX_SEED:
            raise GeneratorError(f"seed must be between 0 and 2**63-1 (got {self.seed})")
        if not _is_number(self.scale) or not 0 < self.scale <= MAX_SCALE:
            raise GeneratorError(
                f"scale must be greater than 0 and at most {MAX_SCALE:g} (got {self.scale!r})"
            )
        if self.end_date is not None:
            if not isinstance(self.end_date, dt.date) or isinstance(self.end_date, dt.datetime):
                raise GeneratorError(f"end_date must be a date (got {self.end_date!r})")
            check_end_date(self.end_date, "end_date")
        _check_rate("defect_rate", self.defect_rate)
        for name, rate in self.defect_rates.items():
            if name not in DEFECTS:
                raise GeneratorError(
                    f"defect_rates: unknown defect {name!r}; allowed: {', '.join(DEFECTS)}"
                )
            _check_rate(f"defect_rates[{name}]", rate)

    def resolved_rates(self) -> dict[str, float]:
        """The rate of every defect, overrides applied."""
        return {name: float(self.defect_rates.get(name, self.defect_rate)) for name in DEFECTS}


def check_end_date(end_date: dt.date, what: str) -> None:
    if not MIN_END_DATE <= end_date <= MAX_END_DATE:
        raise GeneratorError(
            f"{what} must be between {MIN_END_DATE} and {MAX_END_DATE} (got {end_date})"
        )


def check_increment_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int):
        raise GeneratorError(f"days must be an integer (got {days!r})")
    if not 1 <= days <= MAX_INCREMENT_DAYS:
        raise GeneratorError(f"days must be between 1 and {MAX_INCREMENT_DAYS} (got {days})")
    return days


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _check_rate(name: str, rate: object) -> None:
    if not _is_number(rate) or not 0 <= float(rate) <= MAX_DEFECT_RATE:  # type: ignore[arg-type]
        raise GeneratorError(f"{name} must be between 0 and {MAX_DEFECT_RATE:g} (got {rate!r})")
