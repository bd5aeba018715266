"""How much happens per day: orders, signups and product launches.

Volume is an absolute function of the day (not of the run's end date):

* growth: +30% a year, centred on 2026-01-01 and flat outside 2020..2030 so
  that far-off end dates stay a sane size;
* weekly seasonality: weekends are busier (Saturday +22%, Sunday +15%),
  Tuesday is the quietest day;
* yearly seasonality: a Nov/Dec peak (+25% / +38%) and a summer dip
  (July -15%), interpolated smoothly between mid-month points;
* day-to-day noise: lognormal, sigma 7%.

The base levels are calibrated analytically (without noise) so that scale 1
gives 400,000 orders in the 731 days ending on :data:`CALIBRATION_END`
(about 1,000,000 order items) and 60,000 customers and 800 products exist on
that date.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache

import numpy as np

from orchestration.generator.arrays import F64, I64
from orchestration.generator.randomness import Randomness
from orchestration.generator.timeline import (
    HISTORY_DAYS,
    WORLD_START,
    day_number,
    day_range,
    weekday,
    year_fraction,
)

GROWTH_PER_YEAR = 1.30
TREND_REFERENCE = dt.date(2026, 1, 1)
TREND_YEARS = (-6.0, 4.0)
CALIBRATION_END = dt.date(2026, 11, 25)

ORDERS_PER_HISTORY = 400_000
CUSTOMERS_AT_CALIBRATION = 60_000
MIN_CUSTOMERS = 200
PRODUCTS_AT_CALIBRATION = 800
MIN_PRODUCTS = 40

#: Monday .. Sunday.
WEEKDAY_FACTORS = np.array([0.95, 0.92, 0.93, 0.95, 1.00, 1.22, 1.15])
#: Mid-January .. mid-December.
MONTH_FACTORS = np.array([0.93, 0.90, 0.96, 0.97, 0.96, 0.90, 0.85, 0.87, 0.97, 1.03, 1.25, 1.38])
DAILY_NOISE_SIGMA = 0.07


def trend(days: I64) -> F64:
    """The growth multiplier, 1.0 on 2026-01-01."""
    years = np.clip((days - day_number(TREND_REFERENCE)) / 365.25, *TREND_YEARS)
    result: F64 = GROWTH_PER_YEAR**years
    return result


def seasonality(days: I64) -> F64:
    """Weekly times yearly seasonality."""
    midpoints = (np.arange(12) + 0.5) / 12.0
    yearly = np.interp(year_fraction(days), midpoints, MONTH_FACTORS, period=1.0)
    result: F64 = WEEKDAY_FACTORS[weekday(days)] * yearly
    return result


def _calibration_days() -> I64:
    end = day_number(CALIBRATION_END)
    return day_range(end - HISTORY_DAYS, end)


@cache
def _order_base() -> float:
    days = _calibration_days()
    return ORDERS_PER_HISTORY / float(np.sum(trend(days) * seasonality(days)))


@cache
def _signup_base() -> float:
    days = day_range(day_number(WORLD_START), day_number(CALIBRATION_END))
    return CUSTOMERS_AT_CALIBRATION / float(np.sum(trend(days)))


def expected_orders(days: I64, scale: float) -> F64:
    """Expected orders per day, before noise."""
    result: F64 = _order_base() * scale * trend(days) * seasonality(days)
    return result


def _dithered(rng: Randomness, stream: str, days: I64, expected: F64) -> I64:
    """Round to integers without bias: floor(x + u)."""
    result: I64 = np.floor(expected + rng.uniform(stream, days)).astype(np.int64)
    return result


def daily_orders(rng: Randomness, days: I64, scale: float) -> I64:
    """Orders placed on each day."""
    noise = np.exp(DAILY_NOISE_SIGMA * rng.normal("demand.noise", days) - DAILY_NOISE_SIGMA**2 / 2)
    return _dithered(rng, "demand.orders", days, expected_orders(days, scale) * noise)


def customer_scale(scale: float) -> float:
    """Customer volume factor: proportional to scale, but at least 200 customers."""
    return max(scale, MIN_CUSTOMERS / CUSTOMERS_AT_CALIBRATION)


def daily_signups(rng: Randomness, days: I64, scale: float) -> I64:
    """New customers per day (from :data:`WORLD_START`)."""
    noise = np.exp(0.1 * rng.normal("demand.signup_noise", days) - 0.005)
    expected = _signup_base() * customer_scale(scale) * trend(days) * noise
    return _dithered(rng, "demand.signups", days, expected)


def catalogue_size(scale: float) -> float:
    """Products existing on the calibration date: 800 x sqrt(scale), at least 40."""
    return max(PRODUCTS_AT_CALIBRATION * math.sqrt(scale), float(MIN_PRODUCTS))
