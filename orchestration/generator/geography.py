"""Countries, regions and currencies, read from the project's ``countries`` seed.

The list of countries lives in ``dbt_project/seeds/countries.csv`` only; this
module derives the customer mix from it:

* region shares: AMER 45%, EMEA 35%, APAC 20%;
* within a region, country weights fall off with the country's position in the
  seed file (weight 1/rank), so the first-listed country of each region is its
  biggest market.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analytics_core.settings import PROJECT_ROOT
from orchestration.generator.arrays import F64, I64
from orchestration.generator.errors import GeneratorError

COUNTRIES_SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "countries.csv"
REGION_SHARES: dict[str, float] = {"AMER": 0.45, "EMEA": 0.35, "APAC": 0.20}
REGIONS: tuple[str, ...] = tuple(REGION_SHARES)
_COLUMNS = ("country_code", "country_name", "region", "currency_code")


@dataclass(frozen=True)
class Geography:
    """Per-country arrays, all indexed by the country's row in the seed."""

    country_codes: tuple[str, ...]
    #: Sorted, distinct currency codes.
    currencies: tuple[str, ...]
    #: Index into :data:`REGIONS`.
    country_region: I64
    #: Index into :attr:`currencies`.
    country_currency: I64
    #: Probability that a customer lives in the country (sums to 1).
    country_weights: F64

    def currency_index(self, code: str) -> int:
        return self.currencies.index(code)


def load_geography(path: Path = COUNTRIES_SEED) -> Geography:
    """Read the countries seed and derive the customer mix."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise GeneratorError(f"cannot read the countries seed {path}: {exc}") from exc
    if not rows or any(column not in rows[0] for column in _COLUMNS):
        raise GeneratorError(f"{path} must have the columns {', '.join(_COLUMNS)}")
    unknown = sorted({row["region"] for row in rows} - set(REGIONS))
    if unknown:
        raise GeneratorError(
            f"{path}: unknown region(s) {', '.join(unknown)}; allowed: {', '.join(REGIONS)}"
        )

    codes = tuple(row["country_code"] for row in rows)
    currencies = tuple(sorted({row["currency_code"] for row in rows}))
    region_index = np.array([REGIONS.index(row["region"]) for row in rows], dtype=np.int64)
    currency_index = np.array(
        [currencies.index(row["currency_code"]) for row in rows], dtype=np.int64
    )

    weights = np.zeros(len(rows))
    for region_no, region in enumerate(REGIONS):
        members = np.flatnonzero(region_index == region_no)
        if len(members) == 0:
            continue
        raw = 1.0 / np.arange(1, len(members) + 1)
        weights[members] = REGION_SHARES[region] * raw / raw.sum()
    weights /= weights.sum()

    return Geography(
        country_codes=codes,
        currencies=currencies,
        country_region=region_index,
        country_currency=currency_index,
        country_weights=weights,
    )
