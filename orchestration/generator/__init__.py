"""The raw data generator: a deterministic simulation of the shop's source systems.

It writes every table of the raw-data contract (``docs/raw-data.md``) into
schema ``raw_data`` of a DuckDB file (:class:`DuckDBSink`) or a Snowflake
database (:class:`SnowflakeSink`).

The simulated world is a pure function of (seed, scale, defect rates, day),
built from counter-based hashing, so any day's orders and their changes can
be recomputed on their own: ``increment`` appends exactly the rows a full
``generate`` to the same date would have loaded in that time. Details of the
world model are in the docstrings of :mod:`demand`, :mod:`customers`,
:mod:`products`, :mod:`fx`, :mod:`orders`, :mod:`items`, :mod:`cdc` and
:mod:`sync`.

The ``sales_targets`` seed (``dbt_project/seeds/sales_targets.csv``) is the
plan for scale 1: about 5% above the revenue a scale-1 history produces (see
:mod:`targets`). The scale is recorded in ``_generator.state``, and the dbt
build multiplies the plan by it (the seed's post-hook,
``dbt_project/macros/data_scale.sql``), so attainment reads alike at any scale.
"""

from orchestration.generator.config import DEFECTS, GeneratorConfig
from orchestration.generator.duckdb_sink import DuckDBSink
from orchestration.generator.errors import GeneratorError
from orchestration.generator.generation import (
    GenerationSummary,
    Progress,
    generate,
    increment,
)
from orchestration.generator.sink import Sink
from orchestration.generator.snowflake_sink import SnowflakeSink

__all__ = [
    "DEFECTS",
    "DuckDBSink",
    "GenerationSummary",
    "GeneratorConfig",
    "GeneratorError",
    "Progress",
    "Sink",
    "SnowflakeSink",
    "generate",
    "increment",
]
