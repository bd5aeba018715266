# mypy: disable-error-code="import-untyped"
"""Write the raw tables into Snowflake (or the fakesnow emulator).

Each batch goes the way Snowflake loads files fastest: Arrow -> a Parquet
file -> ``PUT`` to the table's stage -> ``COPY INTO ... MATCH_BY_COLUMN_NAME``
(the same path ``write_pandas`` takes, without pandas). Tables land in
``<current database>.raw_data``; generator state in ``_generator.state``.

Snowflake commits open transactions before DDL, so only the appends of an
increment and its state update are atomic; a full generate recreates the
tables first.
"""

# SQL text is built only from module constants (schema, table and column
# names); values always go in as parameters or Arrow data, hence the S608 noqa.

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.generator.errors import GeneratorError
from orchestration.generator.schema import RAW_SCHEMA, TableSpec
from orchestration.generator.state import (
    STATE_COLUMNS,
    STATE_SCHEMA,
    STATE_TABLE,
    GeneratorState,
)

if TYPE_CHECKING:
    from snowflake.connector import SnowflakeConnection

#: Contract types that Snowflake spells differently.
_SNOWFLAKE_TYPES = {"TIMESTAMP": "TIMESTAMP_NTZ", "DOUBLE": "FLOAT"}
#: Snowflake's error number for "object does not exist or not authorized".
_DOES_NOT_EXIST = 2003


def snowflake_type(sql_type: str) -> str:
    return _SNOWFLAKE_TYPES.get(sql_type, sql_type)


class SnowflakeSink:
    """Writes into the connection's current database; the connection stays the caller's."""

    def __init__(self, connection: SnowflakeConnection) -> None:
        self._con = connection
        row = self._fetchone("select current_database()")
        if row is None or not row[0]:
            raise GeneratorError(
                "the Snowflake connection has no current database: connect with database=..."
            )
        self.database = str(row[0])
        self._in_transaction = False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._execute("begin")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._execute("rollback")
            raise
        else:
            self._execute("commit")
        finally:
            self._in_transaction = False

    def create_raw_tables(self, tables: Sequence[TableSpec]) -> None:
        # Snowflake commits an open transaction before DDL; do so explicitly and
        # open a new one afterwards, so the emulator behaves the same.
        if self._in_transaction:
            self._execute("commit")
        self._execute(f"create schema if not exists {RAW_SCHEMA}")
        for table in tables:
            columns = ", ".join(f"{c.name} {snowflake_type(c.sql_type)}" for c in table.columns)
            self._execute(f"create or replace table {RAW_SCHEMA}.{table.name} ({columns})")
        # Created here, with the other DDL, so that writing the state later is DML
        # only and does not commit the caller's transaction.
        state_columns = ", ".join(f"{n} {snowflake_type(t)}" for n, t in STATE_COLUMNS)
        self._execute(f"create schema if not exists {STATE_SCHEMA}")
        self._execute(f"create table if not exists {STATE_SCHEMA}.{STATE_TABLE} ({state_columns})")

    def append(self, table: TableSpec, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        target = f"{RAW_SCHEMA}.{table.name}"
        with tempfile.TemporaryDirectory(prefix="generator-") as directory:
            name = f"{table.name}_{uuid.uuid4().hex}.parquet"
            path = Path(directory) / name
            pq.write_table(data, path)
            self._execute(
                f"put 'file://{path.as_posix()}' @{RAW_SCHEMA}.%{table.name} "
                "auto_compress=false overwrite=true"
            )
            self._execute(
                f"copy into {target} from @{RAW_SCHEMA}.%{table.name}/{name} "
                "file_format=(type=parquet) match_by_column_name=case_insensitive purge=true"
            )

    def replace(self, table: TableSpec, data: pa.Table) -> None:
        self._execute(f"delete from {RAW_SCHEMA}.{table.name}")  # noqa: S608
        self.append(table, data)

    def read_state(self) -> GeneratorState | None:
        from snowflake.connector.errors import ProgrammingError

        names = ", ".join(name for name, _ in STATE_COLUMNS)
        try:
            row = self._con.cursor().execute(
                f"select {names} from {STATE_SCHEMA}.{STATE_TABLE} limit 1"  # noqa: S608
            )
            result = None if row is None else row.fetchone()
        except ProgrammingError as exc:
            if exc.errno == _DOES_NOT_EXIST:
                return None
            raise GeneratorError(f"cannot read the generator state: {exc.msg}") from exc
        return None if result is None else GeneratorState.from_row(tuple(result))

    def write_state(self, state: GeneratorState) -> None:
        placeholders = ", ".join("%s" for _ in STATE_COLUMNS)
        self._execute(f"delete from {STATE_SCHEMA}.{STATE_TABLE}")  # noqa: S608
        self._execute(
            f"insert into {STATE_SCHEMA}.{STATE_TABLE} values ({placeholders})",  # noqa: S608
            state.to_row(),
        )

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        from snowflake.connector.errors import Error

        try:
            self._con.cursor().execute(sql, params)
        except Error as exc:
            raise GeneratorError(f"Snowflake rejected {sql.split()[0].upper()}: {exc}") from exc

    def _fetchone(self, sql: str) -> tuple[Any, ...] | None:
        cursor = self._con.cursor().execute(sql)
        row = None if cursor is None else cursor.fetchone()
        return None if row is None else tuple(row)
