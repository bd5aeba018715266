"""How the ELT tool lands the full-extract tables (customers, products).

The tool syncs every 15 minutes and each sync lands 7 minutes after it
started. A sync at time ``s`` copies the source state as of ``s``; a row's
``_loaded_at`` is when its current version first landed, so it only moves
when the row changed. A call with load horizon ``h`` sees the state of the
last sync that landed by ``h``. Because this depends only on the source
history, a full generate and a generate-plus-increments agree exactly.
"""

from __future__ import annotations

import numpy as np

from orchestration.generator.arrays import I64
from orchestration.generator.timeline import US_PER_MINUTE

SYNC_INTERVAL_US = 15 * US_PER_MINUTE
SYNC_DELAY_US = 7 * US_PER_MINUTE


def visible_cutoff(horizon_us: int) -> int:
    """Source time of the last sync that had landed by ``horizon_us``."""
    return ((horizon_us - SYNC_DELAY_US) // SYNC_INTERVAL_US) * SYNC_INTERVAL_US


def landed_at(changed_us: I64) -> I64:
    """When a version changed at ``changed_us`` lands: next sync + delay."""
    syncs = -np.floor_divide(-changed_us, SYNC_INTERVAL_US)  # ceiling division
    result: I64 = syncs * SYNC_INTERVAL_US + SYNC_DELAY_US
    return result
