"""The local question engine (no model, no network), in the order it works:

- :mod:`~questions.local.english`: the grammar words and the requests refused;
- :mod:`~questions.local.vocabulary`: the phrases of the semantic layer and
  the warehouse's values, and how a question's words match them;
- :mod:`~questions.local.reading`: what a question names, and follow-ups;
- :mod:`~questions.local.engine`: :class:`LocalQuestionEngine`, which decides
  the semantic query, compiles (:mod:`~questions.local.compiling`), guards
  and runs it, and says it in words (:mod:`~questions.local.wording`);
- :mod:`~questions.local.opening`: the warehouse it runs on.
"""

from questions.local.compiling import QuestionError
from questions.local.engine import LocalQuestionEngine

__all__ = ["LocalQuestionEngine", "QuestionError"]
