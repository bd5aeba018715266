"""Periods cut at the as-of date: "the second quarter so far", "June to date",
"so far in June", "2025 YTD" (:mod:`analytics_core.periods`)."""

from __future__ import annotations

import datetime

from analytics_core.periods.calendar import Period, month_end
from analytics_core.periods.days import _S, _Candidate, _rx

#: Whole calendar units a comparison may set side by side ("from April to May").
_WHOLE_UNITS = frozenset({"week", "month", "quarter", "half", "year"})
_SO_FAR = _rx(
    r"^,?" + _S + r"(?:so" + _S + r"far|to" + _S + r"date|until" + _S + r"now|(ytd|qtd|mtd|wtd))\b"
)
#: "so far in June", "to date for Q2": the same, said before the period.
_SO_FAR_BEFORE = _rx(
    r"\b(?:so"
    + _S
    + r"far|to"
    + _S
    + r"date|until"
    + _S
    + r"now)"
    + _S
    + r"(?:in|for|during|of)"
    + _S
    + r"$"
)
#: The unit each abbreviation runs to date ("2025 YTD": 2025 up to today's place in a year).
_ABBREVIATED = {"ytd": "year", "qtd": "quarter", "mtd": "month", "wtd": "week"}


def _so_far(chosen: list[_Candidate], text: str, as_of: datetime.date) -> list[_Candidate]:
    """ "The second quarter so far", "June to date", "2026 so far": a period
    holding the as-of date, cut at it. A whole unit before it ("2025 YTD",
    "last month MTD") is cut at the as-of date's place in its unit (2025 to
    June 15 on 2026-06-15), so the two can be set side by side; said in words
    ("2025 to date") it runs from its start to the as-of date."""
    extended: list[tuple[int, int]] = []
    for candidate in chosen:
        period = candidate.period
        if period is None or candidate.relation is not None or candidate.error is not None:
            continue
        if period.start is None or period.end is None:
            continue
        match = _SO_FAR.match(text[candidate.end :])
        before = None if match else _SO_FAR_BEFORE.search(text[: candidate.start])
        if before is not None and not period.start <= as_of < period.end:
            before = None  # "so far in 2025" when 2025 is over: all of it
        if match is None and before is None:
            continue
        unit = period.kind if period.kind in _WHOLE_UNITS else period.unit
        said = match.group(1) if match else None
        if said is not None and _ABBREVIATED[said.lower()] != unit:
            continue  # "2025 MTD": not a unit that runs to date
        if period.start <= as_of < period.end:
            end, label = as_of, f"{period.label} to date"
        elif said is not None and period.end < as_of and period.kind in _WHOLE_UNITS:
            end = _same_place(period.start, period.kind, as_of)
            label = f"{period.label} to {end.isoformat()}"
        elif said is None and period.end < as_of:
            # "2025 to date", "since March so far": from its start until now
            end, label, unit = as_of, f"{period.label} to date", None
        else:
            continue
        candidate.period = Period(period.start, end, label, "to_date", unit)
        if match is not None:
            candidate.end += match.end()
        elif before is not None:
            candidate.start = before.start()
        candidate.in_year = None
        extended.append((candidate.start, candidate.end))
    return [
        c
        for c in chosen
        if not any(a <= c.start and c.end <= b and (c.start, c.end) != (a, b) for a, b in extended)
    ]


def _same_place(start: datetime.date, unit: str, as_of: datetime.date) -> datetime.date:
    """The day of the unit starting ``start`` that is where ``as_of`` is in its
    own unit (the same day of the year, quarter, month or week), clipped to
    the unit's last day."""
    if unit == "week":
        return start + datetime.timedelta(days=as_of.weekday())
    months = {"year": 12, "half": 6, "quarter": 3, "month": 1}[unit]
    month = start.month + (as_of.month - 1) % months
    return datetime.date(start.year, month, min(as_of.day, month_end(start.year, month).day))
