# mypy: disable-error-code="import-untyped"
"""Write the raw tables into a DuckDB file, straight from Arrow."""

# SQL text is built only from module constants (schema, table and column
# names); values always go in as parameters or Arrow data, hence the S608 noqa.

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import duckdb
import pyarrow as pa

from orchestration.generator.errors import GeneratorError
from orchestration.generator.schema import RAW_SCHEMA, TableSpec
from orchestration.generator.state import (
    STATE_COLUMNS,
    STATE_SCHEMA,
    STATE_TABLE,
    GeneratorState,
)

_BATCH_VIEW = "_generator_batch"


class DuckDBSink:
    """A DuckDB file (created if missing). Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = duckdb.connect(str(self.path))
            # No console progress bar: callers report progress themselves.
            self._con.execute("set enable_progress_bar = false")
        except (OSError, duckdb.Error) as exc:
            raise GeneratorError(f"cannot open the DuckDB warehouse {self.path}: {exc}") from exc

    def __enter__(self) -> DuckDBSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._con

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._con.begin()
        try:
            yield
        except BaseException:
            self._con.rollback()
            raise
        self._con.commit()

    def create_raw_tables(self, tables: Sequence[TableSpec]) -> None:
        self._con.execute(f"create schema if not exists {RAW_SCHEMA}")
        for table in tables:
            columns = ", ".join(f"{c.name} {c.sql_type}" for c in table.columns)
            self._con.execute(f"create or replace table {RAW_SCHEMA}.{table.name} ({columns})")

    def append(self, table: TableSpec, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        self._con.register(_BATCH_VIEW, data)
        try:
            self._con.execute(
                f"insert into {RAW_SCHEMA}.{table.name} by name select * from {_BATCH_VIEW}"  # noqa: S608
            )
        except duckdb.Error as exc:
            raise GeneratorError(f"cannot write {RAW_SCHEMA}.{table.name}: {exc}") from exc
        finally:
            self._con.unregister(_BATCH_VIEW)

    def replace(self, table: TableSpec, data: pa.Table) -> None:
        try:
            self._con.execute(f"delete from {RAW_SCHEMA}.{table.name}")  # noqa: S608
        except duckdb.Error as exc:
            raise GeneratorError(f"cannot replace {RAW_SCHEMA}.{table.name}: {exc}") from exc
        self.append(table, data)

    def read_state(self) -> GeneratorState | None:
        names = ", ".join(name for name, _ in STATE_COLUMNS)
        try:
            row = self._con.execute(
                f"select {names} from {STATE_SCHEMA}.{STATE_TABLE} limit 1"  # noqa: S608
            ).fetchone()
        except duckdb.CatalogException:
            return None
        except duckdb.Error as exc:
            raise GeneratorError(f"cannot read the generator state in {self.path}: {exc}") from exc
        return None if row is None else GeneratorState.from_row(row)

    def write_state(self, state: GeneratorState) -> None:
        columns = ", ".join(f"{name} {sql_type}" for name, sql_type in STATE_COLUMNS)
        placeholders = ", ".join("?" for _ in STATE_COLUMNS)
        self._con.execute(f"create schema if not exists {STATE_SCHEMA}")
        self._con.execute(f"create or replace table {STATE_SCHEMA}.{STATE_TABLE} ({columns})")
        self._con.execute(
            f"insert into {STATE_SCHEMA}.{STATE_TABLE} values ({placeholders})",  # noqa: S608
            state.to_row(),
        )
