# mypy: disable-error-code="import-untyped"
"""Arrow columns in the contract's types, built from numpy arrays without row loops."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.generator.arrays import I64, Mask


def timestamps(us: I64) -> pa.Array:
    """TIMESTAMP (naive UTC) from microseconds since 1970-01-01."""
    return pa.array(np.ascontiguousarray(us, dtype=np.int64).view("datetime64[us]"))


def dates(days: I64) -> pa.Array:
    """DATE from days since 1970-01-01."""
    return pa.array(np.asarray(days, dtype=np.int64).astype("int32"), type=pa.int32()).view(
        pa.date32()
    )


def decimals(units: I64, precision: int, scale: int) -> pa.Array:
    """DECIMAL(precision, scale) from integer units of 10**-scale (e.g. cents)."""
    units = np.asarray(units, dtype=np.int64)
    if len(units) and int(np.max(np.abs(units))) >= 10**precision:
        raise ValueError(f"value does not fit DECIMAL({precision},{scale})")
    words = np.empty((len(units), 2), dtype=np.int64)
    words[:, 0] = units
    words[:, 1] = units >> 63  # sign extension into the high 64 bits
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale), len(units), [None, pa.py_buffer(words.tobytes())]
    )


def bigints(values: I64, nulls: Mask | None = None) -> pa.Array:
    """BIGINT, optionally with NULLs where ``nulls`` is true."""
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=nulls)


def integers(values: I64) -> pa.Array:
    """INTEGER."""
    return pa.array(np.asarray(values, dtype=np.int32), type=pa.int32())


def booleans(values: Mask) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.bool_), type=pa.bool_())


def labels(vocabulary: Sequence[str], index: I64) -> pa.Array:
    """VARCHAR: ``vocabulary[index]`` elementwise."""
    return pc.take(pa.array(list(vocabulary), type=pa.string()), pa.array(index, type=pa.int64()))


def numbered(prefix: str, numbers: I64, suffix: str = "", width: int = 0) -> pa.Array:
    """VARCHAR like ``user000123@example.com``: prefix + zero-padded number + suffix."""
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    if width:
        digits = pc.utf8_lpad(digits, width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, suffix, "")


def joined(parts: Sequence[pa.Array | str], separator: str = "") -> pa.Array:
    """Elementwise string concatenation of arrays (and literal strings)."""
    return pc.binary_join_element_wise(*parts, separator)
