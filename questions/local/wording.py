"""The local engine's words: an interpretation said in plain language, and
the concrete questions it suggests when it asks to clarify. Labels come from
the vocabulary (the semantic layer's labels)."""

from __future__ import annotations

from collections.abc import Sequence

from analytics_core.errors import first_line
from questions.answers import EXAMPLE_QUESTIONS, Interpretation, Period
from questions.local.english import join
from questions.local.reading import Reading
from questions.local.vocabulary import Vocabulary

#: Headings above the message in MetricFlow's error reports.
_ERROR_HEADINGS = ("Got error", "Error #", "Message:", "The above exception")


class Wording:
    """Says interpretations and suggestions with ``vocabulary``'s labels."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    def metrics(self, metrics: Sequence[str]) -> str:
        """The metrics' labels, joined ("Revenue and Orders")."""
        return join([self.vocabulary.metric_labels.get(m, m) for m in metrics])

    def dimension(self, dimension: str) -> str:
        """A group-by name as a reader says it ("region", "month")."""
        if dimension.startswith("metric_time__"):
            return dimension.split("__", 1)[1]
        return self.vocabulary.dimension_labels.get(dimension, dimension).lower()

    def describe(self, interpretation: Interpretation, reading: Reading | None = None) -> str:
        """The interpretation in words."""
        parts = [self.metrics(interpretation.metrics)]
        if interpretation.group_by:
            parts.append("by " + join([self.dimension(g) for g in interpretation.group_by]))
        for flt in interpretation.filters:
            label = self.dimension(flt.dimension)
            values = join(list(flt.values), "or")
            parts.append(f"where {label} is {'not ' if flt.operator == 'not in' else ''}{values}")
        period = _period_words(interpretation.period)
        if period:
            parts.append(period)
        text = ", ".join(parts)
        compare = interpretation.compare
        if compare is not None and compare.kind == "period" and compare.base is not None:
            text += f"; against {_period_words(compare.base)}, with the change and the change in %"
        elif compare is not None and compare.kind == "share":
            text += "; each as a share of the total over all " + join(
                [self.dimension(d) + " values" for d in compare.of]
            )
        elif compare is not None and compare.kind == "average" and compare.units is not None:
            units = f"{compare.units:.1f}".removesuffix(".0")
            text += f"; the average per {compare.per}, over the {units} {compare.per}s it holds"
        elif compare is not None and compare.kind == "ratio":
            text += (
                f"; and {self.metrics([compare.numerator or ''])} per"
                f" {_singular(self.metrics([compare.denominator or '']).lower())}"
            )
        if interpretation.limit is not None and interpretation.order_by:
            first = interpretation.order_by[0]
            kind = "top" if first.descending else "bottom"
            text += f"; {kind} {interpretation.limit} by {self._ranked_by(first.by)}"
        text += "."
        if reading is not None:
            if reading.fuzzy:
                text += " Read " + join([f"“{a}” as {b}" for a, b in reading.fuzzy]) + "."
            for note in reading.notes:
                text += f" {note[0].upper()}{note[1:]}."
        return text

    def _ranked_by(self, column: str) -> str:
        """What a ranking column is, in words ("the change in Revenue")."""
        metric, _, suffix = column.partition("__")
        label = self.vocabulary.metric_labels.get(metric, metric)
        said = {"change": f"the change in {label}", "change_pct": f"the change in % of {label}"}
        if suffix.startswith("per__"):
            per = self.vocabulary.metric_labels.get(suffix[5:], suffix[5:])
            return f"{label} per {_singular(per.lower())}"
        return said.get(suffix, label if not suffix else column)

    def suggestions(
        self,
        reading: Reading | None,
        supported: frozenset[str] | None,
        metrics: Sequence[str] | None,
    ) -> list[str]:
        """Concrete questions close to what was asked: the metrics by each
        question dimension they support, else the question with the metrics
        people ask most."""
        tail = " last month"
        if reading is not None and reading.period is not None and reading.period.label:
            tail = f" {reading.period.label}"
        if metrics and supported is not None:
            label = self.metrics(metrics)
            suggestions = [
                f"{label} by {self.dimension(dimension)}{tail}"
                for dimension in self.vocabulary.question_dimensions
                if dimension in supported
            ]
            suggestions.append(f"{label} by month{tail}")
            return suggestions[:5]
        filters = ""
        if reading is not None:
            values = [v for (_, op), vs in reading.filters.items() if op == "in" for v in vs]
            if values:
                filters = " in " + join(values, "and")
        suggestions = []
        chosen = reading.metrics if reading and reading.metrics else []
        for metric in [*chosen, *self.vocabulary.suggested_metrics]:
            label = self.vocabulary.metric_labels.get(metric, metric)
            by = ""
            if reading is not None and reading.group_by:
                by = " by " + self.dimension(reading.group_by[0])
            suggestion = f"{label}{by}{filters}{tail}".strip()
            if suggestion not in suggestions:
                suggestions.append(suggestion)
        return suggestions[:5] or list(EXAMPLE_QUESTIONS)


def _period_words(period: Period | None) -> str:
    if period is None:
        return "over all time"
    if period.start and period.end:
        if period.start == period.end:
            return f"on {period.start} ({period.label})"
        return f"from {period.start} to {period.end} ({period.label})"
    if period.start:
        return f"from {period.start}"
    if period.end:
        return f"until {period.end}"
    return ""


def error_line(exc: BaseException) -> str:
    """The first informative line of an error (MetricFlow's come as a report
    whose first lines are headings)."""
    return first_line(exc, skip=_ERROR_HEADINGS, limit=300)


def _singular(label: str) -> str:
    """ "active customers" -> "active customer" (after "per")."""
    return label[:-1] if label.endswith("s") and not label.endswith("ss") else label
