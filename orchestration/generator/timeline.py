"""Time units and the absolute calendar the simulated world lives on.

Days are counted from 1970-01-01 and timestamps are integer microseconds since
1970-01-01 00:00 UTC (naive UTC, as the contract wants). The world does not
depend on the end date of a run: only on absolute days, so any two runs agree
about any day they both cover.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from orchestration.generator.arrays import F64, I64, Mask

US_PER_MS = 1_000
US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR

UNIX_EPOCH = dt.date(1970, 1, 1)

#: The world begins here: the first customers sign up, the first products
#: launch and exchange rates start their random walk.
WORLD_START = dt.date(2012, 1, 1)
#: Supported end dates: history starts 730 days before the end date and must
#: leave the world a couple of years to fill up with customers first.
MIN_END_DATE = dt.date(2016, 1, 1)
MAX_END_DATE = dt.date(2050, 12, 31)
#: A generated history covers [end_date - HISTORY_DAYS, end_date].
HISTORY_DAYS = 730


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - UNIX_EPOCH).days


def date_of(day: int) -> dt.date:
    """The calendar date of a day number."""
    return UNIX_EPOCH + dt.timedelta(days=int(day))


def horizon_us(end_date: dt.date) -> int:
    """The load horizon of a run ending on ``end_date``: the next midnight UTC."""
    return (day_number(end_date) + 1) * US_PER_DAY


def us_to_datetime(us: int) -> dt.datetime:
    """A naive UTC datetime for a microsecond timestamp."""
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(us))


def weekday(days: I64) -> I64:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    result: I64 = (days + 3) % 7
    return result


def is_business_day(days: I64) -> Mask:
    """Monday to Friday."""
    result: Mask = weekday(days) < 5
    return result


def year_fraction(days: I64) -> F64:
    """Position within the calendar year, in [0, 1)."""
    as_dates = days.astype("datetime64[D]")
    year_start = as_dates.astype("datetime64[Y]").astype("datetime64[D]")
    next_year = (as_dates.astype("datetime64[Y]") + 1).astype("datetime64[D]")
    into = (as_dates - year_start).astype(np.int64)
    length = (next_year - year_start).astype(np.int64)
    result: F64 = into / length
    return result


def day_range(first: int, last: int) -> I64:
    """Day numbers first..last inclusive."""
    return np.arange(first, last + 1, dtype=np.int64)


def days_as_us(days: tuple[float, float]) -> tuple[int, int]:
    """A (low, high) span in days, as microseconds."""
    return int(days[0] * US_PER_DAY), int(days[1] * US_PER_DAY)
