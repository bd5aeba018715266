"""Change-log mechanics shared by ``shop_orders`` and ``shop_order_items``.

Every change is an *event* identified by ``entity key * 8 + kind``. From that
identity alone (and the seed) come:

* ``_cdc_lsn = epoch microseconds of _cdc_ts * 2048 + (hash mod 2048)``:
  strictly increasing in ``_cdc_ts`` order and fixed for the change, so a late
  row that lands in a later call still carries its original, smaller LSN
  (2048 slots keep two changes in the same microsecond apart and still fit a
  BIGINT until 2100);
* ``_loaded_at = _cdc_ts + 1..15 minutes``; with the ``late_arrival`` defect
  another 1..5 days;
* the ``duplicate_cdc`` defect: the row is delivered twice, identically.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.generator.arrays import I64, Mask
from orchestration.generator.randomness import Randomness
from orchestration.generator.timeline import US_PER_DAY, US_PER_MINUTE
from orchestration.generator.window import LoadWindow

LSN_SLOTS = 2048
KINDS_PER_ENTITY = 8
LAG_MINUTES = (1, 15)
LATE_DAYS = (1, 5)
#: The longest a change can take to land.
MAX_LOAD_DELAY_US = LATE_DAYS[1] * US_PER_DAY + LAG_MINUTES[1] * US_PER_MINUTE

OPS: tuple[str, ...] = ("I", "U", "D")
INSERT, UPDATE, DELETE = 0, 1, 2


@dataclass(frozen=True)
class Stamps:
    lsn: I64
    loaded_us: I64


def event_keys(entity_keys: I64, kinds: I64) -> I64:
    result: I64 = entity_keys * KINDS_PER_ENTITY + kinds
    return result


def stamp(rng: Randomness, table: str, keys: I64, cdc_us: I64, late_rate: float) -> Stamps:
    """LSN and landing time of each event."""
    lsn = cdc_us * LSN_SLOTS + rng.integers(f"{table}.lsn", keys, 0, LSN_SLOTS)
    lag = rng.integers(
        f"{table}.lag", keys, LAG_MINUTES[0] * US_PER_MINUTE, LAG_MINUTES[1] * US_PER_MINUTE
    )
    late = rng.chance(f"{table}.late", keys, late_rate)
    extra = rng.integers(
        f"{table}.late_by", keys, LATE_DAYS[0] * US_PER_DAY, LATE_DAYS[1] * US_PER_DAY
    )
    return Stamps(lsn=lsn, loaded_us=cdc_us + lag + np.where(late, extra, 0))


def rows_to_write(
    rng: Randomness,
    table: str,
    keys: I64,
    stamps: Stamps,
    window: LoadWindow,
    duplicate_rate: float,
) -> I64:
    """Indices of the events that land in ``window``, duplicates repeated, in LSN order."""
    landed = np.flatnonzero(window.contains(stamps.loaded_us))
    twice: Mask = rng.chance(f"{table}.duplicate", keys[landed], duplicate_rate)
    rows = np.concatenate([landed, landed[twice]])
    result: I64 = rows[np.argsort(stamps.lsn[rows], kind="stable")]
    return result
