"""Words that shift another period rather than name one: "the same month
last year", "same period a year ago", "YoY", "the month before", "the
previous period" (:mod:`analytics_core.periods`). Each reads as a relation
with no dates of its own, resolved against the period it refers to."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from analytics_core.periods.calendar import WEEKDAYS
from analytics_core.periods.days import _S, YEAR_BACK, Rule, _Candidate, _rx

# Relations: "the same month last year", "same period a year ago", "YoY",
# "the month before", "the previous period".
#: Words for "the same" before a period's unit ("the corresponding month").
_SAME = r"(?:same|corresponding|equivalent|comparable|matching)"
_SAME_LAST_YEAR = _rx(
    r"\b(?:the"
    + _S
    + r")?"
    + _SAME
    + _S
    + r"(?:day|week|month|quarter|half|period|time|year|days|dates)"
    r"(?:" + _S + r"(?:of|as|in))?" + _S + YEAR_BACK
)
_YOY = _rx(r"(?<![\w])(?:yoy|y/y|year[\s-]{1,3}(?:over|on)[\s-]{1,3}year|year-ago)(?![\w])")
_UNIT_BEFORE = _rx(
    r"\b(?:the"
    + _S
    + r")?(day|week|weekend|month|quarter|year|period|"
    + "|".join(WEEKDAYS)
    + r")"
    + _S
    + r"(?:before|prior)\b"
    r"(?!" + _S + r"(?:last|yesterday)\b)"
)
#: "the same period last month", "same days of the previous quarter", "the
#: same day last week": the dates asked, that many units earlier.
_SAME_LAST_UNIT = _rx(
    r"\b(?:the" + _S + r")?" + _SAME + _S + r"(?:period|time|days|dates|day|weekday)"
    r"(?:"
    + _S
    + r"(?:of|in))?"
    + _S
    + r"(?:the"
    + _S
    + r")?(?:last|previous|prior|preceding)"
    + _S
    + r"(week|month|quarter)\b"
)
_PREVIOUS_PERIOD = _rx(r"\b(?:the" + _S + r")?(?:previous|prior|preceding)" + _S + r"period\b")


def _same_last_year(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), relation="year_ago")


def _unit_before(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    unit = match.group(1).lower()
    # "the weekend before": the weekend a week earlier
    # "Cyber Monday vs the Monday before": that weekday a week earlier
    unit = "weekend" if unit in WEEKDAYS else unit
    unit = {"period": "previous", "weekend": "week_ago"}.get(unit, f"{unit}_ago")
    yield _Candidate(*match.span(), relation=unit)


def _same_last_unit(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), relation=f"{match.group(1).lower()}_ago")


def _previous_period(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), relation="previous")


RELATION_RULES: tuple[Rule, ...] = (
    (_SAME_LAST_YEAR, _same_last_year),
    (_YOY, _same_last_year),
    (_UNIT_BEFORE, _unit_before),
    (_SAME_LAST_UNIT, _same_last_unit),
    (_PREVIOUS_PERIOD, _previous_period),
)
