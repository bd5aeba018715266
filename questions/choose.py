"""Which engine answers questions here: the one place that decides.

``QUESTIONS_ENGINE=auto`` (the default) uses Snowflake Cortex Analyst when the
warehouse is Snowflake and ``QUESTIONS_CORTEX_ENABLED`` is on, otherwise the
local engine; ``local`` or ``cortex_analyst`` force one.
"""

from __future__ import annotations

from analytics_core.errors import ConfigurationError
from analytics_core.settings import QuestionSettings, Settings, SnowflakeSettings
from questions.answers import QuestionEngine


def chosen_engine(questions: QuestionSettings) -> str:
    """``local`` or ``cortex_analyst``, as the settings ask."""
    if questions.engine != "auto":
        return questions.engine
    if questions.warehouse == "snowflake" and questions.cortex_enabled:
        return "cortex_analyst"
    return "local"


def open_question_engine(
    settings: Settings | None = None,
    questions: QuestionSettings | None = None,
    snowflake: SnowflakeSettings | None = None,
) -> QuestionEngine:
    """The engine the settings ask for, ready to answer (settings not given
    are read from the environment here, at the edge)."""
    questions = questions or QuestionSettings()
    snowflake = snowflake or SnowflakeSettings()
    if chosen_engine(questions) == "cortex_analyst":
        if questions.warehouse != "snowflake":
            raise ConfigurationError(
                "QUESTIONS_ENGINE=cortex_analyst needs QUESTIONS_WAREHOUSE=snowflake:"
                " Cortex Analyst runs in Snowflake"
            )
        from questions.cortex_analyst.engine import open_cortex_engine

        return open_cortex_engine(questions, snowflake)
    from questions.local import LocalQuestionEngine

    return LocalQuestionEngine.open(settings, questions, snowflake=snowflake)
