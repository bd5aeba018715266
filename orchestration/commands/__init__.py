"""The ``analytics`` commands, one module per group: ``data`` (generate, build,
docs), ``serve`` (serve, schedules, up), ``reports`` (report), ``ask`` (ask,
semantic-model), ``snowflake`` (snowflake-ddl) and ``ci``. Each command is a
thin function: it parses options, calls the module that does the work and
prints the outcome. :mod:`orchestration.cli` registers them on the ``analytics``
application and is the entry point."""
