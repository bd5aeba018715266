# mypy: disable-error-code="import-untyped"
"""Where generated tables go: the interface every warehouse sink implements."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

import pyarrow as pa

from orchestration.generator.schema import TableSpec
from orchestration.generator.state import GeneratorState


class Sink(Protocol):
    """A warehouse the generator writes ``raw_data`` (and its own state) into."""

    def transaction(self) -> AbstractContextManager[None]:
        """Everything inside lands together or not at all (as far as the warehouse allows)."""
        ...

    def create_raw_tables(self, tables: Sequence[TableSpec]) -> None:
        """Create schema ``raw_data`` if needed and (re)create these tables empty."""
        ...

    def append(self, table: TableSpec, data: pa.Table) -> None:
        """Append rows (in the table's column order and types)."""
        ...

    def replace(self, table: TableSpec, data: pa.Table) -> None:
        """Replace all rows of the table."""
        ...

    def read_state(self) -> GeneratorState | None:
        """The stored state, or None if nothing was generated into this warehouse."""
        ...

    def write_state(self, state: GeneratorState) -> None: ...
