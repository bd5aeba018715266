"""The calendar every component shares: periods people name, resolved to dates.

One definition of "last month", "the week of June 10", "H1", "year to date" and
the rest, for questions (``questions/``), the UI and report parameters
(``report_service/``). The rules are those of the metrics glossary
(``docs/metrics.md``, "Relative periods"), all counted from an as-of date ``A``:

- calendar periods are whole: "last month" on 2026-03-15 is 2026-02-01 to
  2026-02-28, "last week" the previous ISO week (Monday to Sunday);
- "last 7 days" is the seven days that end yesterday; "last 3 weeks/months/
  quarters/years" are the three whole ones before the current one;
- "this week/month/quarter/year", "WTD/MTD/QTD/YTD", "so far this year" run
  from the start of the unit to ``A`` itself (kind ``to_date``);
- a month, quarter, half, week number or day named without a year is the most
  recent one that has started by ``A`` ("December" in June 2026 is December
  2025); a range without a year starts at the most recent such start;
- "last March" is the most recent March before ``A``'s month: March 2025 when
  ``A`` is in or before March 2026, March 2026 when ``A`` is later in 2026
  (the same rule as "last Monday": the most recent one strictly before the
  current one);
- "Friday" / "on Friday" is the most recent Friday on or before ``A``; "last
  Friday" the most recent strictly before ``A``; "this Friday" the Friday of
  ``A``'s ISO week (possibly after ``A``, so a forecast);
- "3 days/weeks/months ago" is that one calendar day, week or month;
- slashed dates: "2026/06/03" is year-first; "25/3/2026" and "3/25/2026" can
  be read one way only; "3/4/2026" could be either and raises
  :class:`AmbiguousDate` naming both readings. Years are written in full.

:func:`find_periods` returns every period a text names, left to right, each
with the character span it used (so a caller does not read "2026" or "7" again
as something else). Overlapping readings are settled by length: "between
March 3 and March 9" is one period, not two days or two months. Words that
shift another period ("the same month last year", "the previous month", "a
year earlier", "YoY") come back as a :class:`FoundPeriod` with a ``relation``
and no dates of their own; :func:`resolve_relation` gives their dates against
the period they refer to. :func:`previous_period` and :func:`year_ago` are the
comparison rules of growth and year over year.

The patterns are written for linear-time matching: every quantifier is
bounded or sits between literal tokens, so a 2,000-character question of
digits and dashes reads as fast as a sentence.
"""

from analytics_core.periods.calendar import (
    KINDS,
    MAX_COUNT,
    MONTHS,
    NUMBER_WORDS,
    RELATIONS,
    WEEKDAYS,
    AmbiguousDate,
    FoundPeriod,
    Period,
    PeriodError,
    add_months,
    day_period,
    half_bounds,
    half_period,
    iso_week_start,
    month_end,
    month_period,
    previous_period,
    quarter_bounds,
    quarter_period,
    resolve_relation,
    units_in,
    week_period,
    year_ago,
    year_period,
)
from analytics_core.periods.reader import (
    MAX_PHRASE_CHARS,
    find_period,
    find_periods,
    resolve_phrase,
)
from analytics_core.periods.words import last_n


def _words_read() -> frozenset[str]:
    """Every word a period rule names: the words of the rules' patterns and of
    their word tables ("yoy", "eve", "fortnight", "trailing"). A caller that
    corrects misspellings leaves these alone: the calendar reads them."""
    import re

    from analytics_core.periods import (
        calendar,
        days,
        named,
        parts,
        reader,
        relations,
        to_date,
        words,
    )

    found: set[str] = set()
    for module in (calendar, days, named, parts, reader, relations, to_date, words):
        for name, value in vars(module).items():
            if name.startswith("__"):
                continue
            if isinstance(value, re.Pattern):
                # letters not after a backslash (escapes: \b, \d, \s, \w)
                found |= set(re.findall(r"(?<![\\a-z])[a-z]{2,}", value.pattern.lower()))
            elif isinstance(value, dict):
                found |= {k for k in value if isinstance(k, str) and k.isalpha() and k.islower()}
    return frozenset(found)


#: Every word the calendar reads (see :func:`_words_read`).
PERIOD_WORDS = _words_read()

__all__ = [
    "KINDS",
    "MAX_COUNT",
    "MAX_PHRASE_CHARS",
    "MONTHS",
    "NUMBER_WORDS",
    "PERIOD_WORDS",
    "RELATIONS",
    "WEEKDAYS",
    "AmbiguousDate",
    "FoundPeriod",
    "Period",
    "PeriodError",
    "add_months",
    "day_period",
    "find_period",
    "find_periods",
    "half_bounds",
    "half_period",
    "iso_week_start",
    "last_n",
    "month_end",
    "month_period",
    "previous_period",
    "quarter_bounds",
    "quarter_period",
    "resolve_phrase",
    "resolve_relation",
    "units_in",
    "week_period",
    "year_ago",
    "year_period",
]
