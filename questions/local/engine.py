"""The local question engine: a question in plain language becomes a semantic
query (metrics, group by, filters, period, order, limit), MetricFlow turns it
into SQL, the guard checks that SQL, and it runs read-only on the warehouse.

No language model and no network: the engine reads the question
(:mod:`questions.local.reading`) with the vocabulary of the semantic layer
(:mod:`questions.local.vocabulary`: metric and dimension names, labels and
the ``synonyms`` in their dbt ``meta``, the real values of the categorical
dimensions, read from the warehouse when the engine opens, plus the
``value_synonyms`` in ``meta``), and the calendar rules of
:mod:`analytics_core.periods`. The same question always gets the same
interpretation, and the interpretation is always returned, in words
(:mod:`questions.local.wording`) and as structure. When the question names no
metric, a value nothing matches, or a slice the metric does not support, the
engine asks to clarify with concrete suggestions; requests to change data,
forecasts and personal data are ``unsupported``.

Speed: the compiled SQL is cached per query *shape*
(:mod:`questions.local.compiling`). Filter values and dates enter the cached
SQL as placeholders and are substituted as escaped literals; values only ever
come from the known value vocabulary, never from the question's text.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from analytics_core.errors import AnalyticsError
from analytics_core.periods import PeriodError
from analytics_core.settings import QuestionSettings, Settings, SnowflakeSettings
from questions.answers import (
    EXAMPLE_QUESTIONS,
    INVISIBLES_WARNING,
    Answer,
    Filter,
    Interpretation,
    Turn,
    had_invisibles,
    prepare_question,
)
from questions.guard import GuardError, GuardPolicy, default_policy, guard_sql
from questions.local.compare_sql import compile_interpretation, target_months_note
from questions.local.comparing import CompareError, period_comparison
from questions.local.compiling import QuestionError, ShapeCompiler, bind_literals
from questions.local.cues import Unsupported, dedupe
from questions.local.derived import derived_comparison
from questions.local.english import join, refusal_of
from questions.local.freshness import DataRange, note_freshness, read_data_range
from questions.local.opening import (
    Runner,
    connect_duckdb,
    connect_snowflake,
    read_value_pairs,
    read_values,
)
from questions.local.reading import Reading, is_follow_up, read_question, refine
from questions.local.shaping import (
    _for_targets,
    _future_message,
    _ordering,
    _trend_grain,
)
from questions.local.vocabulary import build_vocabulary, normalize, question_dimensions
from questions.local.wording import Wording, error_line
from questions.semantic import Dialect, SemanticLayer, SemanticLayerError

ENGINE_NAME = "local"

logger = logging.getLogger(__name__)


class LocalQuestionEngine:
    """The local engine (see the module docstring).

    ``runner`` runs a guarded statement (``sql -> (columns, rows)``); without
    one the engine only interprets. ``values`` are the categorical values per
    dimension and ``data_range`` the data's first and last day (default: both
    read with ``runner``; given ``values``, no range unless given).
    """

    name = ENGINE_NAME

    def __init__(
        self,
        layer: SemanticLayer,
        *,
        runner: Runner | None = None,
        policy: GuardPolicy | None = None,
        dialect: Dialect = "duckdb",
        max_rows: int = 1000,
        values: Mapping[str, Sequence[str]] | None = None,
        close: Callable[[], None] | None = None,
        data_range: DataRange | None = None,
    ) -> None:
        self.layer = layer
        self.dialect = dialect
        self.runner = runner
        self.max_rows = max_rows
        database = "warehouse" if dialect == "duckdb" else None
        base = policy or default_policy(dialect, database=database)
        # One row more than shown, to tell the user the rows were cut.
        self.policy = replace(base, max_rows=max_rows + 1)
        self._close = close
        pairs = {}
        if values is None:
            values = {}
            if runner is not None:
                values = read_values(layer, runner, dialect, question_dimensions(layer))
                pairs = read_value_pairs(layer, runner, dialect, values)
                data_range = data_range or read_data_range(layer, runner, dialect)
        #: The data's first and last day (read with the values; see freshness.py).
        self.data_range = data_range
        self.vocabulary = build_vocabulary(layer, values)
        self.vocabulary.value_pairs = pairs
        self.words = Wording(self.vocabulary)
        self._compiler = ShapeCompiler(layer, dialect)
        self._group_bys: dict[str, frozenset[str]] = {}
        self._guarded_templates: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        questions: QuestionSettings | None = None,
        layer: SemanticLayer | None = None,
        *,
        snowflake: SnowflakeSettings | None = None,
    ) -> LocalQuestionEngine:
        """The engine on the published warehouse of ``settings`` (DuckDB) or on
        the Snowflake of ``snowflake`` (``QUESTIONS_WAREHOUSE=snowflake``)."""
        settings = settings or Settings()
        questions = questions or QuestionSettings()
        if questions.warehouse == "snowflake":
            found = connect_snowflake(settings, questions, layer, snowflake or SnowflakeSettings())
        else:
            found = connect_duckdb(settings, questions, layer)
        engine = cls(
            found.layer,
            runner=found.runner,
            policy=found.policy,
            dialect=found.dialect,
            max_rows=questions.max_rows,
            close=found.close,
        )
        engine.warm_up()
        return engine

    def warm_up(self) -> None:
        """What the engine would otherwise do on its first questions, done as
        it opens (about 0.2 s at scale 1):

        - each askable metric's supported group-bys (the catalog a question is
          checked against; MetricFlow resolves them in about 8 ms a metric);
        - one compile and guard of a query no question asks (the first metric
          by year since a fixed date, a literal no question's placeholders
          match), its SQL thrown away: the first question then does not pay
          the first-time costs of the code that compiles and guards (about
          70 ms).

        Nothing is cached under a question's shape. A failed compile here only
        costs that time back, so it is logged, not raised."""
        for metric in sorted(self.vocabulary.askable_metrics):
            try:
                self.supported_group_bys([metric])
            except Exception as exc:
                # A metric MetricFlow cannot list group-bys for fails its own
                # questions with the real error; the engine still opens.
                logger.warning("warm-up: group-bys of %s: %s", metric, error_line(exc))
        metrics = [m.name for m in self.layer.metrics() if m.type == "simple"]
        if not metrics:
            return
        year = "{{ TimeDimension('metric_time', 'year') }}"
        try:
            sql = self.layer.compile(
                metrics=metrics[:1],
                group_by=["metric_time__year"],
                where=[f"{year} >= '1900-01-01'"],
                dialect=self.dialect,
            )
            guard_sql(sql, self.policy)
        except (SemanticLayerError, GuardError) as exc:
            logger.warning("the question engine's warm-up compile failed: %s", error_line(exc))

    def close(self) -> None:
        if self._close is not None:
            self._close()

    def __enter__(self) -> LocalQuestionEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def compiled_shapes(self) -> int:
        """How many query shapes MetricFlow has compiled for this engine."""
        return self._compiler.compiled

    def supported_group_bys(self, metrics: Iterable[str]) -> frozenset[str]:
        """Group-by names (no grains) every one of ``metrics`` supports."""
        result: frozenset[str] | None = None
        for metric in metrics:
            with self._lock:
                known = self._group_bys.get(metric)
            if known is None:
                known = frozenset(self.layer.group_bys_for([metric]))
                with self._lock:
                    self._group_bys[metric] = known
            result = known if result is None else result & known
        return result or frozenset()

    # -- answering -----------------------------------------------------------------

    def interpret(
        self,
        question: str,
        *,
        as_of: datetime.date | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """The interpretation (status, structure, words, SQL), nothing run."""
        started = time.perf_counter()
        text, refused = prepare_question(question, self.name)
        if refused is not None:
            return refused
        as_of = as_of or datetime.datetime.now(datetime.UTC).date()
        previous = next(
            (t.interpretation for t in reversed(history) if t.interpretation is not None), None
        )
        answer = self._interpret(text, as_of, previous)
        answer.question = question
        if had_invisibles(question):
            answer.warnings.append(INVISIBLES_WARNING)
        answer.timings["interpret"] = (time.perf_counter() - started) * 1000
        if answer.status == "answered" and answer.interpretation is not None:
            compiled = time.perf_counter()
            try:
                answer.sql = self.compile(answer.interpretation)
            except (SemanticLayerError, QuestionError) as exc:
                # (a QuestionError says what the reading asks that SQL cannot
                # set side by side: "not a whole number of weeks apart")
                why = "" if isinstance(exc, QuestionError) else "The semantic layer cannot answer"
                why += " this as read: " if why else ""
                line = error_line(exc)
                return self._clarify(
                    question, why + line[:1].upper() + line[1:], answer.interpretation
                )
            answer.timings["compile"] = (time.perf_counter() - compiled) * 1000
        answer.timings["total"] = (time.perf_counter() - started) * 1000
        return answer

    def ask(
        self,
        question: str,
        *,
        as_of: datetime.date | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """Interpret, guard, run: the answer with its rows."""
        started = time.perf_counter()
        answer = self.interpret(question, as_of=as_of, history=history)
        return self._run(answer, started, as_of)

    def answer(self, interpretation: Interpretation, question: str = "") -> Answer:
        """Run a semantic query built without words (the UI's metric picker):
        the same compile, guard and run as a question."""
        started = time.perf_counter()
        answer = Answer(
            question=question or self.describe(interpretation),
            status="answered",
            engine=self.name,
            interpretation=interpretation,
            explanation=self.describe(interpretation),
        )
        try:
            answer.sql = self.compile(interpretation)
        except SemanticLayerError as exc:
            return self._clarify(
                answer.question,
                f"The semantic layer cannot answer this: {error_line(exc)}",
                interpretation,
            )
        return self._run(answer, started)

    def _run(self, answer: Answer, started: float, as_of: datetime.date | None = None) -> Answer:
        if answer.status != "answered" or answer.sql is None:
            return answer
        if self.runner is None:
            raise QuestionError("this engine has no warehouse to run questions on")
        guarded_at = time.perf_counter()
        try:
            sql = self.guarded_sql(answer)
        except GuardError as exc:
            # Our own SQL refused: never run it, say so plainly.
            answer.status = "unsupported"
            answer.explanation += f" The query was refused by the SQL guard ({exc.reason}): {exc}"
            answer.warnings.append(f"guard:{exc.reason}")
            return answer
        answer.sql = sql
        answer.timings["guard"] = (time.perf_counter() - guarded_at) * 1000
        ran = time.perf_counter()
        try:
            columns, rows = self.runner(sql)
        except AnalyticsError as exc:
            raise QuestionError(f"the warehouse query failed: {error_line(exc)}") from exc
        answer.timings["query"] = (time.perf_counter() - ran) * 1000
        if len(rows) > self.max_rows:
            rows = rows[: self.max_rows]
            answer.truncated = True
            answer.warnings.append(f"only the first {self.max_rows:,} rows are shown")
        answer.columns, answer.rows = list(columns), rows
        answer.timings["total"] = (time.perf_counter() - started) * 1000
        return note_freshness(answer, self.data_range, as_of, self.interpret)

    def guarded_sql(self, answer: Answer) -> str:
        """The guarded SQL of ``answer``. The guard checks each statement *shape*
        once (the template, its values as placeholder literals: a string literal
        cannot change what the guard checks) and the values are bound into the
        guarded text, so the text that runs is the guard's own rendering."""
        if answer.interpretation is None or answer.sql is None:
            raise QuestionError("an answered question without its interpretation; this is a bug")
        template, values = self.compile_template(answer.interpretation)
        with self._lock:
            guarded = self._guarded_templates.get(template)
        if guarded is None:
            guarded = guard_sql(template, self.policy).sql
            with self._lock:
                self._guarded_templates[template] = guarded
        return bind_literals(guarded, values, self.dialect)

    def compile(self, interpretation: Interpretation) -> str:
        """MetricFlow's SQL for ``interpretation`` (cached per shape); with a
        target metric, targets are taken for whole months."""
        return bind_literals(*self.compile_template(interpretation), self.dialect)

    def compile_template(self, interpretation: Interpretation) -> tuple[str, dict[str, str]]:
        """The SQL template of ``interpretation`` (cached per shape) and its values."""
        return compile_interpretation(self._compiler, interpretation, self.vocabulary)

    def describe(self, interpretation: Interpretation, reading: Reading | None = None) -> str:
        """The interpretation in words."""
        return self.words.describe(interpretation, reading)

    # -- reading and deciding ---------------------------------------------------------

    def _interpret(
        self, question: str, as_of: datetime.date, previous: Interpretation | None = None
    ) -> Answer:
        text = normalize(question)
        refusal = refusal_of(text)
        if refusal is not None:
            return self._unsupported(question, refusal)
        try:
            reading = read_question(text, as_of, self.vocabulary)
        except Unsupported as exc:
            return self._unsupported(question, str(exc))
        except PeriodError as exc:
            return self._clarify(question, f"{exc}. {exc.hint}".strip())
        if previous is not None and is_follow_up(text, reading):
            refine(reading, previous, text)
        return self._decide(question, reading, as_of)

    def _decide(self, question: str, reading: Reading, as_of: datetime.date) -> Answer:
        """The semantic query of ``reading``, or a request to clarify."""
        if reading.future is not None and not (
            reading.metrics and set(reading.metrics) <= self.vocabulary.plan_metrics
        ):
            # A forecast is refused whatever else the question says.
            return self._unsupported(question, _future_message(reading.future, as_of))
        if reading.unknown:
            # Every word must mean something: an answer to part of the question
            # would be an answer to another question.
            words = ", ".join(f"“{w}”" for w in reading.unknown)
            return self._clarify(
                question,
                f"I did not understand {words}. I know the metrics"
                f" {self.words.metrics(self.vocabulary.suggested_metrics)} (and more, see the"
                " metrics glossary), by "
                + ", ".join(self.words.dimension(d) for d in self.vocabulary.question_dimensions)
                + " or time.",
                reading=reading,
            )
        if reading.conflicts:
            said = "; ".join(reading.conflicts)
            return self._clarify(question, said[:1].upper() + said[1:] + ".", reading=reading)
        metrics = list(reading.metrics)
        if not metrics:
            if reading.top is None or not reading.group_by:
                return self._clarify(
                    question,
                    "I could not find a metric in the question ("
                    + ", ".join(
                        label.lower()
                        for name, label in self.vocabulary.metric_labels.items()
                        if name in self.vocabulary.askable_metrics
                    )
                    + ").",
                    reading=reading,
                )
            default = self.vocabulary.suggested_metrics[:1]
            metrics = list(default)
            named = self.words.metrics(default).lower()
            reading.notes.append(f"ranked by {named} (no metric was named)")
        if reading.ratio is not None:
            metrics = dedupe([*reading.ratio, *metrics])
        if reading.share and len(metrics) == 1:
            # "What percentage of orders were returned": the rate the layer defines.
            rate = next(
                (
                    r
                    for (n, _), r in self.vocabulary.ratios.items()
                    if n == metrics[0] and n in self.vocabulary.value_metrics.values()
                ),
                None,
            )
            if rate is not None:
                metrics, reading.share = [rate], False
        uses_targets = any(m in self.vocabulary.target_metrics for m in metrics)
        group_by = list(reading.group_by)
        filters = dict(reading.filters)
        # A filter to values the metric counts ("shipped orders") needs no swap;
        # grouping, or a filter to a status with a metric of its own, does.
        hiding = [
            d
            for (d, op), values in filters.items()
            if op != "in"
            or set(values) & self.vocabulary.value_metrics_of(d)
            or (d in self.vocabulary.flags and "false" in values)
        ]
        metrics = self._sliced(metrics, [*group_by, *hiding, *reading.all_of], reading)
        self._say_missing_rows(metrics, group_by, reading)
        if uses_targets:
            metrics, group_by, filters = _for_targets(self.vocabulary, metrics, group_by, filters)
            for dimension, values in self.vocabulary.without_target.items():
                # Revenue with no target is left out of attainment whether or not
                # the answer is by region; targets alone only lose the empty row.
                compared = dimension in group_by or set(metrics) - self.vocabulary.plan_metrics
                if compared and not any(d == dimension and op == "in" for d, op in filters):
                    filters[(dimension, "not in")] = list(values)
                    reading.notes.append(
                        f"{join(list(values), 'and')} has no target, so it is left out"
                    )
        supported = self.supported_group_bys(metrics)
        for dimension in [*group_by, *(d for d, _ in filters)]:
            if dimension not in supported:
                return self._clarify(
                    question,
                    f"{self.words.metrics(metrics)} cannot be broken down by"
                    f" {self.words.dimension(dimension)}.",
                    reading=reading,
                    supported=supported,
                    metrics=metrics,
                )
        grain = reading.grain
        if grain is None and reading.trend:
            against = reading.change or reading.compared or bool(reading.relation)
            grain = _trend_grain(reading.period, against)
        if grain is not None and uses_targets and grain in {"day", "week"}:
            return self._clarify(
                question, "Targets are monthly: ask by month, quarter or year.", reading=reading
            )
        if grain:
            group_by.append(f"metric_time__{grain}")
        try:
            period, compare = period_comparison(
                reading.periods,
                relation=reading.relation,
                change=reading.change,
                compared=reading.compared,
                grain=grain,
                as_of=as_of,
                relation_words=reading.relation_words,
                against=reading.against_period,
            )
        except CompareError as exc:
            return self._clarify(question, f"{str(exc)[0].upper()}{str(exc)[1:]}.", reading=reading)
        if reading.future is not None and not (
            set(metrics) <= self.vocabulary.plan_metrics and compare is None
        ):
            return self._unsupported(question, _future_message(reading.future, as_of))
        try:
            ratio_metrics, said = self.vocabulary.ratio_metrics, self.words.metrics(metrics)
            derived, group_by = derived_comparison(
                reading, metrics, filters, group_by, period, ratio_metrics, said, compare
            )
        except CompareError as exc:
            return self._clarify(question, f"{str(exc)[0].upper()}{str(exc)[1:]}.", reading=reading)
        compare = derived or compare
        if uses_targets and period is not None:
            reading.notes.append(target_months_note(period, metrics, self.vocabulary))
        stand_ins = self.vocabulary.stand_ins if uses_targets else {}
        order_by, limit = _ordering(question, reading, metrics, group_by, stand_ins, compare)
        interpretation = Interpretation(
            metrics=tuple(metrics),
            group_by=tuple(group_by),
            filters=tuple(
                Filter(dimension, tuple(values), operator)  # type: ignore[arg-type]
                for (dimension, operator), values in filters.items()
                if values
            ),
            period=period,
            order_by=tuple(order_by),
            limit=limit,
            compare=compare,
        )
        return self._answered(question, interpretation, reading)

    def _sliced(self, metrics: list[str], dimensions: Sequence[str], reading: Reading) -> list[str]:
        """Metrics that would hide rows of a dimension they are sliced by
        (``meta.sliced_by``: orders by status) swapped for the one that does not."""
        out = []
        for metric in metrics:
            instead = next(
                (
                    self.vocabulary.sliced_by[(metric, d)]
                    for d in dimensions
                    if (metric, d) in self.vocabulary.sliced_by
                ),
                None,
            )
            if instead is not None:
                reading.notes.append(
                    f"{self.words.metrics([instead])} are counted, since"
                    f" {self.words.metrics([metric]).lower()} leave out some"
                    f" {self.words.dimension(dimensions[0])} values"
                )
            out.append(instead or metric)
        return dedupe(out)

    def _say_missing_rows(
        self, metrics: Sequence[str], group_by: Sequence[str], reading: Reading
    ) -> None:
        """ "Revenue by status": the statuses with a metric of their own
        (cancelled, returned) are left out of the other metrics, so they have no
        row; say so rather than let the reader wonder."""
        own = set(self.vocabulary.value_metrics.values())
        for dimension in group_by:
            values = sorted(self.vocabulary.value_metrics_of(dimension))
            counted = [
                m for m in metrics if m not in own and m not in self.vocabulary.status_counted
            ]
            counted = [m for m in counted if (m, dimension) not in self.vocabulary.sliced_by]
            if values and counted:
                reading.notes.append(
                    f"{' and '.join(values).capitalize()} orders are not counted in"
                    f" {self.words.metrics(counted).lower()}, so they have no row"
                )

    def _answered(self, question: str, interpretation: Interpretation, reading: Reading) -> Answer:
        answer = Answer(
            question=question,
            status="answered",
            engine=self.name,
            interpretation=interpretation,
            explanation=self.describe(interpretation, reading),
        )
        for typed, meant in reading.fuzzy:
            # A correction is said, never made silently.
            answer.warnings.append(f"read “{typed}” as “{meant}”")
        return answer

    def _unsupported(self, question: str, why: str) -> Answer:
        return Answer(
            question=question,
            status="unsupported",
            engine=self.name,
            explanation=why,
            suggestions=list(EXAMPLE_QUESTIONS[:3]),
        )

    def _clarify(
        self,
        question: str,
        why: str,
        interpretation: Interpretation | None = None,
        *,
        reading: Reading | None = None,
        supported: frozenset[str] | None = None,
        metrics: Sequence[str] | None = None,
    ) -> Answer:
        return Answer(
            question=question,
            status="clarify",
            engine=self.name,
            interpretation=interpretation,
            explanation=why,
            suggestions=self.words.suggestions(reading, supported, metrics),
        )
