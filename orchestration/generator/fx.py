# mypy: disable-error-code="import-untyped"
"""Exchange rates: a latent daily rate per currency, and the rows published from it.

* Rates are USD per unit. Each currency walks around a realistic level
  (:data:`USD_PER_UNIT`) as a mean-reverting AR(1) on the log rate
  (daily sigma 0.5%, half-life about 140 days, so typically within +-10%).
  USD is exactly 1.
* The latent rate exists every calendar day; item prices are converted with
  the rate of the order day. Published rows (``fx_rates``) exist for
  business days only (USD: every day), land at 06:00..06:30 UTC the next
  morning, and skip days at the ``fx_gap`` rate.
* Published history starts 10 days before the first order day, except for
  :data:`LATE_START_CURRENCY`, which starts 5 days *after* it: orders in that
  currency in the first days have no rate on or before their date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from orchestration.generator import columns as col
from orchestration.generator.arrays import I64
from orchestration.generator.errors import GeneratorError
from orchestration.generator.randomness import Randomness
from orchestration.generator.schema import FX_RATES, build_table
from orchestration.generator.timeline import (
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MINUTE,
    WORLD_START,
    day_number,
    day_range,
    is_business_day,
)
from orchestration.generator.window import LoadWindow

BASE_CURRENCY = "USD"
USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "CAD": 0.73, "MXN": 0.055,
    "BRL": 0.19, "SEK": 0.095, "NOK": 0.093, "DKK": 0.145, "CHF": 1.13, "PLN": 0.25,
    "ZAR": 0.054, "AUD": 0.66, "NZD": 0.60, "INR": 0.012, "SGD": 0.74, "KRW": 0.00074,
    "CNY": 0.14, "HKD": 0.128,
}  # fmt: skip
#: The currency whose published history starts after the first order day.
LATE_START_CURRENCY = "EUR"
LATE_START_DAYS = 5
#: Other currencies' published history starts this many days before the first order day.
LEAD_DAYS = 10
RATE_DECIMALS = 8
MEAN_REVERSION = 0.995
DAILY_SIGMA = 0.005
PUBLISH_AFTER_US = US_PER_DAY + 6 * US_PER_HOUR
PUBLISH_SPREAD_US = 30 * US_PER_MINUTE
_BLOCK_DAYS = 1024


@dataclass(frozen=True)
class FxModel:
    """Latent rates in units of 1e-8 USD, shape (currency, day since WORLD_START)."""

    currencies: tuple[str, ...]
    first_day: int
    units: I64

    @classmethod
    def build(cls, rng: Randomness, currencies: tuple[str, ...], last_day: int) -> FxModel:
        missing = [c for c in currencies if c not in USD_PER_UNIT]
        if missing:
            raise GeneratorError(
                f"no exchange-rate level for currency {', '.join(missing)}: add it to "
                "orchestration/generator/fx.py USD_PER_UNIT"
            )
        first_day = day_number(WORLD_START)
        days = day_range(first_day, last_day)
        keys = _currency_keys(currencies)[:, None] + days[None, :]
        shocks = DAILY_SIGMA * rng.normal("fx.shock", keys)
        levels = np.array([USD_PER_UNIT[c] for c in currencies])
        rates = levels[:, None] * np.exp(_mean_reverting(shocks))
        units = np.round(rates * 10**RATE_DECIMALS).astype(np.int64)
        units[[c == BASE_CURRENCY for c in currencies]] = 10**RATE_DECIMALS
        return cls(currencies=currencies, first_day=first_day, units=units)

    def units_on(self, currency: I64, days: I64) -> I64:
        """Rate of each (currency index, day) in units of 1e-8 USD per unit."""
        result: I64 = self.units[currency, days - self.first_day]
        return result

    def published(
        self,
        rng: Randomness,
        history_start_day: int,
        days: tuple[int, int],
        window: LoadWindow,
        gap_rate: float,
    ) -> pa.Table:
        """``fx_rates`` rows for rate dates in ``days`` that land in ``window``.

        ``history_start_day`` is the first order day of the generated history.
        """
        dates = day_range(*days)
        starts = np.array(
            [
                history_start_day + LATE_START_DAYS
                if c == LATE_START_CURRENCY
                else history_start_day - LEAD_DAYS
                for c in self.currencies
            ]
        )
        keys = _currency_keys(self.currencies)[:, None] + dates[None, :]
        is_usd = np.array([c == BASE_CURRENCY for c in self.currencies])[:, None]
        gap = rng.chance("fx.gap", keys, gap_rate)
        published = (dates[None, :] >= starts[:, None]) & (
            is_usd | (is_business_day(dates)[None, :] & ~gap)
        )
        loaded = (
            dates[None, :] * US_PER_DAY
            + PUBLISH_AFTER_US
            + rng.integers("fx.publish", keys, 0, PUBLISH_SPREAD_US)
        )
        keep = published & window.contains(loaded)
        position, currency = np.nonzero(keep.T)  # ordered by rate date, then currency
        rate_day = dates[position]
        return build_table(
            FX_RATES,
            {
                "rate_date": col.dates(rate_day),
                "currency": col.labels(self.currencies, currency),
                "usd_per_unit": col.decimals(self.units_on(currency, rate_day), 18, RATE_DECIMALS),
                "_loaded_at": col.timestamps(loaded[currency, position]),
            },
        )


def _currency_keys(currencies: tuple[str, ...]) -> I64:
    """A stable key per currency code, shifted clear of day numbers."""
    return np.array([int.from_bytes(c.encode(), "big") << 32 for c in currencies], dtype=np.int64)


def _mean_reverting(shocks: np.ndarray) -> np.ndarray:
    """AR(1) along the last axis: x[t] = phi * x[t-1] + shock[t], from x[-1] = 0.

    Computed blockwise as discounted cumulative sums (vectorised over
    currencies); the result for a day does not depend on how many days follow.
    """
    phi = MEAN_REVERSION
    out = np.empty_like(shocks)
    carry = np.zeros(shocks.shape[0])
    for start in range(0, shocks.shape[1], _BLOCK_DAYS):
        block = shocks[:, start : start + _BLOCK_DAYS]
        steps = np.arange(block.shape[1])
        discounted = np.cumsum(block * phi ** (-steps), axis=1) * phi**steps
        out[:, start : start + block.shape[1]] = discounted + carry[:, None] * phi ** (steps + 1)
        carry = out[:, start + block.shape[1] - 1]
    return out
