"""Reading the other periods: halves, quarters, months, years, to date, last
N, weekdays and forecasts; and the list of every rule, with the words that
shift another period (:mod:`analytics_core.periods.relations`) and named
days (:mod:`analytics_core.periods.named`)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from analytics_core.periods.calendar import (
    _ORDINALS,
    _UNIT_MONTHS,
    _WEEKDAY_ABBREVIATIONS,
    MAX_COUNT,
    NUMBER_WORDS,
    ONE_DAY,
    WEEKDAYS,
    Period,
    PeriodError,
    _unit_start,
    _whole,
    add_months,
    day_period,
    half_period,
    iso_week_start,
    month_period,
    previous_period,
    quarter_period,
    week_period,
    year_period,
)
from analytics_core.periods.days import (
    _DAY_MONTH,
    _DAY_RANGE_MONTH,
    _FLAGS,
    _ISO_DAY,
    _ISO_MONTH,
    _ISO_WEEK,
    _MONTH,
    _MONTH_DAY,
    _MONTH_DAY_RANGE,
    _NUM,
    _S,
    _SLASHED,
    _WEEK_NUMBER,
    _WEEKDAY,
    _YEAR,
    _YEAR_SUFFIX,
    Rule,
    _Candidate,
    _dated,
    _day_month,
    _day_range_month,
    _iso_day,
    _iso_month,
    _iso_week,
    _month_day,
    _month_day_range,
    _month_number,
    _number,
    _rx,
    _slashed,
    _suffix_year,
    _week_number,
)
from analytics_core.periods.named import NAMED_RULES
from analytics_core.periods.relations import RELATION_RULES

# Halves: "first half", "H1", "1H", "second half of 2025", "H2 last year", "2026 H1".
_HALF = _rx(
    r"\b(?:the"
    + _S
    + r")?(?:(first|1st|second|2nd|front|back|latter|former)"
    + _S
    + r"half(?:"
    + _S
    + r"of"
    + _S
    + r"the"
    + _S
    + r"year)?|h([12])|([12])h)(?![\w-])(?!"
    + _S
    + r"of"
    + _S
    + r"(?:the"
    + _S
    + r")?(?:"
    + _MONTH
    + r"|month|week|quarter|q[1-4]\b|day))"
    + _YEAR_SUFFIX
)
#: Halves said as front and back ("the back half of 2025").
_HALF_WORDS = {"front": 1, "former": 1, "back": 2, "latter": 2}
_YEAR_HALF = _rx(r"(?<![\w-])(" + _YEAR + r")\s{0,4}-?\s{0,4}h([12])(?![\w-])")


def _half(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    word, h_first, first_h = match.group(1), match.group(2), match.group(3)
    if word:
        half = _HALF_WORDS.get(word.lower()) or _ORDINALS[word.lower()]
    else:
        half = int(h_first or first_h)
    year = _suffix_year(match.group(4), match.group(5), as_of)
    yield _dated(match, as_of, lambda y: half_period(y, half), year)


def _year_half(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), half_period(int(match.group(1)), int(match.group(2))))


# Quarters: "Q1", "Q1 2026", "first quarter of 2025", "Q3 FY2025", "Q1 last year", "2026 Q1".
_QUARTER = _rx(
    r"\b(?:the"
    + _S
    + r")?(?:q([1-4])|(first|1st|second|2nd|third|3rd|fourth|4th)"
    + _S
    + r"quarter)(?![\w-])(?:\s{0,4}(?:of\s{0,4})?(?:fy\s{0,4})?'?("
    + _YEAR
    + r")(?![\w-])|"
    + _S
    + r"(?:of"
    + _S
    + r")?(last|this|previous|prior|current)"
    + _S
    + r"year\b)?"
)
_YEAR_QUARTER = _rx(r"(?<![\w-])(" + _YEAR + r")\s{0,4}-?\s{0,4}q([1-4])(?![\w-])")


def _quarter(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    quarter = int(match.group(1)) if match.group(1) else _ORDINALS[match.group(2).lower()]
    year = _suffix_year(match.group(3), match.group(4), as_of)
    yield _dated(match, as_of, lambda y: quarter_period(y, quarter), year)


def _year_quarter(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), quarter_period(int(match.group(1)), int(match.group(2))))


# Months: "March", "March 2026", "Mar, 2026", "March of last year", "last March", "this May".
_MONTH_NAME = _rx(
    r"(?<![\w])(?:(last|this|previous|prior)" + _S + r")?(" + _MONTH + r")" + _YEAR_SUFFIX
)
#: "may" is a month only with a year or after one of these words ("may I see...").
_MAY_CUES = re.compile(
    r"(?:\b(?:in|during|for|of|since|from|until|till|through|before|after|between"
    r"|to|and|or|vs|versus|than|early|late|mid|did|does|was|is|were|compare|compared)"
    r"\s{1,4})$",
    _FLAGS,
)
#: ... or before one of these ("May's revenue", "May vs April", "May compared to
#: April"), or with another month in the question ("how did May compare to April").
_MAY_AFTER = re.compile(r"(?:'s|\s{1,4}(?:vs|versus|compared|against|than)\b)", _FLAGS)
#: Words after a "may" that is the verb ("may I see", "may we have", "may be").
MODAL_MAY_FOLLOWERS = frozenset(
    {"i", "we", "you", "they", "it", "he", "she", "be", "have", "not", "also", "still"}
    | {"see", "get", "show", "ask", "know"}
)
_OTHER_MONTH = re.compile(
    r"\b(?!may\b)(?:january|february|march|april|june|july|august|september|october"
    r"|november|december)\b",
    _FLAGS,
)


def _month_name(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    text = match.string
    relative, word = match.group(1), match.group(2)
    year = _suffix_year(match.group(3), match.group(4), as_of)
    is_may = word.lower().rstrip(".") == "may" and year is None and not relative
    if (
        is_may
        and not _MAY_CUES.search(text, max(0, match.start() - 12), match.start())
        and not _MAY_AFTER.match(text, match.end())
        and not _OTHER_MONTH.search(text)
        # the first word, not followed by a subject or a verb: "May revenue"
        and not (
            not text[: match.start()].strip()
            and text[match.end() :].split()[:1] != []
            and text[match.end() :].split()[0].lower() not in MODAL_MAY_FOLLOWERS
        )
    ):
        return
    month = _month_number(word)
    if relative and year is None:
        if relative.lower() == "this":
            year = as_of.year
        else:
            # "last March": the most recent March before the as-of date's month.
            year = as_of.year if month < as_of.month else as_of.year - 1
    yield _dated(match, as_of, lambda y: month_period(y, month), year)


# Years: "2025", "in 2025", "FY2025", "the year before last".
_YEAR_NUMBER = _rx(
    r"(?<!top )(?<!bottom )(?<!over )(?<!under )(?<!above )(?<!below )(?<!than )(?<!least )"
    r"(?<![\w.,$€£])(?:fy\s{0,4})?(" + _YEAR + r")(?![\w.,]|\s{0,4}(?:%|usd\b|eur\b|gbp\b|"
    r"dollars?\b|euros?\b|units?\b|items?\b|rows?\b|k\b))"
)
# "...in 2025 than 2024": a year after "than" that ends the question is the
# other side of a comparison ("more than 2024 orders" is a number).
_THAN_YEAR = _rx(r"(?<=\bthan )(" + _YEAR + r")(?=\s{0,4}(?:$|[?.!;)]))")
_YEAR_BEFORE_LAST = _rx(
    r"\b(?:the" + _S + r")?year" + _S + r"(?:before|prior" + _S + r"to)" + _S + r"last\b"
)


def _year_number(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), year_period(int(match.group(1))))


def _year_before_last(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), year_period(as_of.year - 2, "the year before last"))


# The as-of date's neighbourhood.
_YESTERDAY = _rx(r"\b(?:the" + _S + r"day" + _S + r"before" + _S + r")?yesterday\b")
_TODAY = _rx(r"\btoday\b")


def _yesterday(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    if match.group(0).lower().startswith("the"):
        yield _Candidate(*match.span(), day_period(as_of - 2 * ONE_DAY), form="day")
    else:
        yield _Candidate(*match.span(), day_period(as_of - ONE_DAY, "yesterday"), form="day")


def _today(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), day_period(as_of, "today"), form="day")


# To date: "this month", "month to date", "MTD", "so far this year", "the year so far".
_TO_DATE = _rx(
    r"\b(?:(?:so"
    + _S
    + r"far"
    + _S
    + r")?(?:this|current|the"
    + _S
    + r"current)"
    + _S
    + r"(week|month|quarter|year)(?:"
    + _S
    + r"(?:so"
    + _S
    + r"far|to"
    + _S
    + r"date))?|(?:the"
    + _S
    + r")?(week|month|quarter|year)(?:"
    + _S
    + r"|-)to(?:"
    + _S
    + r"|-)date|(wtd|mtd|qtd|ytd)|the"
    + _S
    + r"(week|month|quarter|year)"
    + _S
    + r"so"
    + _S
    + r"far)\b"
)
_ABBREVIATED_UNITS = {"w": "week", "m": "month", "q": "quarter", "y": "year"}


def _to_date(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    abbreviation = match.group(3)
    unit = (
        _ABBREVIATED_UNITS[abbreviation[0].lower()]
        if abbreviation
        else (match.group(1) or match.group(2) or match.group(4)).lower()
    )
    start = _unit_start(as_of, unit)
    yield _Candidate(*match.span(), Period(start, as_of, f"this {unit}", "to_date", unit))


# "For the year", "over the month", "during the quarter": the current one to
# date, as "this year". Only when nothing after it says which one ("the
# month of May", "the week commencing ...", "the year 2025", "the year before"
# are other periods): the end of the question or a word that starts another
# part of it.
_THE_UNIT = _rx(
    r"\b(?:for|over|during|across|throughout|in)"
    + _S
    + r"(the"
    + _S
    + r"(week|month|quarter|year))(?=\s*(?:$|[?.!,;:)]|(?:by|so|and|or|for|in|per|vs|"
    + r"versus|compared|please|split|broken|across|at|on|what|how|as|up|down|thus|"
    + r"overall|total|each|all|only)\b))"
)


def _the_unit(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    unit = match.group(2).lower()
    start = _unit_start(as_of, unit)
    period = Period(start, as_of, f"this {unit}", "to_date", unit)
    yield _Candidate(match.start(1), match.end(1), period)


# Whole periods just before the current one: "last week", "previous month",
# "the week before last".
# "The latest full week", "the most recent complete quarter": the whole one
# before the current one too (complete or not, "latest" is never a period that
# has not ended, which would be "this").
_LAST_UNIT = _rx(
    r"\b(last|previous|past|prior|preceding|latest|most"
    + _S
    + r"recent)(?:"
    + _S
    + r"(?:full|complete|completed|whole|closed|finished))?"
    + _S
    + r"(day|week|month|quarter|year)\b"
    r"(?!" + _S + r"(?:to|so)" + _S + r"(?:date|far)\b)"
)
#: "the month before last", "the week prior to last"
_BEFORE_LAST = _rx(
    r"\b(?:the"
    + _S
    + r")?(week|month|quarter)"
    + _S
    + r"(?:before|prior"
    + _S
    + r"to)"
    + _S
    + r"last\b"
)


def _last_unit(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    word, unit = match.group(1).lower(), match.group(2).lower()
    if unit == "day":
        period = day_period(as_of - ONE_DAY, f"{word} day")
    elif unit == "week":
        period = week_period(as_of - datetime.timedelta(days=7), "last week")
    else:
        previous = add_months(_unit_start(as_of, unit), -_UNIT_MONTHS[unit])
        period = _whole(unit, previous, f"last {unit}")
    yield _Candidate(*match.span(), period, form="last_unit", word=word)


def _before_last(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    unit = match.group(1).lower()
    if unit == "week":
        period = week_period(as_of - datetime.timedelta(days=14), f"the {unit} before last")
    else:
        back = add_months(_unit_start(as_of, unit), -2 * _UNIT_MONTHS[unit])
        period = _whole(unit, back, f"the {unit} before last")
    yield _Candidate(*match.span(), period)


# Last N: "last 7 days", "in the past 30 days", "trailing 12 months", "previous 2 quarters", TTM.
_LAST_N = _rx(
    r"\b(?:(?:in|over|during|for|within)" + _S + r")?(?:the" + _S + r")?"
    r"(last|past|previous|prior|preceding|trailing|rolling)"
    + _S
    + r"(?:a"
    + _S
    + r")?(?:"
    + _NUM
    + r"|(couple)"
    + _S
    + r"of)"
    + _S
    + r"(days?|weeks?|months?|quarters?|years?)\b"
)
_TTM = _rx(r"\b(?:ttm|ltm|l12m)\b")


def last_n(count: int, unit: str, as_of: datetime.date, label: str | None = None) -> Period:
    """The last ``count`` days (ending yesterday) or whole weeks, months,
    quarters or years (ending with the last complete one)."""
    unit = unit.lower().rstrip("s")
    label = label or f"last {count} {unit}{'' if count == 1 else 's'}"
    if count < 1 or count > MAX_COUNT:
        raise PeriodError(f"{count} {unit}s is not a period I can use")
    try:
        if unit == "day":
            return Period(as_of - datetime.timedelta(days=count), as_of - ONE_DAY, label, "days")
        if unit == "week":
            monday = iso_week_start(as_of)
            start = monday - datetime.timedelta(days=7 * count)
            return Period(start, monday - ONE_DAY, label, "range", "week")
        current = _unit_start(as_of, unit)
        start = add_months(current, -count * _UNIT_MONTHS[unit])
    except (OverflowError, ValueError) as exc:
        raise PeriodError(f"{count} {unit}s is not a period I can use") from exc
    return Period(start, current - ONE_DAY, label, "range", unit)


def _last_n(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    try:
        # "the last couple of weeks": two
        count = 2 if match.group(3) else _number(match.group(2))
        period = last_n(count, match.group(4), as_of)
    except PeriodError as exc:
        yield _Candidate(*match.span(), error=exc)
        return
    # After another period, "the previous 30 days" are the ones before it.
    yield _Candidate(*match.span(), period, form="last_n", word=match.group(1).lower())


# "vs last YTD", "prior year to date", "last year so far", "prior TTM": the
# same span a unit earlier.
_LAST_TO_DATE = _rx(
    r"\b(?:the"
    + _S
    + r")?(?:last|prior|previous)"
    + _S
    + r"(?:ttm|ltm|ytd|qtd|mtd|(?:year|quarter|month|week)"
    + _S
    + r"(?:to"
    + _S
    + r"date|so"
    + _S
    + r"far))\b"
)


def _last_to_date(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    # After another period, the same span a unit before it; alone ("revenue
    # last year so far"), this unit to date a unit earlier.
    said = re.sub(r"\s+", " ", match.group(0).lower()).split(" ")
    if {"ttm", "ltm"} & set(said):
        base = last_n(12, "months", as_of)
    else:
        unit = {"ytd": "year", "qtd": "quarter", "mtd": "month"}.get(said[-1]) or said[-3]
        start = iso_week_start(as_of) if unit == "week" else _unit_start(as_of, unit)
        base = Period(start, as_of, f"this {unit} to date", "to_date", unit)
    before = previous_period(base)
    period = Period(before.start, before.end, " ".join(said), before.kind, before.unit)
    yield _Candidate(*match.span(), period, relation="previous", form="ago")


def _ttm(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    yield _Candidate(*match.span(), last_n(12, "months", as_of, "last 12 months"))


# "3 days ago", "two weeks ago", "a month ago", "a year earlier".
_AGO = _rx(
    r"\b(a|an|one|"
    + r"\d{1,4}|"
    + "|".join(NUMBER_WORDS)
    + r")"
    + _S
    + r"(days?|weeks?|months?|quarters?|years?)"
    + _S
    + r"(ago|earlier|before|back)\b"
)


def _ago(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    amount, unit, word = match.group(1).lower(), match.group(2).lower().rstrip("s"), match.group(3)
    count = 1 if amount in {"a", "an"} else _number(amount)
    relation = f"{unit}_ago" if count == 1 else None
    if count < 1 or count > MAX_COUNT:
        yield _Candidate(*match.span(), error=PeriodError(f"{count} {unit}s ago is not a date"))
        return
    try:
        if unit in {"day", "week"}:
            delta = datetime.timedelta(days=count * (7 if unit == "week" else 1))
            period = _whole(unit, as_of - delta, match.group(0))
        else:
            moved = add_months(_unit_start(as_of, unit), -count * _UNIT_MONTHS[unit])
            period = _whole(unit, moved, match.group(0))
    except (PeriodError, OverflowError) as exc:
        yield _Candidate(*match.span(), error=PeriodError(str(exc)))
        return
    if word.lower() in {"before", "earlier"} and relation is None:
        # "the 7 days before": the same span before the period it follows
        yield _Candidate(*match.span(), relation="previous")
    elif word.lower() == "ago" or relation is None:
        yield _Candidate(*match.span(), period, relation=relation, form="ago")
    else:
        # "a year earlier", "a month before": only ever relative to another period.
        yield _Candidate(*match.span(), relation=relation)


# Weekdays: "last Monday", "on Friday", "Friday", "this Monday".
_WEEKDAY_NAME = _rx(
    r"(?<![\w])(?:(last|previous|prior|this|on|next|coming)" + _S + r")?(" + _WEEKDAY + r")"
)


def _weekday(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    cue, word = (match.group(1) or "").lower(), match.group(2).lower()
    if word in WEEKDAYS:
        weekday = WEEKDAYS[word]
    elif cue:
        weekday = _WEEKDAY_ABBREVIATIONS[word]
    else:
        return  # "sun", "sat", "wed" alone are too often other words
    name = list(WEEKDAYS)[weekday].capitalize()
    if cue in {"next", "coming"}:
        label = f"{cue} {name}"
        yield _Candidate(*match.span(), Period(None, None, label, "all"), future=True)
        return
    if cue == "this":
        day = iso_week_start(as_of) + datetime.timedelta(days=weekday)
    else:
        back = (as_of.weekday() - weekday) % 7
        if back == 0 and cue in {"last", "previous", "prior"}:
            back = 7
        day = as_of - datetime.timedelta(days=back)
    yield _Candidate(*match.span(), day_period(day, f"{name} {day}"), form="day", word="weekday")


# Forecasts: "next month", "the coming weeks", "tomorrow", "next March", "next Q1".
_FUTURE = _rx(
    r"\b(?:next|coming|upcoming|following)" + _S + r"(?:\d{1,4}" + _S + r")?"
    r"(?:days?|weeks?|months?|quarters?|years?|halfs?|halves)\b"
    r"|\btomorrow\b|\bnext" + _S + r"(?:" + _MONTH + r"|q[1-4]\b|h[12]\b)"
)


_NEXT_UNIT = _rx(r"\b(?:the" + _S + r")?next" + _S + r"(day|week|month|quarter|year)\b")


def _future(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    label = match.group(0)
    yield _Candidate(*match.span(), Period(None, None, label, "all"), future=True)


def _next_unit(match: re.Match[str], as_of: datetime.date) -> Iterator[_Candidate]:
    """ "Next month": the whole unit after the current one. Its dates are in the
    future (a forecast, unless a plan is asked for: targets cover future months)."""
    unit = match.group(1).lower()
    if unit == "day":
        period = day_period(as_of + ONE_DAY, "tomorrow")
    elif unit == "week":
        period = week_period(as_of + datetime.timedelta(days=7), "next week")
    else:
        after = add_months(_unit_start(as_of, unit), _UNIT_MONTHS[unit])
        period = _whole(unit, after, f"next {unit}")
    yield _Candidate(*match.span(), period, future=True)


_RULES: tuple[Rule, ...] = (
    (_ISO_DAY, _iso_day),
    (_ISO_MONTH, _iso_month),
    (_SLASHED, _slashed),
    (_MONTH_DAY, _month_day),
    (_DAY_MONTH, _day_month),
    (_MONTH_DAY_RANGE, _month_day_range),
    (_DAY_RANGE_MONTH, _day_range_month),
    (_WEEK_NUMBER, _week_number),
    (_ISO_WEEK, _iso_week),
    (_HALF, _half),
    (_THE_UNIT, _the_unit),
    (_YEAR_HALF, _year_half),
    (_QUARTER, _quarter),
    (_YEAR_QUARTER, _year_quarter),
    (_MONTH_NAME, _month_name),
    (_YEAR_NUMBER, _year_number),
    (_THAN_YEAR, _year_number),
    (_YEAR_BEFORE_LAST, _year_before_last),
    (_YESTERDAY, _yesterday),
    (_TODAY, _today),
    (_TO_DATE, _to_date),
    (_LAST_UNIT, _last_unit),
    (_BEFORE_LAST, _before_last),
    (_LAST_N, _last_n),
    (_LAST_TO_DATE, _last_to_date),
    (_TTM, _ttm),
    (_AGO, _ago),
    (_WEEKDAY_NAME, _weekday),
    *RELATION_RULES,
    (_NEXT_UNIT, _next_unit),
    (_FUTURE, _future),
    *NAMED_RULES,
)
