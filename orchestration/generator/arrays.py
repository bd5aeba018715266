"""Type aliases for the numpy arrays the simulation passes around."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

I64: TypeAlias = NDArray[np.int64]
U64: TypeAlias = NDArray[np.uint64]
F64: TypeAlias = NDArray[np.float64]
Mask: TypeAlias = NDArray[np.bool_]

#: Sentinel time (microseconds) for "this event never happens".
NEVER: int = np.iinfo(np.int64).max
