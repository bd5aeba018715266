# mypy: disable-error-code="import-untyped"
"""Orders: how many per day, who buys, through which channel, and what happens next.

* Orders per day follow :mod:`demand`. Within a day, times follow an hourly
  profile (quiet at night UTC, busiest in the evening). ``order_id`` is
  ``days since 1970-01-01 * 1,000,000 + rank of the order within its day``:
  unique, stable and increasing with time.
* The buyer is a customer who signed up on an earlier day
  (:meth:`CustomerPool.pick_buyers`); the currency is that customer's
  country's currency at the time of the order; the channel mix depends on
  the region.
* Lifecycle: placed -> shipped after 0.5..3 days -> delivered 2..7 days later;
  4% are cancelled within a day instead; 5% of delivered orders are returned
  5..30 days later. 0.3% are deleted 1..45 days after they were placed (a
  ``D`` row carrying the last status; later transitions never happen). Each
  transition is a ``U`` row at its time.
* Defects: ``null_customer`` blanks the customer for all rows of the order;
  ``future_order`` sets ``order_ts`` to 2..30 days after the latest
  ``_loaded_at`` of any of the order's rows (a source clock bug).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from orchestration.generator import cdc
from orchestration.generator import columns as col
from orchestration.generator.arrays import I64, NEVER, Mask
from orchestration.generator.customers import customer_ids
from orchestration.generator.demand import daily_orders
from orchestration.generator.geography import REGIONS
from orchestration.generator.schema import SHOP_ORDERS, build_table
from orchestration.generator.timeline import US_PER_DAY, US_PER_HOUR, day_range, days_as_us
from orchestration.generator.window import LoadWindow
from orchestration.generator.world import World

ORDER_ID_STRIDE = 1_000_000
CHANNELS: tuple[str, ...] = ("web", "mobile", "store", "partner")
#: Channel mix per region, in :data:`geography.REGIONS` order.
CHANNEL_MIX: dict[str, tuple[float, float, float, float]] = {
    "AMER": (0.45, 0.35, 0.12, 0.08),
    "EMEA": (0.50, 0.25, 0.15, 0.10),
    "APAC": (0.30, 0.50, 0.10, 0.10),
}
STATUSES: tuple[str, ...] = ("placed", "shipped", "delivered", "cancelled", "returned")
PLACED, SHIPPED, DELIVERED, CANCELLED, RETURNED = range(5)
#: Relative order volume per UTC hour.
HOURLY_PROFILE = (
    0.60, 0.45, 0.35, 0.30, 0.30, 0.35, 0.50, 0.70, 0.90, 1.00, 1.10, 1.15,
    1.20, 1.20, 1.25, 1.30, 1.35, 1.40, 1.45, 1.50, 1.45, 1.30, 1.10, 0.80,
)  # fmt: skip
CANCEL_RATE = 0.04
CANCEL_DAYS = (0.05, 1.0)
SHIP_DAYS = (0.5, 3.0)
DELIVER_DAYS = (2.0, 7.0)
RETURN_RATE = 0.05
RETURN_DAYS = (5.0, 30.0)
DELETE_RATE = 0.003
DELETE_DAYS = (1.0, 45.0)
FUTURE_DAYS = (2.0, 30.0)
#: No change to an order (or its items) happens later than this after it was placed.
MAX_CHANGE_DAYS = max(DELETE_DAYS[1], SHIP_DAYS[1] + DELIVER_DAYS[1] + RETURN_DAYS[1]) + 1


@dataclass(frozen=True)
class Orders:
    """Orders placed on a range of days, with their whole (future) lifecycle."""

    order_id: I64
    day: I64
    placed_us: I64
    customer: I64
    no_customer: Mask
    channel: I64
    currency: I64
    shipped_us: I64
    delivered_us: I64
    returned_us: I64
    cancelled_us: I64
    deleted_us: I64

    def __len__(self) -> int:
        return len(self.order_id)


def simulate_orders(world: World, first_day: int, last_day: int) -> Orders:
    rng = world.rng
    days = day_range(first_day, last_day)
    counts = daily_orders(rng, days, world.scale)
    day = np.repeat(days, counts)
    slot = np.arange(len(day), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    draw = day * ORDER_ID_STRIDE + slot
    hour = rng.categorical("order.hour", draw, HOURLY_PROFILE)
    placed_us = np.sort(
        day * US_PER_DAY + hour * US_PER_HOUR + rng.integers("order.time", draw, 0, US_PER_HOUR)
    )
    order_id = draw  # after sorting, the slot is the order's rank within its day

    customer = world.customers.pick_buyers(rng, order_id, day)
    country = world.customers.country_at(customer, placed_us)
    region = world.geography.country_region[country]
    mix = np.cumsum(np.array([CHANNEL_MIX[r] for r in REGIONS]), axis=1)
    u = rng.uniform("order.channel", order_id)
    channel = np.sum(u[:, None] * mix[region, -1:] >= mix[region, :-1], axis=1)

    def after(stream: str, start: I64, span: tuple[float, float]) -> I64:
        result: I64 = start + rng.integers(stream, order_id, *days_as_us(span))
        return result

    cancelled = rng.chance("order.cancel", order_id, CANCEL_RATE)
    shipped_us = after("order.ship", placed_us, SHIP_DAYS)
    delivered_us = after("order.deliver", shipped_us, DELIVER_DAYS)
    returned = rng.chance("order.return", order_id, RETURN_RATE) & ~cancelled
    deleted = rng.chance("order.delete", order_id, DELETE_RATE)
    return Orders(
        order_id=order_id,
        day=day,
        placed_us=placed_us,
        customer=customer,
        no_customer=rng.chance("order.null_customer", order_id, world.rate("null_customer")),
        channel=channel.astype(np.int64),
        currency=world.geography.country_currency[country],
        shipped_us=np.where(cancelled, NEVER, shipped_us),
        delivered_us=np.where(cancelled, NEVER, delivered_us),
        returned_us=np.where(returned, after("order.return_at", delivered_us, RETURN_DAYS), NEVER),
        cancelled_us=np.where(cancelled, after("order.cancel_at", placed_us, CANCEL_DAYS), NEVER),
        deleted_us=np.where(deleted, after("order.delete_at", placed_us, DELETE_DAYS), NEVER),
    )


def order_changes(world: World, orders: Orders, window: LoadWindow) -> pa.Table:
    """The ``shop_orders`` rows of these orders that land in ``window``."""
    rng = world.rng
    deleted = orders.deleted_us
    status_when_deleted = np.select(
        [
            orders.returned_us < deleted,
            orders.delivered_us < deleted,
            orders.shipped_us < deleted,
            orders.cancelled_us < deleted,
        ],
        [RETURNED, DELIVERED, SHIPPED, CANCELLED],
        PLACED,
    )
    # (kind, op, status, time); a change happens if it comes before any delete.
    kinds = [
        (0, cdc.INSERT, PLACED, orders.placed_us),
        (1, cdc.UPDATE, SHIPPED, orders.shipped_us),
        (2, cdc.UPDATE, DELIVERED, orders.delivered_us),
        (3, cdc.UPDATE, RETURNED, orders.returned_us),
        (4, cdc.UPDATE, CANCELLED, orders.cancelled_us),
    ]
    positions, kind_codes, ops, statuses, times = [], [], [], [], []
    for kind, op, status, when in kinds:
        happened = np.flatnonzero(when < deleted)
        positions.append(happened)
        kind_codes.append(np.full(len(happened), kind))
        ops.append(np.full(len(happened), op))
        statuses.append(np.full(len(happened), status))
        times.append(when[happened])
    gone = np.flatnonzero(deleted != NEVER)
    positions.append(gone)
    kind_codes.append(np.full(len(gone), 5))
    ops.append(np.full(len(gone), cdc.DELETE))
    statuses.append(status_when_deleted[gone])
    times.append(deleted[gone])

    pos = np.concatenate(positions)
    cdc_us = np.concatenate(times)
    keys = cdc.event_keys(orders.order_id[pos], np.concatenate(kind_codes))
    stamps = cdc.stamp(rng, "order", keys, cdc_us, world.rate("late_arrival"))

    last_loaded = np.full(len(orders), np.iinfo(np.int64).min)
    np.maximum.at(last_loaded, pos, stamps.loaded_us)
    future = rng.chance("order.future", orders.order_id, world.rate("future_order"))
    order_ts = np.where(
        future,
        last_loaded + rng.integers("order.future_by", orders.order_id, *days_as_us(FUTURE_DAYS)),
        orders.placed_us,
    )

    rows = cdc.rows_to_write(rng, "order", keys, stamps, window, world.rate("duplicate_cdc"))
    p = pos[rows]
    return build_table(
        SHOP_ORDERS,
        {
            "order_id": col.bigints(orders.order_id[p]),
            "customer_id": col.bigints(
                customer_ids(orders.customer[p]), nulls=orders.no_customer[p]
            ),
            "order_ts": col.timestamps(order_ts[p]),
            "channel": col.labels(CHANNELS, orders.channel[p]),
            "status": col.labels(STATUSES, np.concatenate(statuses)[rows]),
            "currency": col.labels(world.geography.currencies, orders.currency[p]),
            "_cdc_op": col.labels(cdc.OPS, np.concatenate(ops)[rows]),
            "_cdc_ts": col.timestamps(cdc_us[rows]),
            "_cdc_lsn": col.bigints(stamps.lsn[rows]),
            "_loaded_at": col.timestamps(stamps.loaded_us[rows]),
        },
    )
