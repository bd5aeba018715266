"""Snowflake Cortex Analyst: a REST client and the question engine built on it
(:mod:`~questions.cortex_analyst.client` with what it reads,
:mod:`~questions.cortex_analyst.responses`; :mod:`~questions.cortex_analyst.engine`).

Cortex Analyst turns a question into Snowflake SQL over a semantic view (or a
semantic model YAML, staged or inline). It does not run the SQL: we do, after
the SQL guard (:mod:`questions.guard`) has checked it.

The client (:class:`~questions.cortex_analyst.client.CortexAnalystClient`)
speaks the documented protocol of
``POST {base_url}/api/v2/cortex/analyst/message`` with the standard library
only (no HTTP dependency at run time):

- the request carries ``Authorization: Bearer <token>``,
  ``X-Snowflake-Authorization-Token-Type``, ``Content-Type: application/json``
  and ``Accept``; its body is ``{"messages": [...], <one semantic source>,
  "stream": bool}``, where messages alternate ``user`` and ``analyst`` and end
  with the user's question;
- a non-streaming answer is one JSON object (``request_id``, ``message`` with
  ``content`` items of type ``text``/``sql``/``suggestions``, ``warnings``,
  ``response_metadata``); a streaming answer is server-sent events
  (``status``, ``message.content.delta``, ``warnings``, ``response_metadata``,
  ``error``, ``done``) that the client assembles into the same
  :class:`AnalystResponse`. A stream that ends before ``done`` (or a ``done``
  status) is an error: a cut stream could hold a cut SQL statement;
- every failure (an HTTP error status with its documented body ``message``,
  ``code``, ``request_id``; a timeout; a refused connection; a redirect; a
  body that is not JSON, not in the documented shape, or larger than
  ``max_response_bytes``) is a :class:`CortexAnalystError` whose message is one
  line with the HTTP status and the request id when known. The token never
  appears in a message or a log line;
- 429 and 503 are retried at most ``max_retries`` times, waiting as
  ``Retry-After`` says (capped at ``max_retry_wait`` seconds) or with a short
  exponential backoff; nothing else is retried.

The engine (:class:`~questions.cortex_analyst.engine.CortexAnalystEngine`)
implements
:class:`questions.answers.QuestionEngine`. Cortex Analyst has no "as of"
parameter (its SQL uses ``CURRENT_DATE``), so an ``as_of`` date is given to it
as context in the question text, ``"(Today is 2026-03-15.)"``; it usually,
not provably, resolves relative periods against that date. Cortex gives no
structured interpretation, so answers carry ``interpretation=None`` and the
analyst's own words ("This is our interpretation of your question: ...") in
``explanation``, followed, as the local engine's are, by "Data through
<date>." (``data_through``, :mod:`questions.data_range`).
"""
