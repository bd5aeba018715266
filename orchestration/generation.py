"""``analytics generate``: run the generator against the local state
warehouse (under the warehouse lock) or against Snowflake.

Locally the generator never writes into the live state file: a full
generation writes a fresh file and an increment writes a copy of the state;
either replaces the state only when the generator finished. A failed or
interrupted run leaves the state as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from analytics_core.settings import Settings, SnowflakeSettings
from orchestration import warehouse_publish as files
from orchestration.build import NoRawDataError
from orchestration.locking import warehouse_lock

if TYPE_CHECKING:
    from orchestration.generator import GenerationSummary, GeneratorConfig

#: (step, done, total)
GeneratorProgress = Callable[[str, int, int], None]


def generate_local(
    settings: Settings,
    config: GeneratorConfig,
    *,
    progress: GeneratorProgress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write a new raw data set; it replaces the state warehouse (and with it
    dbt's incremental state, so the next build starts from scratch)."""
    from orchestration.generator import DuckDBSink, generate

    config.validate()
    with warehouse_lock(
        settings.lock_path, purpose="generate", timeout=settings.lock_timeout, on_wait=on_wait
    ):
        work = settings.incoming_warehouse_path
        files.remove_database(work)
        work.parent.mkdir(parents=True, exist_ok=True)
        try:
            with DuckDBSink(work) as sink:
                summary = generate(config, sink, progress=progress)
            files.promote_work_copy(work, settings.state_warehouse_path)
        except BaseException:
            files.remove_work_copy(work)
            raise
    return summary


def increment_local(
    settings: Settings,
    days: int,
    *,
    progress: GeneratorProgress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Append the next ``days`` days of changes to the state warehouse."""
    from orchestration.generator import DuckDBSink, increment

    with warehouse_lock(
        settings.lock_path, purpose="generate", timeout=settings.lock_timeout, on_wait=on_wait
    ):
        state = settings.state_warehouse_path
        files.checkpoint(state)
        if not files.raw_tables(state):
            raise NoRawDataError(
                f"no raw data in {state} to extend; run `analytics generate` first"
            )
        work = settings.incoming_warehouse_path
        files.remove_database(work)
        work.parent.mkdir(parents=True, exist_ok=True)
        try:
            files.durable_copy(state, work)
            with DuckDBSink(work) as sink:
                summary = increment(days, sink, progress=progress)
            files.promote_work_copy(work, settings.state_warehouse_path)
        except BaseException:
            files.remove_work_copy(work)
            raise
    return summary


def generate_snowflake(
    config: GeneratorConfig | None,
    days: int | None,
    snowflake: SnowflakeSettings,
    *,
    progress: GeneratorProgress | None = None,
) -> GenerationSummary:
    """Write raw data into Snowflake's ``raw_data`` schema (the account of ``snowflake``)."""
    from analytics_core.snowflake import connect
    from orchestration.generator import SnowflakeSink, generate, increment

    if config is not None:
        config.validate()
    connection = connect(snowflake)
    try:
        sink = SnowflakeSink(connection)
        if config is not None:
            return generate(config, sink, progress=progress)
        if days is None:  # pragma: no cover - the CLI always passes one of them
            raise ValueError("either config or days is required")
        return increment(days, sink, progress=progress)
    finally:
        connection.close()
