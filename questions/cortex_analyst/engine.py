"""The Cortex Analyst question engine: a question (with earlier turns) goes
to Cortex Analyst through the client (:mod:`questions.cortex_analyst.client`),
its SQL passes the guard and runs on Snowflake (:class:`SnowflakeRunner`, also
the local engine's runner there). An answered question carries the last day
with data and says it, as the local engine's do (:mod:`questions.data_range`)."""

import dataclasses
import datetime
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from analytics_core.errors import AnalyticsError, ConfigurationError
from analytics_core.settings import QuestionSettings, SnowflakeSettings
from analytics_core.warehouse import (
    ConnectionFactory,
    SnowflakePool,
    WarehouseConnectionError,
    WarehouseError,
)
from questions.answers import INVISIBLES_WARNING, Answer, Turn, had_invisibles, prepare_question
from questions.cortex_analyst.client import CortexAnalystClient
from questions.cortex_analyst.responses import CortexAnalystError, CortexQueryError, one_line
from questions.data_range import DataRange, Runner, read_data_range, say_data_through
from questions.guard import GuardError, GuardPolicy, default_policy, guard_sql

log = logging.getLogger(__name__)

ENGINE_NAME: Final = "cortex_analyst"
#: The query tag of every statement an answer runs.
QUERY_TAG: Final = "analytics_platform:questions:cortex_analyst"
#: Earlier turns sent along with a question (the most recent ones).
MAX_HISTORY_TURNS: Final = 20


# --------------------------------------------------------------------------- running SQL

#: Runs one guarded statement: ``(sql) -> (columns, rows)``.
QueryRunner = Runner


class SnowflakeRunner:
    """Runs guarded statements on Snowflake (see :func:`snowflake_runner`).

    Each session carries ``QUERY_TAG``, ``STATEMENT_TIMEOUT_IN_SECONDS`` and
    ``AUTOCOMMIT=FALSE`` as session parameters at connect time, and every
    statement is followed by a rollback. Snowflake has no read-only session
    switch, so read-only-ness rests on the guard (only single SELECTs reach
    the runner) and on the role (grant it SELECT only); the rollback undoes
    DML should anything ever slip through (DDL commits on its own in
    Snowflake). Sessions come from the shared
    :class:`~analytics_core.warehouse.SnowflakePool` (idle ones are reused;
    concurrent statements never share one; a dropped session is replaced
    once). Failures become :class:`CortexQueryError` s quoting the first line
    of the driver's message.
    """

    max_idle = 4

    def __init__(
        self,
        connection_factory: ConnectionFactory,
        statement_timeout: int,
        query_tag: str,
        max_rows: int,
    ) -> None:
        if statement_timeout < 1 or max_rows < 1:
            raise ValueError("statement_timeout and max_rows must be positive")
        self.connection_factory = connection_factory
        self.statement_timeout = int(statement_timeout)
        self.query_tag = query_tag
        self.max_rows = int(max_rows)
        self.pool = SnowflakePool(
            connection_factory, self.session_parameters, max_idle=self.max_idle
        )

    @property
    def session_parameters(self) -> dict[str, Any]:
        return {
            "QUERY_TAG": self.query_tag,
            "STATEMENT_TIMEOUT_IN_SECONDS": self.statement_timeout,
            "AUTOCOMMIT": False,
        }

    def _run(self, connection: Any, sql: str) -> tuple[list[str], list[list[Any]]]:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            columns = [_column_name(d[0]) for d in cursor.description or []]
            rows = [list(row) for row in cursor.fetchmany(self.max_rows)]
        finally:
            try:
                cursor.close()
            finally:
                connection.rollback()
        return columns, rows

    def __call__(self, sql: str) -> tuple[list[str], list[list[Any]]]:
        if self.pool.closed:
            raise CortexQueryError("the question runner is closed")
        try:
            return self.pool.run(lambda connection: self._run(connection, sql))
        except WarehouseConnectionError as exc:
            raise CortexQueryError(f"cannot connect to Snowflake: {one_line(exc.detail)}") from exc
        except WarehouseError as exc:
            raise CortexQueryError(f"the query failed: {one_line(exc.detail)}") from exc

    def close(self) -> None:
        self.pool.close()


def snowflake_runner(
    connection_factory: ConnectionFactory,
    statement_timeout: int,
    query_tag: str,
    max_rows: int,
) -> SnowflakeRunner:
    """A :data:`QueryRunner` on Snowflake. ``connection_factory(session_parameters)``
    opens a connection carrying those session parameters (pass them as
    ``session_parameters=`` to ``snowflake.connector.connect``); at most
    ``max_rows`` rows are fetched."""
    return SnowflakeRunner(connection_factory, statement_timeout, query_tag, max_rows)


def _column_name(name: Any) -> str:
    text = str(name)
    return text.lower() if text.isupper() else text  # Snowflake upper-cases unquoted names


# --------------------------------------------------------------------------- the engine


def build_messages(question_text: str, history: Sequence[Turn] = ()) -> list[dict[str, Any]]:
    """The ``messages`` of a request: the last :data:`MAX_HISTORY_TURNS` turns
    of ``history`` (user turns as text; analyst turns as text and SQL), then
    the question. Messages must alternate and start with ``user``, so a
    leading analyst turn is dropped and consecutive turns of one role are
    merged; empty turns are skipped."""
    messages: list[dict[str, Any]] = []
    for turn in list(history)[-MAX_HISTORY_TURNS:]:
        content: list[dict[str, str]] = []
        if turn.text and turn.text.strip():
            content.append({"type": "text", "text": turn.text})
        if turn.role == "analyst" and turn.sql and turn.sql.strip():
            content.append({"type": "sql", "statement": turn.sql})
        if not content or turn.role not in ("user", "analyst"):
            continue
        if not messages and turn.role != "user":
            continue
        if messages and messages[-1]["role"] == turn.role:
            messages[-1]["content"].extend(content)
        else:
            messages.append({"role": turn.role, "content": content})
    question = {"type": "text", "text": question_text}
    if messages and messages[-1]["role"] == "user":
        messages[-1]["content"].append(question)
    else:
        messages.append({"role": "user", "content": [question]})
    return messages


def _with_as_of(question: str, as_of: datetime.date | None) -> str:
    if as_of is None:
        return question
    return f"{question.rstrip()} (Today is {as_of.isoformat()}.)"


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


class CortexAnalystEngine:
    """Answers questions with Cortex Analyst (see the module docstring).

    ``client`` asks Cortex; its SQL passes :func:`questions.guard.guard_sql`
    with ``policy`` (default: ``default_policy("snowflake", database=database)``)
    and only the guarded statement runs, through ``runner``. At most
    ``max_rows`` rows are shown (default: the policy's ``max_rows``); the
    guard's row limit is one more, so that a cut result is marked
    ``truncated``. Errors talking to Cortex or running the query raise
    :class:`CortexAnalystError`.

    ``read_range`` reads the data's first and last day (see
    :func:`data_range_reader`); it is called when :attr:`data_range` is first
    needed (the first answered question, or the UI's "Data through"), not
    when the engine is made. Without it answers carry no ``data_through``.
    """

    name = ENGINE_NAME

    def __init__(
        self,
        client: CortexAnalystClient,
        runner: QueryRunner,
        *,
        policy: GuardPolicy | None = None,
        database: str | None = None,
        max_rows: int | None = None,
        read_range: Callable[[], DataRange | None] | None = None,
    ) -> None:
        self.client = client
        self.runner = runner
        self._read_range = read_range
        self._range: DataRange | None = None
        self._range_read = False
        self._range_lock = threading.Lock()
        base = policy or default_policy("snowflake", database=database)
        #: Rows an answer shows; the guarded SQL asks for one more, to tell
        #: the user the rows were cut.
        self.max_rows = int(max_rows if max_rows is not None else base.max_rows)
        if self.max_rows < 1:
            raise ValueError("max_rows must be positive")
        self.policy = dataclasses.replace(base, max_rows=self.max_rows + 1)

    @property
    def data_range(self) -> DataRange | None:
        """The data's first and last day, read once (None: not known; a read
        that failed is logged and tried again next time)."""
        if self._read_range is None or self._range_read:
            return self._range
        with self._range_lock:
            if not self._range_read:
                try:
                    self._range = self._read_range()
                except (AnalyticsError, OSError, ValueError) as exc:
                    log.warning("the data's last day could not be read: %s", one_line(str(exc)))
                    return None
                self._range_read = True
        return self._range

    def ask(
        self,
        question: str,
        *,
        as_of: datetime.date | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        text, refusal = prepare_question(question, self.name)
        if refusal is not None:
            return refusal
        started = time.perf_counter()
        timings: dict[str, float] = {}
        # Cortex Analyst reads the cleaned text (no invisible characters).
        messages = build_messages(_with_as_of(text, as_of), history)
        response = self.client.send(messages)
        timings["interpret"] = _ms(started)
        answer = Answer(
            question=question,
            status="clarify",
            engine=self.name,
            interpretation=None,
            explanation=response.text,
            suggestions=list(response.suggestions),
            warnings=list(response.warnings),
            request_id=response.request_id,
            timings=timings,
        )
        if had_invisibles(question):
            answer.warnings.append(INVISIBLES_WARNING)
        statements = response.sql_statements
        if not statements:
            if not answer.suggestions:
                answer.status = "unsupported"
                answer.explanation = (
                    response.text or "Cortex Analyst could not write SQL for this question."
                )
            timings["total"] = _ms(started)
            return answer
        if len(statements) > 1:
            answer.warnings.append(
                f"Cortex Analyst wrote {len(statements)} SQL statements; only the first was "
                "considered."
            )
        step = time.perf_counter()
        try:
            guarded = guard_sql(statements[0], self.policy)
        except GuardError as error:
            timings["guard"] = _ms(step)
            timings["total"] = _ms(started)
            answer.status = "unsupported"
            answer.suggestions = []
            interpretation = (
                f" Cortex Analyst's interpretation: {response.text}" if response.text else ""
            )
            answer.explanation = (
                f"The SQL Cortex Analyst wrote was not run: the guard refused it "
                f"({error.reason}: {error}).{interpretation}"
            )
            log.warning(
                "guard refused Cortex Analyst SQL (request id %s): %s",
                response.request_id or "unknown",
                error.reason,
            )
            return answer
        timings["guard"] = _ms(step)
        step = time.perf_counter()
        try:
            columns, rows = self.runner(guarded.sql)
        except CortexAnalystError as error:
            raise CortexQueryError(
                f"{error} (request id {response.request_id or 'unknown'})",
                request_id=response.request_id,
            ) from error
        timings["query"] = _ms(step)
        answer.status = "answered"
        answer.sql = guarded.sql
        answer.columns = list(columns)
        answer.rows = [list(row) for row in rows]
        if len(answer.rows) > self.max_rows:
            answer.rows = answer.rows[: self.max_rows]
            answer.truncated = True
            answer.warnings.append(f"only the first {self.max_rows:,} rows are shown")
        data = self.data_range
        if data is not None:
            say_data_through(answer, data.last)
        timings["total"] = _ms(started)
        return answer

    def close(self) -> None:
        close = getattr(self.runner, "close", None)
        if callable(close):
            close()


def data_range_reader(
    runner: QueryRunner,
    database: str | None,
    schema_prefix: str = "",
    raw_manifest: Callable[[], Mapping[str, Any]] | None = None,
) -> Callable[[], DataRange | None]:
    """What reads the data's first and last day for Cortex Analyst's answers:
    the local engine's definition (:func:`questions.data_range.read_data_range`)
    over the semantic models' relations in Snowflake ``database`` (with
    ``schema_prefix`` before each schema: a developer's ``dev_alice_``), run
    with ``runner``.
    ``raw_manifest`` gives the semantic manifest (default: the project's, as
    the answers' labels are read from)."""

    def read() -> DataRange | None:
        from questions.semantic import load_raw_semantic_manifest, relation_names

        raw = (raw_manifest or load_raw_semantic_manifest)()
        relations = relation_names(raw, "snowflake", database, schema_prefix)
        return read_data_range(raw, relations, runner)

    return read


def open_cortex_engine(
    settings: QuestionSettings, snowflake: SnowflakeSettings
) -> CortexAnalystEngine:
    """The Cortex Analyst engine of ``settings`` (``QUESTIONS_CORTEX_*``),
    running its SQL on the Snowflake account and database of ``snowflake``.

    Raises :class:`ConfigurationError` naming what is missing: the token, the
    semantic view or model file (exactly one), the account (for the default
    base URL ``https://<account>.snowflakecomputing.com``) or the Snowflake
    credentials. No connection is opened yet.
    """
    from analytics_core.snowflake import connection_parameters

    if not settings.cortex_token:
        raise ConfigurationError(
            "QUESTIONS_CORTEX_TOKEN is not set (a programmatic access token, OAuth token or "
            "key-pair JWT for Cortex Analyst)"
        )
    view, model_file = settings.cortex_semantic_view, settings.cortex_semantic_model_file
    if bool(view) == bool(model_file):
        raise ConfigurationError(
            "set exactly one of QUESTIONS_CORTEX_SEMANTIC_VIEW and "
            "QUESTIONS_CORTEX_SEMANTIC_MODEL_FILE"
            + (" (both are set)" if view and model_file else "")
        )
    base_url = settings.cortex_base_url
    if not base_url:
        if not snowflake.account:
            raise ConfigurationError(
                "set QUESTIONS_CORTEX_BASE_URL or SNOWFLAKE_ACCOUNT for Cortex Analyst"
            )
        base_url = f"https://{snowflake.account}.snowflakecomputing.com"
    params = connection_parameters(snowflake)  # raises on missing credentials
    prefix = settings.schema_prefix
    try:
        client = CortexAnalystClient(
            base_url,
            settings.cortex_token,
            token_type=settings.cortex_token_type,
            semantic_view=view or None,
            semantic_model_file=model_file or None,
            timeout=settings.cortex_timeout_seconds,
        )
    except ValueError as error:
        raise ConfigurationError(f"Cortex Analyst settings: {error}") from None

    def connect(session_parameters: Mapping[str, Any]) -> Any:
        import snowflake.connector

        return snowflake.connector.connect(**params, session_parameters=dict(session_parameters))

    runner = snowflake_runner(
        connect,
        statement_timeout=settings.statement_timeout_seconds,
        query_tag=QUERY_TAG,
        max_rows=settings.max_rows + 1,  # one more than shown: the engine cuts and says so
    )
    policy = default_policy("snowflake", prefix, database=snowflake.database)
    return CortexAnalystEngine(
        client,
        runner,
        policy=policy,
        max_rows=settings.max_rows,
        read_range=data_range_reader(runner, snowflake.database, settings.schema_name_prefix),
    )
