"""Putting the readings together: the longest readings win, ranges join,
"since"/"until"/"week of" apply, words that shift another period become
relations (:mod:`analytics_core.periods`)."""

from __future__ import annotations

import datetime
import itertools

from analytics_core.periods.calendar import (
    ONE_DAY,
    AmbiguousDate,
    FoundPeriod,
    Period,
    PeriodError,
    _bounds,
    _range_label,
    day_period,
    week_period,
)
from analytics_core.periods.days import _S, YEAR_BACK, _Candidate, _joined_properly, _rx
from analytics_core.periods.to_date import _WHOLE_UNITS, _so_far
from analytics_core.periods.words import _RULES

# --- putting the readings together ----------------------------------------------------------


def _candidates(text: str, as_of: datetime.date) -> list[_Candidate]:
    found: list[_Candidate] = []
    for pattern, build in _RULES:
        for match in pattern.finditer(text):
            found.extend(c for c in build(match, as_of) if c.end > c.start)
    return found


def _choose(candidates: list[_Candidate]) -> list[_Candidate]:
    """Non-overlapping readings, the longest first (ties: the earlier), in text order."""
    chosen: list[_Candidate] = []
    taken: list[tuple[int, int]] = []
    for candidate in sorted(candidates, key=lambda c: (-c.length, c.start)):
        if any(candidate.start < end and start < candidate.end for start, end in taken):
            continue
        chosen.append(candidate)
        taken.append((candidate.start, candidate.end))
    return sorted(chosen, key=lambda c: c.start)


_BETWEEN = _rx(r"(?<!\S)(between|from)" + _S + r"$")
_JOIN = _rx(
    r"(?:\s{0,4}(?:-|\u2013|\u2014)\s{0,4}|"
    + _S
    + r"(?:to|until|till|through|thru|and)"
    + _S
    + r")$"
)


def _ranges(
    chosen: list[_Candidate], text: str, as_of: datetime.date, join_units: bool = True
) -> list[_Candidate]:
    """Join "X to Y", "from X through Y", "between X and Y" into one range.
    Without ``join_units``, two whole periods of the same kind stay two ("the
    change from April to May": May against April)."""
    out: list[_Candidate] = []
    index = 0
    while index < len(chosen):
        first = chosen[index]
        second = chosen[index + 1] if index + 1 < len(chosen) else None
        joined = None
        if (
            second is not None
            and _joinable(first)
            and _joinable(second)
            and (join_units or not _same_units(first, second))
        ):
            join = _JOIN.match(text, first.end, second.start)
            lo = max(out[-1].end if out else 0, first.start - 12)
            prefix = _BETWEEN.search(text, lo, first.start)
            if join and _joined_properly(prefix.group(1) if prefix else None, join.group(0)):
                start = prefix.start() if prefix else first.start
                joined = _join(first, second, start, as_of)
        if joined is not None:
            out.append(joined)
            index += 2
        else:
            out.append(first)
            index += 1
    return out


def _one_year(chosen: list[_Candidate], text: str) -> None:
    """ "Q1 and Q2 2025", "March vs April 2025", "from Q1 to Q2 2025": two
    periods side by side, one named without a year, are in the other's year
    (the year said once for both), unless that makes them one period ("May vs
    May 2025" is this May against last)."""
    for first, second in itertools.pairwise(chosen):
        if _PAIRED.fullmatch(text[first.end : second.start]) is None:
            continue
        for bare, dated in ((first, second), (second, first)):
            period = dated.period
            if (
                bare.in_year is None
                or dated.in_year is not None
                or period is None
                or period.start is None
                or period.end is None
                or period.start.year != period.end.year
                or dated.error is not None
                or dated.relation is not None
                or bare.relation is not None
            ):
                continue
            try:
                same_year = bare.in_year(period.start.year)
            except PeriodError:
                continue
            if _bounds(same_year) != _bounds(period):  # "May vs May 2025": this May
                bare.period, bare.in_year = same_year, None


_PAIRED = _rx(
    r"\s{0,4}(?:,|-|\u2013|vs\.?|versus|and|to|or|against|over|compared\s{1,4}(?:to|with))"
    r"\s{0,4}(?:the\s{1,4})?"
)


def _same_units(first: _Candidate, second: _Candidate) -> bool:
    """Whether two periods are units to set against each other, not the ends of
    a span: the same whole unit ("from April to May"), or whole units and
    units so far ("between this month and last month")."""
    a, b = first.period, second.period
    if a is None or b is None:
        return False
    if a.kind == b.kind and a.kind in _WHOLE_UNITS:
        return True
    if a.kind == b.kind == "range" and None not in (a.start, a.end, b.start, b.end):
        # "from the first week of June to the second": spans of days alike in
        # length (a day or two apart, as parts of months are) set side by side
        days = [(p.end - p.start).days + 1 for p in (a, b)]  # type: ignore[operator]
        if min(days) > 1 and abs(days[0] - days[1]) <= 3:
            return True
    units = _WHOLE_UNITS | {"to_date"}
    return a.kind in units and b.kind in units and a.kind != b.kind


def _joinable(candidate: _Candidate) -> bool:
    if candidate.relation is not None or candidate.future:
        return False
    if candidate.error is not None:
        return True
    period = candidate.period
    return period is not None and period.start is not None and period.end is not None


def _join(
    first: _Candidate, second: _Candidate, start: int, as_of: datetime.date
) -> _Candidate | None:
    end = second.end
    if first.error is not None or second.error is not None:
        return _Candidate(start, end, error=first.error or second.error)
    if first.period is None or second.period is None:
        return None
    a, b = first.period, second.period
    try:
        # A range crosses into the next year only when its end's month comes
        # before its start's ("December 20 to January 5"); "March 9 to March 3"
        # stays backwards.
        if first.in_year is not None and second.in_year is None:
            # "December 20 to 2026-01-05": the start in the end's year, or the one before.
            b_end = _bounds(b)[1]
            a = first.in_year(b_end.year)
            if _bounds(a)[0].month > b_end.month:
                a = first.in_year(b_end.year - 1)
        elif second.in_year is not None:
            # The end in the start's year, or the next.
            a_start = _bounds(a)[0]
            b = second.in_year(a_start.year)
            if _bounds(b)[1].month < a_start.month:
                b = second.in_year(a_start.year + 1)
        first_day, last_day = _bounds(a)[0], _bounds(b)[1]
    except PeriodError as exc:
        return _Candidate(start, end, error=exc)
    if last_day < first_day:
        error = PeriodError(f"the period {first_day} to {last_day} ends before it starts")
        return _Candidate(start, end, error=error)
    if a.kind == "day" and b.kind == "day":
        label = _range_label(first_day, last_day)
    else:
        label = f"{a.label} to {b.label}"
    unit = a.kind if a.kind == b.kind and a.kind in {"week", "month", "quarter", "year"} else None
    return _Candidate(start, end, Period(first_day, last_day, label, "range", unit))


_PREFIX = _rx(
    r"(?<!\S)(?:(?P<fortnight>(?:the"
    + _S
    + r")?fortnight"
    + _S
    + r"(?:ending|to|up"
    + _S
    + r"to|(?P<from>starting|beginning|from)))|(?P<week>(?:the"
    + _S
    + r")?(?:week"
    + _S
    + r"(?:of|beginning|starting|commencing|including|containing|ending)|w/c|w/b|wc|wb|w c|w b)"
    + r")|(?P<since>(?:since|from)"
    + _S
    + r"the"
    + _S
    + r"(?:start|beginning)"
    + _S
    + r"of|since|starting(?:"
    + _S
    + r"(?:from|on))?|beginning|from)|(?P<after>after)|(?P<until>until|till|up"
    + _S
    + r"(?:to|until)|through|thru)|(?P<before>before|prior"
    + _S
    + r"to))"
    + _S
    + r"(?:the"
    + _S
    + r")?$"
)
_PREPOSITION = _rx(r"(?<!\S)(?:in|during|for|over|within|on|of)" + _S + r"$")


def _prefixed(chosen: list[_Candidate], text: str, as_of: datetime.date) -> None:
    """Apply "week of", "since", "after", "until", "before" to the period they
    precede, and take a leading preposition ("in March") into the span."""
    floor = 0
    for candidate in chosen:
        window_start = max(floor, candidate.start - 40)
        period = candidate.period
        match = _PREFIX.search(text, window_start, candidate.start)
        if (
            match
            and candidate.error is None
            and candidate.relation is None
            and period is not None
            and period.start is not None
            and period.end is not None
        ):
            new: Period | None = None
            if match.group("fortnight"):
                if period.kind == "day" and match.group("from"):
                    end = period.start + 13 * ONE_DAY
                    new = Period(period.start, end, f"fortnight from {period.start}", "range")
                elif period.kind == "day":
                    start = period.end - 13 * ONE_DAY
                    new = Period(start, period.end, f"fortnight ending {period.end}", "range")
            elif match.group("week"):
                if period.kind == "day":
                    new = week_period(period.start)
            elif match.group("since"):
                word = match.group("since").lower()
                if word != "from" or period.kind == "day":
                    new = Period(period.start, as_of, f"since {period.label}", "to_date")
            elif match.group("after"):
                after = period.end + ONE_DAY
                new = Period(after, as_of, f"after {period.label}", "to_date")
            elif match.group("until"):
                new = Period(None, period.end, f"until {period.label}", "all")
            elif match.group("before"):
                new = Period(None, period.start - ONE_DAY, f"before {period.label}", "all")
            if new is not None:
                candidate.period = new
                candidate.in_year = None
                candidate.form = ""
                candidate.start = match.start()
                floor = candidate.end
                continue
        preposition = _PREPOSITION.search(text, window_start, candidate.start)
        if preposition and candidate.relation is None:
            candidate.start = preposition.start()
        floor = candidate.end


_COMPARE_CUE = _rx(
    r"(?:\b(?:vs|versus|against|than|over|compared"
    + _S
    + r"(?:to|with)|relative"
    + _S
    + r"to)"
    + _S
    + r"(?:the"
    + _S
    + r")?)$"
)


_THE = _rx(r"(?<!\S)the" + _S + r"$")
_YEAR_BACK = _rx(YEAR_BACK)


def _relations(chosen: list[_Candidate], text: str) -> None:
    """Words that name a period on their own but shift an earlier one when one
    was named: "March vs the previous month", "this year vs last year",
    "Q1 and a quarter before"."""
    seen_period = False
    named: list[tuple[datetime.date | None, datetime.date | None]] = []
    for candidate in chosen:
        if candidate.relation is not None and candidate.period is None:
            continue
        if candidate.error is not None or candidate.period is None:
            continue
        if seen_period:
            cued = _COMPARE_CUE.search(text, max(0, candidate.start - 30), candidate.start)
            if candidate.form == "last_n" and candidate.word in {"previous", "prior", "preceding"}:
                candidate.relation = "previous"
                candidate.period = None
                continue
            if candidate.form == "last_unit" and candidate.word in {
                "previous",
                "prior",
                "preceding",
            }:
                candidate.relation = f"{candidate.period.kind}_ago"
                candidate.period = None
                the = _THE.search(text, max(0, candidate.start - 8), candidate.start)
                if the:
                    candidate.start = the.start()
                continue
            if candidate.form == "last_unit" and candidate.period.kind == "year" and cued:
                candidate.relation = "year_ago"
                candidate.period = None
                continue
            if candidate.form == "ago" and candidate.relation is not None:
                candidate.period = None
                continue
            if (candidate.period.start, candidate.period.end) in named and _YEAR_BACK.search(
                text, candidate.start, candidate.end
            ):
                # "Black Friday vs Black Friday last year": the same day again,
                # said a year back, is the one a year before the first (the
                # holiday's own date that year, else the dates a year back)
                if candidate.of_year is None or candidate.period.start is None:
                    candidate.relation, candidate.period = "year_ago", None
                    continue
                try:
                    candidate.period = candidate.of_year(candidate.period.start.year - 1)
                except PeriodError:
                    candidate.relation, candidate.period = "year_ago", None
                    continue
        candidate.relation = None
        seen_period = True
        named.append((candidate.period.start, candidate.period.end))


def _same_order(chosen: list[_Candidate]) -> None:
    """ "From 01/03/2026 to 31/03/2026": a slashed date that reads two ways is read
    the way another slashed date of the same text can only be read (31/03 is day
    first, so 01/03 is 1 March)."""
    orders = {c.word for c in chosen if c.word in {"day_first", "month_first"}}
    if len(orders) != 1:
        return
    [order] = orders
    for candidate in chosen:
        error = candidate.error
        if isinstance(error, AmbiguousDate):
            day = error.readings[0] if order == "day_first" else error.readings[1]
            candidate.error = None
            candidate.period = day_period(day)
            candidate.form = "day"


def _within(chosen: list[_Candidate], text: str) -> list[_Candidate]:
    """ "January last quarter", "March of the first half": a month named
    without a year right before a longer period of one year that holds it is
    that month of that period (else two periods, which conflict)."""
    out: list[_Candidate] = []
    for candidate in chosen:
        if out and _possessed(out[-1], candidate, text):
            continue
        inner = out[-1] if out else None
        outer = candidate.period
        if (
            inner is None
            or inner.in_year is None
            or outer is None
            or outer.start is None
            or outer.end is None
            or outer.start.year != outer.end.year
            or candidate.error is not None
            or candidate.relation is not None
            or _WITHIN_GAP.fullmatch(text[inner.end : candidate.start]) is None
        ):
            out.append(candidate)
            continue
        try:
            period = inner.in_year(outer.start.year)
        except PeriodError:
            out.append(candidate)
            continue
        start, end = _bounds(period)
        if not (outer.start <= start and end <= outer.end) or (start, end) == (
            outer.start,
            outer.end,
        ):
            out.append(candidate)
            continue
        inner.period, inner.end, inner.in_year = period, candidate.end, None
    return out


def _possessed(year: _Candidate, inner: _Candidate, text: str) -> bool:
    """ "last year's March", "2025's Black Friday", "this year's Q1": a period
    named without a year, said as a year's, is that period of that year; the
    year's candidate becomes it (True), else nothing changes (False)."""
    period = year.period
    if (
        inner.in_year is None
        or period is None
        or period.start is None
        or period.start.year != (period.end or period.start).year
        or (period.start.month, period.start.day) != (1, 1)
        or year.error is not None
        or year.relation is not None
        or _POSSESSIVE.fullmatch(text[year.end : inner.start]) is None
    ):
        return False
    try:
        year.period = inner.in_year(period.start.year)
    except PeriodError:
        return False
    year.end, year.in_year, year.future = inner.end, None, inner.future
    year.of_year = inner.in_year
    return True


_POSSESSIVE = _rx(r"(?:'s|s'|s)?\s{1,4}(?:the\s{1,4})?")
_WITHIN_GAP = _rx(r"\s{1,4}(?:(?:of|in|during)\s{1,4})?(?:the\s{1,4})?")


_WEEKDAY_THEN_DATE = _rx(r",?" + _S + r"(?:the" + _S + r")?$")


def _dated_weekdays(chosen: list[_Candidate], text: str) -> list[_Candidate]:
    """ "Monday 8 June", "Monday, June 8": a weekday said with its date is that
    date (the date decides), not the weekday of this week and a date."""
    out: list[_Candidate] = []
    for candidate in chosen:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.word == "weekday"
            and candidate.form == "day"
            and candidate.word != "weekday"
            and candidate.error is None
            and _WEEKDAY_THEN_DATE.match(text[previous.end : candidate.start])
        ):
            candidate.start = previous.start
            out[-1] = candidate
            continue
        out.append(candidate)
    return out


def find_periods(text: str, as_of: datetime.date, *, join_units: bool = True) -> list[FoundPeriod]:
    """Every period ``text`` names, left to right, with its span (see the module
    docstring). Raises :class:`PeriodError` (or :class:`AmbiguousDate`) for the
    first period that names an impossible or ambiguous date. Without
    ``join_units``, "from April to May" is two periods (a comparison's)."""
    chosen = _dated_weekdays(_choose(_candidates(text, as_of)), text)
    _same_order(chosen)
    chosen = _ranges(chosen, text, as_of, join_units)
    chosen = _so_far(chosen, text, as_of)
    chosen = _within(chosen, text)
    _prefixed(chosen, text, as_of)
    _relations(chosen, text)
    _one_year(chosen, text)
    found: list[FoundPeriod] = []
    for candidate in chosen:
        if candidate.error is not None:
            raise candidate.error
        span = (candidate.start, candidate.end)
        if candidate.relation is not None and candidate.period is None:
            words = text[candidate.start : candidate.end].strip()
            relative = Period(None, None, words, "relation")
            found.append(FoundPeriod(relative, span, relation=candidate.relation))
            continue
        period = candidate.period
        if (
            period is None
        ):  # pragma: no cover - every candidate has a period, an error or a relation
            continue
        future = candidate.future or (period.start is not None and period.start > as_of)
        found.append(FoundPeriod(period, span, future=future))
    return found


def find_period(text: str, as_of: datetime.date) -> FoundPeriod | None:
    """One period ``text`` names, or None (all time): a forecast if the text asks
    for one (so it can be refused), else the first period with dates.

    Raises :class:`PeriodError` for impossible or ambiguous dates."""
    periods = [found for found in find_periods(text, as_of) if found.relation is None]
    for found in periods:
        if found.future:
            return found
    return periods[0] if periods else None


#: Longest period phrase a parameter may hold (report parameters).
MAX_PHRASE_CHARS = 80
_FILLER = _rx(r"^[\s,.;:!?'\"()-]*(?:(?:the|please|for|in|on|of|during)[\s,.;:!?'\"()-]+)*$")


def resolve_phrase(text: str, as_of: datetime.date) -> Period:
    """The one period a short phrase names ("last week", "the week of June 10",
    "2026-06"), for a parameter that takes a period: nothing but the period and
    filler words may be there. Raises :class:`PeriodError` saying why not (the
    message does not repeat the phrase, which may be anything a caller sent)."""
    if len(text) > MAX_PHRASE_CHARS:
        raise PeriodError(f"a period phrase is at most {MAX_PHRASE_CHARS} characters")
    found = find_periods(text, as_of)
    if not found:
        raise PeriodError("it names no period")
    if len(found) > 1:
        raise PeriodError(f"it names {len(found)} periods, not one")
    [one] = found
    leftover = text[: one.span[0]] + " " + text[one.span[1] :] + " "
    if not _FILLER.match(leftover):
        raise PeriodError("it has words besides the period")
    if one.relation is not None:
        raise PeriodError("it is relative to another period; name the period itself")
    if one.period.start is None and one.period.end is None:
        raise PeriodError("it is in the future and has no dates yet")
    if one.future:
        # "next month" has dates, but a report of a period to come has no data.
        raise PeriodError("it is in the future")
    return one.period
