"""What every question engine answers with, whichever engine it is.

Two engines answer questions: the local engine (:mod:`questions.local`, our
own deterministic parser over the semantic layer, no network) and Snowflake
Cortex Analyst (:mod:`questions.cortex_analyst`). Both implement
:class:`QuestionEngine` and return an :class:`Answer`, so the UI and
``analytics ask`` never care which one answered.

An answer's ``status`` is one of

- ``answered``: ``sql`` ran (after the guard) and ``columns``/``rows`` hold
  the result;
- ``clarify``: the question is ambiguous or names nothing the engine knows;
  ``suggestions`` are concrete questions it can answer;
- ``unsupported``: a request to change data, a forecast, personal data, or
  anything else the platform will not do; ``message`` says why.

The interpretation is always returned: in words (``explanation``) and, for the
local engine, as structure (:class:`Interpretation`) in the shape of
``analytics ask --json`` (``docs/interfaces.md``).
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

# Re-exported: the period is defined once, with the calendar, in analytics_core.periods.
from analytics_core.periods import Period as Period

Status = Literal["answered", "clarify", "unsupported"]

#: Questions longer than this are refused before any parsing (a clear error,
#: not a slow one). Real questions are a sentence or two.
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Filter:
    """Keep rows whose ``dimension`` (a group-by name such as
    ``customer__region``) is one of ``values`` (``operator`` ``in``) or none
    of them (``not in``). Values are spelled as in the warehouse (``EMEA``,
    ``mobile``, ``United States``)."""

    dimension: str
    values: tuple[str, ...]
    operator: Literal["in", "not in"] = "in"

    def to_json(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "operator": self.operator, "values": list(self.values)}


@dataclass(frozen=True)
class OrderBy:
    """Sort by a metric or group-by name."""

    by: str
    descending: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"by": self.by, "descending": self.descending}


@dataclass(frozen=True)
class Comparison:
    """What the metrics are set against (see docs/interfaces.md):

    - ``period``: the same metrics over ``base`` (columns ``m``, ``m__base``,
      ``m__change``, ``m__change_pct``);
    - ``share``: each row's part of the total over the ``of`` dimensions
      (``m__share``; the total ignores filters on those dimensions);
    - ``ratio``: ``numerator`` over ``denominator``, two of the metrics
      (``numerator__per__denominator``);
    - ``average``: each metric over the period divided by the ``units`` of
      ``per`` (day, week, month, quarter, year) it holds (``m__per_day``
      before ``m``).
    """

    kind: Literal["period", "share", "ratio", "average"]
    base: Period | None = None
    of: tuple[str, ...] = ()
    numerator: str | None = None
    denominator: str | None = None
    per: str | None = None
    units: float | None = None

    def to_json(self) -> dict[str, Any]:
        if self.kind == "average":
            return {"kind": "average", "per": self.per, "units": self.units}
        if self.kind == "period":
            return {"kind": "period", "base": self.base.to_json() if self.base else None}
        if self.kind == "share":
            return {"kind": "share", "of": list(self.of)}
        return {"kind": "ratio", "numerator": self.numerator, "denominator": self.denominator}


@dataclass(frozen=True)
class Interpretation:
    """A semantic query: what the engine understood the question to ask.

    ``metrics``: metric names of the semantic layer (``revenue``);
    ``group_by``: group-by names (``customer__region``, ``metric_time__month``);
    ``filters``: dimension-value filters; ``period``: the dates (None: all time);
    ``order_by``/``limit``: sorting and top/bottom N; ``compare``: what the
    metrics are set against, if anything (:class:`Comparison`).
    """

    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    period: Period | None = None
    order_by: tuple[OrderBy, ...] = ()
    limit: int | None = None
    compare: Comparison | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics": list(self.metrics),
            "group_by": list(self.group_by),
            "filters": [f.to_json() for f in self.filters],
            "period": self.period.to_json() if self.period else None,
            "order_by": [o.to_json() for o in self.order_by],
            "limit": self.limit,
            "compare": self.compare.to_json() if self.compare else None,
        }


@dataclass
class Answer:
    """One engine's answer to one question (see the module docstring)."""

    question: str
    status: Status
    engine: str
    interpretation: Interpretation | None = None
    #: The interpretation (or the reason for clarify/unsupported) in words.
    explanation: str = ""
    sql: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The engine's request id (Cortex Analyst's ``request_id``), if any.
    request_id: str | None = None
    #: Milliseconds spent: ``interpret``, ``compile``, ``guard``, ``query``, ``total``.
    timings: dict[str, float] = field(default_factory=dict)
    #: Whether the rows were cut at the row limit.
    truncated: bool = False
    #: The last day the warehouse has data for (:mod:`questions.data_range`;
    #: None: not known); the local engine says when relative periods run past it.
    data_through: datetime.date | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``analytics ask --json`` object: the keys of docs/interfaces.md first,
        then what else we know."""
        return {
            "question": self.question,
            "status": self.status,
            "interpretation": self.interpretation.to_json() if self.interpretation else None,
            "sql": self.sql,
            "columns": list(self.columns),
            "rows": [[_json_value(v) for v in row] for row in self.rows],
            "suggestions": list(self.suggestions),
            "explanation": self.explanation,
            "engine": self.engine,
            "warnings": list(self.warnings),
            "request_id": self.request_id,
            "truncated": self.truncated,
            "timings_ms": {k: round(v, 2) for k, v in self.timings.items()},
            "data_through": self.data_through.isoformat() if self.data_through else None,
        }


def _json_value(value: Any) -> Any:
    """Rows as JSON: dates ISO, decimals as numbers, everything else as is."""
    midnight = datetime.time()
    if isinstance(value, datetime.datetime) and not value.tzinfo and value.time() == midnight:
        return value.date().isoformat()  # a day or the start of a week/month
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


@dataclass(frozen=True)
class Turn:
    """One earlier turn of a conversation (for multi-turn engines)."""

    role: Literal["user", "analyst"]
    text: str
    sql: str | None = None
    #: What an analyst turn answered, as structure (the local engine refines
    #: it with follow-ups such as "and by channel?" or "only EMEA").
    interpretation: Interpretation | None = None

    @classmethod
    def from_answer(cls, answer: Answer) -> Turn:
        """The analyst turn of ``answer``."""
        return cls("analyst", answer.explanation, answer.sql, answer.interpretation)


class QuestionEngine(Protocol):
    """Answers questions. ``as_of`` resolves relative periods ("last month";
    default: today UTC); ``history`` holds earlier turns (engines that do not
    use it ignore it)."""

    name: str

    def ask(
        self,
        question: str,
        *,
        as_of: datetime.date | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer: ...

    def close(self) -> None: ...


#: Characters no one sees that are not Unicode format characters (``Cf``,
#: removed by category): fillers that render blank, variation selectors and
#: the combining grapheme joiner.
_INVISIBLE = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0}
    | set(range(0xFE00, 0xFE10))
    | set(range(0xE0100, 0xE01F0))
)
#: Set in an answer's warnings when the question had invisible characters.
INVISIBLES_WARNING = (
    "the question contained invisible or look-alike characters; they were removed or read"
    " as plain text"
)


def clean_question(question: str) -> str:
    """The text every engine reads: NFKC (full-width letters become ASCII,
    no-break spaces spaces), format characters (Unicode ``Cf``: zero-width
    space, joiners, BOM, soft hyphen, direction marks) and other invisibles
    removed, any run of whitespace (Unicode's, not only ASCII's) one space,
    no space at either end. Other control characters are kept:
    :func:`check_question` refuses them."""
    text = unicodedata.normalize("NFKC", question)
    kept = [ch for ch in text if unicodedata.category(ch) != "Cf" and ord(ch) not in _INVISIBLE]
    # NFKC again: removing a joiner can bring composable characters together.
    text = unicodedata.normalize("NFKC", "".join(kept))
    # str.split() splits on every Unicode space (and tab, newline, ...).
    return " ".join(text.split())


def prepare_question(question: Any, engine: str) -> tuple[str, Answer | None]:
    """What every engine does first with a question: :func:`check_question`
    on the text as typed, then :func:`clean_question`, then the checks again
    (a question of only invisible characters is empty). Returns the text to
    read and the refusal, if any."""
    refused = check_question(question, engine)
    if refused is not None:
        return str(question), refused
    cleaned = clean_question(question)
    refused = check_question(cleaned, engine)
    if refused is not None:
        refused.question = question
        return cleaned, refused
    return cleaned, None


def had_invisibles(question: str) -> bool:
    """Whether :func:`clean_question` removed or replaced more than ASCII whitespace."""
    return clean_question(question) != " ".join(question.split())


def check_question(question: Any, engine: str) -> Answer | None:
    """The checks every engine makes before it reads a question: a string, not
    empty, not longer than :data:`MAX_QUESTION_CHARS`, no control characters.
    Returns the refusal, or None when the question may be read."""
    if not isinstance(question, str):
        return Answer(
            question=str(question)[:200],
            status="clarify",
            engine=engine,
            explanation="A question must be text.",
            suggestions=list(EXAMPLE_QUESTIONS),
        )
    stripped = question.strip()
    if not stripped:
        return Answer(
            question=question,
            status="clarify",
            engine=engine,
            explanation="The question is empty. Ask about a metric, for example revenue.",
            suggestions=list(EXAMPLE_QUESTIONS),
        )
    if len(question) > MAX_QUESTION_CHARS:
        return Answer(
            question=question[:200] + "…",
            status="unsupported",
            engine=engine,
            explanation=(
                f"The question is {len(question):,} characters long; the limit is "
                f"{MAX_QUESTION_CHARS:,}. Ask one short question at a time."
            ),
            suggestions=list(EXAMPLE_QUESTIONS),
        )
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in question):
        return Answer(
            question=question.encode("unicode_escape").decode()[:200],
            status="unsupported",
            engine=engine,
            explanation="The question contains control characters; type it as plain text.",
            suggestions=list(EXAMPLE_QUESTIONS),
        )
    return None


#: Questions every engine can answer, offered when a question cannot be.
EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "What was revenue last month?",
    "Revenue by region last month",
    "Top 5 products by revenue this year",
    "Average order value by channel in the last 30 days",
    "Return rate by region last quarter",
)
