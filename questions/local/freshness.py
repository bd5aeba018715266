"""How fresh the data is, in every answer of the local engine.

When the engine opens it reads, once, the first and last day with data
(:func:`read_data_range`, the definition every engine shares:
:mod:`questions.data_range`), through the same runner as the questions.

Then every answered question (:func:`note_freshness`):

- carries ``data_through`` and says "Data through <date>." after its
  interpretation;
- when the as-of day is after the data and the period runs past it ("this
  year" asked in December of data that ends in June), a warning names the
  dates the period means and the day the data ends (a period wholly after the
  data says so in the explanation, next item);
- when its period lies outside the data (no rows, or a total of nothing),
  says so: the period's dates, that the data covers <first> to <last>, and
  suggests the same question for the most recent such period that has data
  (checked by reading it again); with no rows in a period that has data, that
  nothing matched the question in it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from analytics_core.periods import Period, PeriodError, find_periods, iso_week_start
from questions import data_range
from questions.answers import Answer, clean_question
from questions.data_range import DataRange, Runner, say_data_through
from questions.semantic import Dialect, SemanticLayer

__all__ = ["DataRange", "note_freshness", "read_data_range"]


def read_data_range(layer: SemanticLayer, runner: Runner, dialect: Dialect) -> DataRange | None:
    """The data's first and last day in ``layer``'s relations for ``dialect``
    (None: no data, or no time column found)."""
    return data_range.read_data_range(layer.raw_manifest, layer.relation_names(dialect), runner)


def note_freshness(
    answer: Answer,
    data: DataRange | None,
    as_of: datetime.date | None,
    interpret: Callable[..., Answer] | None = None,
) -> Answer:
    """``answer`` with what the data range says about it (the module docstring).
    ``interpret`` (the engine's) checks a suggested question before it is offered."""
    if data is None or answer.status != "answered":
        return answer
    as_of = as_of or datetime.datetime.now(datetime.UTC).date()
    explanation = answer.explanation.rstrip()
    period = answer.interpretation.period if answer.interpretation else None
    dated = period is not None and period.start is not None and period.end is not None
    # A total over a period without data is one row of nothing (or 0): the
    # period says why, whatever the rows.
    outside = dated and (period.end < data.first or period.start > data.last)  # type: ignore[union-attr,operator]
    if period is not None and dated and not outside and as_of > data.last < period.end:  # type: ignore[operator]
        # Partly after the data: the dates it means, and where the data ends.
        answer.warnings.append(
            f"“{period.label}” is {_dates(period)}, but the data ends on {data.last}"
        )
    if period is not None and outside:
        explanation += (
            f" No data: {period.label} ({_dates(period)}) is outside the data, which"
            f" covers {data.first} to {data.last}."
        )
        other = _with_data(answer.question, period, data, as_of, interpret)
        if other is not None:
            answer.suggestions.insert(0, other)
    elif not answer.rows:
        explanation += " No rows: nothing matched the question" + (
            " in that period." if dated else "."
        )
    answer.explanation = explanation
    return say_data_through(answer, data.last)


#: Words after which a period needs no preposition of its own.
_PREPOSITIONS = frozenset({"in", "for", "during", "of", "from", "on", "over", "since", "within"})


def _dates(period: Period) -> str:
    if period.start == period.end:
        return str(period.start)
    return f"{period.start} to {period.end}"


def _phrase(period: Period, last: datetime.date) -> str | None:
    """The period of the same kind as ``period`` that holds ``last``, as words
    the calendar reads."""
    unit = period.unit if period.kind in ("to_date", "range") and period.unit else period.kind
    if unit == "day":
        return last.isoformat()
    if unit == "week":
        return f"the week of {iso_week_start(last)}"
    if unit == "month":
        return f"{last:%B %Y}"
    if unit == "quarter":
        return f"Q{(last.month - 1) // 3 + 1} {last.year}"
    if unit == "half":
        return f"H{1 if last.month <= 6 else 2} {last.year}"
    if unit == "year":
        return str(last.year)
    days = period.days
    if days is not None:
        start = last - datetime.timedelta(days=days - 1)
        return f"between {start} and {last}"
    return None


def _with_data(
    question: str,
    period: Period,
    data: DataRange,
    as_of: datetime.date,
    interpret: Callable[..., Answer] | None,
) -> str | None:
    """The question with its period replaced by the latest one of the same kind
    that has data; None when the period's words are not found or the new
    question would not be read as meant."""
    text = clean_question(question)
    try:
        found = [f for f in find_periods(text, as_of) if f.period.start is not None]
    except PeriodError:
        return None
    match = next(
        (f for f in found if (f.period.start, f.period.end) == (period.start, period.end)),
        found[0] if len(found) == 1 else None,
    )
    phrase = _phrase(period, data.last)
    if match is None or phrase is None:
        return None
    start, end = match.span
    before = text[:start].rstrip()
    if before.rsplit(" ", 1)[-1].lower() not in _PREPOSITIONS and not phrase.startswith("between"):
        phrase = f"{'on' if period.kind == 'day' else 'in'} {phrase}"
    other = f"{before} {phrase}{text[end:]}".strip()
    if interpret is None:
        return other
    checked = interpret(other, as_of=as_of)
    meant = checked.interpretation.period if checked.interpretation else None
    if checked.status != "answered" or meant is None or meant.start is None or meant.end is None:
        return None
    if meant.start > data.last or meant.end < data.first:
        return None
    return other
