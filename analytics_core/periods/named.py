"""Periods with names of their own: weekends, holidays, seasons, and "since the
start of the year" (:mod:`analytics_core.periods`).

Decisions (the glossary's "Relative periods" says them to readers):

- **Weekends** are Saturday and Sunday. "Last weekend", "this past weekend",
  "the weekend" and "over the weekend" are the most recent complete weekend
  (its Sunday before the as-of date). "This weekend" is the weekend of the
  as-of date's ISO week: up to the as-of date on a Saturday or Sunday, a
  forecast on a weekday.
- **Holidays** are the days the calendar can compute the same everywhere:
  fixed dates (New Year's Day and Eve, Valentine's Day, Halloween, Christmas
  Eve and Day, Boxing Day), Easter (Gregorian: Good Friday, Easter Sunday,
  Easter Monday; "Easter" alone is Easter Sunday) and the US retail days
  (Thanksgiving, the fourth Thursday of November; Black Friday and Cyber
  Monday after it). Without a year, the most recent one on or before the
  as-of date. "The holidays" or "the holiday season" is not a period: it
  means different days to different readers. "<holiday> weekend" is the
  holiday joined to its nearest weekend; Easter's is Good Friday to Easter
  Monday. "<holiday> week" is the week, Monday to Sunday, that holds it.
- **Seasons** are meteorological, northern hemisphere: spring is March to
  May, summer June to August, autumn ("fall") September to November; the
  label names the months. Winter spans two years and is refused with a hint.
  "Fall" is a season only after "the", "in", "this", "last" or "during":
  "did revenue fall in 2025" is a verb.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Iterator

from analytics_core.periods.calendar import (
    _WEEKDAY_ABBREVIATIONS,
    ONE_DAY,
    WEEKDAYS,
    Period,
    PeriodError,
    _unit_start,
    day_period,
    iso_week_start,
    year_period,
)
from analytics_core.periods.days import (
    _MONTH,
    _S,
    _WEEKDAY,
    _YEAR,
    _YEAR_SUFFIX,
    Rule,
    _Candidate,
    _dated,
    _day_in_year,
    _month_number,
    _rx,
    _suffix_year,
)
from analytics_core.periods.parts import MONTH_AND_YEAR_PARTS

# --- weekends ------------------------------------------------------------------------------

_WEEKEND = _rx(
    r"\b(?:(?:over|during|on|at)" + _S + r")?(?:(the" + _S + r"past|this" + _S + r"past|past|"
    r"last|previous|prior|this|the)" + _S + r")?week-?ends?\b(?!" + _S + r"of\b)"
)


def _weekend(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    cue = re.sub(r"\s+", " ", (match.group(1) or "").lower())
    saturday = iso_week_start(as_of) + datetime.timedelta(days=5)
    if cue == "this":
        if saturday > as_of:
            label = "this weekend"
            yield _Candidate(*match.span(), Period(None, None, label, "all"), future=True)
            return
        period = Period(saturday, as_of, "this weekend", "range")
        yield _Candidate(*match.span(), period)
        return
    sunday = saturday + ONE_DAY
    if sunday >= as_of:
        saturday -= datetime.timedelta(days=7)
        sunday -= datetime.timedelta(days=7)
    label = "last weekend"
    if cue in {"previous", "prior"}:
        # "last weekend vs the previous weekend": after another period, a week
        # before it; alone, last weekend
        yield _Candidate(
            *match.span(), Period(saturday, sunday, label, "range"), relation="week_ago", form="ago"
        )
        return
    yield _Candidate(*match.span(), Period(saturday, sunday, label, "range"))


# --- holidays ------------------------------------------------------------------------------


def easter_sunday(year: int) -> datetime.date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian
    computus, from the year's golden number and the lunar corrections)."""
    golden = year % 19
    century, within = divmod(year, 100)
    leap_skips, century_rest = divmod(century, 4)
    moon_fix = (century + 8) // 25
    lunar = (century - moon_fix + 1) // 3
    epact = (19 * golden + century - leap_skips - lunar + 15) % 30
    year_quarters, year_rest = divmod(within, 4)
    weekday = (32 + 2 * century_rest + 2 * year_quarters - epact - year_rest) % 7
    shift = (golden + 11 * epact + 22 * weekday) // 451
    month, day = divmod(epact + weekday - 7 * shift + 114, 31)
    return datetime.date(year, month, day + 1)


def _thanksgiving(year: int) -> datetime.date:
    """The fourth Thursday of November (United States)."""
    first = datetime.date(year, 11, 1)
    return first + datetime.timedelta(days=(3 - first.weekday()) % 7 + 21)


_HOLIDAYS: dict[str, tuple[str, Callable[[int], datetime.date]]] = {
    "new_year": ("New Year's Day", lambda y: datetime.date(y, 1, 1)),
    "new_year_eve": ("New Year's Eve", lambda y: datetime.date(y, 12, 31)),
    "valentine": ("Valentine's Day", lambda y: datetime.date(y, 2, 14)),
    "halloween": ("Halloween", lambda y: datetime.date(y, 10, 31)),
    "christmas_eve": ("Christmas Eve", lambda y: datetime.date(y, 12, 24)),
    "christmas": ("Christmas Day", lambda y: datetime.date(y, 12, 25)),
    "boxing_day": ("Boxing Day", lambda y: datetime.date(y, 12, 26)),
    "good_friday": ("Good Friday", lambda y: easter_sunday(y) - 2 * ONE_DAY),
    "easter": ("Easter Sunday", easter_sunday),
    "easter_monday": ("Easter Monday", lambda y: easter_sunday(y) + ONE_DAY),
    "thanksgiving": ("Thanksgiving", _thanksgiving),
    "black_friday": ("Black Friday", lambda y: _thanksgiving(y) + ONE_DAY),
    "cyber_monday": ("Cyber Monday", lambda y: _thanksgiving(y) + 4 * ONE_DAY),
}
_APOSTROPHE = r"(?:'s|s|')?"
_HOLIDAY_NAMES = (
    (r"new" + _S + r"year" + _APOSTROPHE + _S + r"eve", "new_year_eve"),
    (r"new" + _S + r"year" + _APOSTROPHE + _S + r"day", "new_year"),
    (
        r"(?:st\.?" + _S + r"|saint" + _S + r")?valentine" + _APOSTROPHE + r"(?:" + _S + r"day)?",
        "valentine",
    ),
    (r"halloween", "halloween"),
    (r"christmas" + _S + r"eve|xmas" + _S + r"eve", "christmas_eve"),
    (r"christmas(?:" + _S + r"day)?|xmas(?:" + _S + r"day)?", "christmas"),
    (r"boxing" + _S + r"day", "boxing_day"),
    (r"good" + _S + r"friday", "good_friday"),
    (r"easter" + _S + r"monday", "easter_monday"),
    (r"easter(?:" + _S + r"sunday|" + _S + r"day)?", "easter"),
    (r"thanksgiving(?:" + _S + r"day)?", "thanksgiving"),
    (r"black" + _S + r"friday", "black_friday"),
    (r"cyber" + _S + r"monday", "cyber_monday"),
)
_HOLIDAY = _rx(
    r"(?<![\w])(?:(last|this)"
    + _S
    + r")?(?:"
    + "|".join(f"(?P<{key}>{pattern})" for pattern, key in _HOLIDAY_NAMES)
    + r")(?P<weekend>"
    + _S
    + r"(?:long"
    + _S
    + r")?week-?end)?(?P<week>"
    + _S
    + r"week)?(?![\w'])(?:,?"
    + _S
    + r"(?:of"
    + _S
    + r"|in"
    + _S
    + r")?("
    + _YEAR
    + r")(?![\w-])|"
    + _S
    + r"(last|this)"
    + _S
    + r"year\b)?"
)


def _holiday(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    key = next(k for k in _HOLIDAYS if match.group(k))
    name, date_in = _HOLIDAYS[key]
    groups = match.groups()
    relative, year_text, year_word = groups[0], groups[-2], groups[-1]

    def in_year(year: int) -> Period:
        try:
            day = date_in(year)
        except ValueError as exc:  # pragma: no cover - every rule gives a real date
            raise PeriodError(f"{name} {year} is not a date") from exc
        if match.group("weekend"):
            period = _holiday_weekend(key, name, day)
        elif match.group("week"):
            # "Christmas week", "Black Friday week": the week (Monday to Sunday) holding it
            monday = day - day.weekday() * ONE_DAY
            short = name.removesuffix(" Day").removesuffix(" Sunday")
            said = f"{short} week {year}, {monday:%a %d %b} to {monday + 6 * ONE_DAY:%a %d %b}"
            period = Period(monday, monday + 6 * ONE_DAY, said, "range", "week")
        else:
            period = day_period(day, f"{name} {year}")
        return dataclasses.replace(period, yearly=in_year)

    year: int | None = None
    if year_text:
        year = int(year_text)
    elif year_word:
        year = as_of.year - 1 if year_word.lower() == "last" else as_of.year
    elif relative and relative.lower() == "this":
        year = as_of.year
    elif relative:
        # "last Christmas": the most recent one before the as-of date.
        year = as_of.year if date_in(as_of.year) < as_of else as_of.year - 1
    whole_day = not (match.group("weekend") or match.group("week"))
    yield _dated(match, as_of, in_year, year, form="day" if whole_day else "")


#: Days from a holiday to the Saturday and to the Sunday of its weekend, by the
#: holiday's weekday (Monday 0): the nearest weekend joined to the holiday
#: ("Thanksgiving weekend" Thursday to Sunday, a Monday holiday the Saturday
#: to the Monday). A Wednesday has no weekend of its own.
_TO_WEEKEND = {0: (-2, 0), 1: (-3, 0), 3: (0, 3), 4: (0, 2), 5: (0, 1), 6: (-1, 0)}


def _holiday_weekend(key: str, name: str, day: datetime.date) -> Period:
    """ "Easter weekend", "Thanksgiving weekend": the holiday and its weekend.
    Easter's is the long weekend from Good Friday to Easter Monday."""
    label = f"{name.removesuffix(' Day').removesuffix(' Sunday')} weekend {day.year}"
    if key == "easter":
        return Period(
            day - 2 * ONE_DAY, day + ONE_DAY, f"{label}, Good Friday to Easter Monday", "range"
        )
    if day.weekday() not in _TO_WEEKEND:
        raise PeriodError(
            f"{name} {day.year} is a Wednesday; name the days of the weekend you mean"
        )
    before, after = _TO_WEEKEND[day.weekday()]
    start, end = day + before * ONE_DAY, day + after * ONE_DAY
    return Period(start, end, f"{label}, {start:%a %d %b} to {end:%a %d %b}", "range")


# --- seasons -------------------------------------------------------------------------------

_SEASON_MONTHS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_SEASON = _rx(
    r"(?<![\w])(?:(?P<cue>the|in|this|last|during)" + _S + r"(?:the" + _S + r")?)?"
    r"(?P<season>spring|summer|autumn|fall|winter)(?:time)?(?![\w'-])"
    r"(?:" + _S + r"(?:of" + _S + r"|in" + _S + r")?(?P<year>" + _YEAR + r")(?![\w-])"
    r"|" + _S + r"(?:of" + _S + r")?(?P<rel>last|this)" + _S + r"year\b)?"
)


def _season(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    season = match.group("season").lower()
    cue = (match.group("cue") or "").lower()
    year_text, rel = match.group("year"), match.group("rel")
    if season == "fall" and not cue:
        return  # "did revenue fall in 2025": a verb
    if not cue and not year_text and not rel:
        # "summer" alone, with no word making it a time: it may be a product.
        return
    if season == "winter":
        error = PeriodError(
            "winter spans two years; name the months (“December 2025 to February 2026”)"
        )
        yield _Candidate(*match.span(), error=error)
        return
    first = _SEASON_MONTHS[season]
    name = "autumn" if season == "fall" else season

    def in_year(year: int) -> Period:
        start = datetime.date(year, first, 1)
        last = datetime.date(year, first + 3, 1) - ONE_DAY
        months = f"{start:%B} to {last:%B}"
        return Period(start, last, f"{name} {year}, {months}", "range", "month")

    year: int | None = None
    if year_text:
        year = int(year_text)
    elif rel:
        year = as_of.year - 1 if rel.lower() == "last" else as_of.year
    elif cue == "this":
        year = as_of.year
    elif cue == "last":
        # "last summer": the most recent one that has ended.
        this = in_year(as_of.year)
        year = as_of.year if this.end is not None and this.end < as_of else as_of.year - 1
    yield _dated(match, as_of, in_year, year)


# --- since the start of --------------------------------------------------------------------

_SINCE_START = _rx(
    r"\b(?:since|from)"
    + _S
    + r"the"
    + _S
    + r"(?:start|beginning)"
    + _S
    + r"of"
    + _S
    + r"(?:the|this)"
    + _S
    + r"(week|month|quarter|year)\b"
)


def _since_start(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    unit = match.group(1).lower()
    start = _unit_start(as_of, unit)
    yield _Candidate(*match.span(), Period(start, as_of, f"this {unit}", "to_date", unit))


# --- fortnights, weekdays of a named week, days in words -----------------------------------

_FORTNIGHT = _rx(r"\b(?:the" + _S + r")?(?:last|past|previous|prior)" + _S + r"fortnight\b")


def _fortnight(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    """ "The last fortnight" is the 14 days ending yesterday ("the fortnight
    ending <day>" is the reader's prefix, :data:`reader._PREFIX`)."""
    yield _Candidate(
        *match.span(),
        Period(as_of - 14 * ONE_DAY, as_of - ONE_DAY, "last fortnight", "days"),
    )


_WEEKDAY_OF_WEEK = _rx(
    r"(?<![\w])(?:on" + _S + r")?(" + _WEEKDAY + r")" + _S + r"(?:of" + _S + r")?"
    r"(last|this|previous|prior)" + _S + r"week\b"
    r"|(?<![\w])(last|this|previous|prior)" + _S + r"week(?:'s)?" + _S + r"(" + _WEEKDAY + r")"
    r"|(?<![\w])this" + _S + r"past" + _S + r"(" + _WEEKDAY + r")"
)


def _weekday_of_week(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    """ "Monday last week", "last week's Friday", "this past Friday"."""
    if match.group(5):
        name, week = match.group(5).lower(), "past"
    else:
        name = (match.group(1) or match.group(4)).lower()
        week = (match.group(2) or match.group(3)).lower()
    weekday = WEEKDAYS.get(name, _WEEKDAY_ABBREVIATIONS.get(name))
    if weekday is None:  # pragma: no cover - the pattern only names weekdays
        return
    title = list(WEEKDAYS)[weekday].capitalize()
    if week == "past":
        back = (as_of.weekday() - weekday) % 7 or 7
        day = as_of - datetime.timedelta(days=back)
    else:
        monday = iso_week_start(as_of)
        if week != "this":
            monday -= datetime.timedelta(days=7)
        day = monday + datetime.timedelta(days=weekday)
    if day > as_of:
        yield _Candidate(*match.span(), Period(None, None, match.group(0), "all"), future=True)
        return
    yield _Candidate(*match.span(), day_period(day, f"{title} {day}"), form="day")


_ORDINAL_DAYS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
_ORDINAL_WORD = r"(" + "|".join(_ORDINAL_DAYS) + r")"
_WORD_DAY = _rx(
    r"(?<![\w])(?:the" + _S + _ORDINAL_WORD + _S + r"of" + _S + r"(" + _MONTH + r")"
    r"|("
    + _MONTH
    + r")"
    + _S
    + r"(?:the"
    + _S
    + r")?"
    + _ORDINAL_WORD
    + r"(?![\w-]))"
    + _YEAR_SUFFIX
)


def _word_day(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    """ "The first of June", "June first", "May the fifth"."""
    day = _ORDINAL_DAYS[(match.group(1) or match.group(4)).lower()]
    month = _month_number(match.group(2) or match.group(3))
    groups = match.groups()
    year = _suffix_year(groups[-2], groups[-1], as_of)

    yield _dated(match, as_of, _day_in_year(month, day, match.group(0)), year, "day")


_CALENDAR_YEAR = _rx(
    r"(?<![\w])(?:(?:the"
    + _S
    + r")?calendar"
    + _S
    + r"year|cy)\s{0,4}("
    + _YEAR
    + r"|\d\d)(?![\w.,])"
    r"|(?<![\w])fy\s{0,4}(\d\d)(?![\w.,])"
    r"|\b(this|last|previous)" + _S + r"calendar" + _S + r"year\b"
)


def _calendar_year(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    """ "Calendar year 2025", "CY2025", "FY25" (the fiscal year is the calendar
    year here), "this calendar year" (to date)."""
    if match.group(3):
        if match.group(3).lower() == "this":
            start = datetime.date(as_of.year, 1, 1)
            yield _Candidate(*match.span(), Period(start, as_of, "this year", "to_date", "year"))
        else:
            yield _Candidate(*match.span(), year_period(as_of.year - 1, "last year"))
        return
    digits = match.group(1) or match.group(2)
    year = int(digits) if len(digits) == 4 else 2000 + int(digits)
    yield _Candidate(*match.span(), year_period(year))


PART_RULES: tuple[Rule, ...] = (
    *MONTH_AND_YEAR_PARTS,
    (_FORTNIGHT, _fortnight),
    (_WEEKDAY_OF_WEEK, _weekday_of_week),
    (_WORD_DAY, _word_day),
    (_CALENDAR_YEAR, _calendar_year),
)


NAMED_RULES: tuple[Rule, ...] = (
    (_WEEKEND, _weekend),
    (_HOLIDAY, _holiday),
    (_SEASON, _season),
    (_SINCE_START, _since_start),
    *PART_RULES,
)
