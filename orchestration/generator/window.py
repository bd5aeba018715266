"""Which rows a call writes: those that landed in its load window."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.generator.arrays import I64, Mask

#: Lower bound for a full generate: everything up to the horizon.
BEGINNING_OF_TIME = int(np.iinfo(np.int64).min)


@dataclass(frozen=True)
class LoadWindow:
    """Rows with ``lo_us < _loaded_at <= hi_us`` land in this call (microseconds)."""

    lo_us: int
    hi_us: int

    def contains(self, loaded_us: I64) -> Mask:
        result: Mask = (loaded_us > self.lo_us) & (loaded_us <= self.hi_us)
        return result
