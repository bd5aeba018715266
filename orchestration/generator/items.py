# mypy: disable-error-code="import-untyped"
"""Order items: what was bought, at what price, and how lines change.

* Lines per order: 1 + Poisson(1.5). ``order_item_id`` is
  ``order_id * 100 + line number`` (lines start at 1).
* Product: a launched, not retired product, weighted by popularity
  (:meth:`Catalogue.pick`). Quantity 1..5 (70% are 1).
* ``unit_price``: the product's list price at order time, converted from USD
  to the order currency with the latent rate of the order day, rounded to
  cents. 15% of lines get a whole-line discount of 5..20%.
* Changes: ``I`` at order time + line number milliseconds; 1% get one
  quantity correction (+-1) 1 hour..2 days later (``U``); 0.5% are removed
  2..5 days later (``D``); when the order is deleted every remaining line
  gets a ``D`` at the order's delete time + line number milliseconds.
* Defects: ``orphan_product`` replaces the product id by one in
  [900,000,000, 1,000,000,000) that never exists; ``nonpositive_quantity``
  sets quantity to 0, -1 or -2 (such lines are never corrected or
  discounted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from orchestration.generator import cdc
from orchestration.generator import columns as col
from orchestration.generator.arrays import I64, NEVER
from orchestration.generator.fx import RATE_DECIMALS
from orchestration.generator.orders import Orders
from orchestration.generator.products import ORPHAN_PRODUCT_BASE, ORPHAN_PRODUCT_SPAN, product_ids
from orchestration.generator.schema import SHOP_ORDER_ITEMS, build_table
from orchestration.generator.timeline import US_PER_HOUR, US_PER_MS, days_as_us
from orchestration.generator.window import LoadWindow
from orchestration.generator.world import World

ITEM_ID_STRIDE = 100
EXTRA_LINES_MEAN = 1.5
MAX_EXTRA_LINES = 20
QUANTITY_MIX = (0.70, 0.18, 0.07, 0.03, 0.02)
DISCOUNT_SHARE = 0.15
DISCOUNT_FRACTION = (0.05, 0.20)
CORRECTION_RATE = 0.01
CORRECTION_US = (US_PER_HOUR, days_as_us((0, 2))[1])
REMOVAL_RATE = 0.005
REMOVAL_DAYS = (2.0, 5.0)


@dataclass(frozen=True)
class Items:
    order_pos: I64
    order_item_id: I64
    product_id: I64
    quantity: I64
    corrected_quantity: I64
    unit_price_cents: I64
    discount_cents: I64
    added_us: I64
    corrected_us: I64
    removed_us: I64

    def __len__(self) -> int:
        return len(self.order_item_id)


def _extra_lines_pmf() -> list[float]:
    lam = EXTRA_LINES_MEAN
    return [math.exp(-lam) * lam**k / math.factorial(k) for k in range(MAX_EXTRA_LINES + 1)]


def simulate_items(world: World, orders: Orders) -> Items:
    rng = world.rng
    lines = 1 + rng.categorical("order.extra_lines", orders.order_id, _extra_lines_pmf())
    order_pos = np.repeat(np.arange(len(orders), dtype=np.int64), lines)
    line = (
        1 + np.arange(len(order_pos), dtype=np.int64) - np.repeat(np.cumsum(lines) - lines, lines)
    )
    ids = orders.order_id[order_pos] * ITEM_ID_STRIDE + line
    day = orders.day[order_pos]
    placed = orders.placed_us[order_pos]

    product = world.products.pick(rng, ids, day, placed)
    orphan = rng.chance("item.orphan", ids, world.rate("orphan_product"))
    product_id = np.where(
        orphan,
        ORPHAN_PRODUCT_BASE + rng.integers("item.orphan_id", ids, 0, ORPHAN_PRODUCT_SPAN),
        product_ids(product),
    )

    quantity = 1 + rng.categorical("item.quantity", ids, QUANTITY_MIX)
    bad = rng.chance("item.nonpositive", ids, world.rate("nonpositive_quantity"))
    quantity = np.where(bad, -rng.integers("item.bad_quantity", ids, 0, 3), quantity)
    corrected = rng.chance("item.correction", ids, CORRECTION_RATE) & ~bad
    down = (quantity > 1) & rng.chance("item.correction_down", ids, 0.5)
    corrected_quantity = np.where(corrected, np.where(down, quantity - 1, quantity + 1), quantity)

    list_cents = world.products.list_cents_at(product, placed)
    rate_units = world.fx.units_on(orders.currency[order_pos], day)
    unit_price = np.round(list_cents * float(10**RATE_DECIMALS) / rate_units).astype(np.int64)
    discounted = rng.chance("item.discount", ids, DISCOUNT_SHARE) & ~bad
    fraction = rng.between("item.discount_fraction", ids, *DISCOUNT_FRACTION)
    discount = np.where(
        discounted,
        np.round(fraction * np.minimum(quantity, corrected_quantity) * unit_price),
        0,
    ).astype(np.int64)

    line_us = line * US_PER_MS
    own_removal = np.where(
        rng.chance("item.removal", ids, REMOVAL_RATE),
        placed + rng.integers("item.removal_at", ids, *days_as_us(REMOVAL_DAYS)),
        NEVER,
    )
    order_deleted = orders.deleted_us[order_pos]
    with_order = np.where(order_deleted != NEVER, order_deleted + line_us, NEVER)
    return Items(
        order_pos=order_pos,
        order_item_id=ids,
        product_id=product_id,
        quantity=quantity,
        corrected_quantity=corrected_quantity,
        unit_price_cents=unit_price,
        discount_cents=discount,
        added_us=placed + line_us,
        corrected_us=np.where(
            corrected, placed + rng.integers("item.correction_at", ids, *CORRECTION_US), NEVER
        ),
        removed_us=np.minimum(own_removal, with_order),
    )


def item_changes(world: World, orders: Orders, items: Items, window: LoadWindow) -> pa.Table:
    """The ``shop_order_items`` rows of these items that land in ``window``."""
    rng = world.rng
    correction_happened = items.corrected_us < items.removed_us
    final_quantity = np.where(correction_happened, items.corrected_quantity, items.quantity)
    inserted = np.arange(len(items), dtype=np.int64)
    updated = np.flatnonzero(correction_happened)
    removed = np.flatnonzero(items.removed_us != NEVER)

    pos = np.concatenate([inserted, updated, removed])
    kind = np.concatenate(
        [np.zeros(len(inserted)), np.ones(len(updated)), np.full(len(removed), 2)]
    ).astype(np.int64)
    cdc_us = np.concatenate(
        [items.added_us, items.corrected_us[updated], items.removed_us[removed]]
    )
    quantity = np.concatenate(
        [items.quantity, items.corrected_quantity[updated], final_quantity[removed]]
    )
    keys = cdc.event_keys(items.order_item_id[pos], kind)
    stamps = cdc.stamp(rng, "item", keys, cdc_us, world.rate("late_arrival"))
    rows = cdc.rows_to_write(rng, "item", keys, stamps, window, world.rate("duplicate_cdc"))
    p = pos[rows]
    return build_table(
        SHOP_ORDER_ITEMS,
        {
            "order_item_id": col.bigints(items.order_item_id[p]),
            "order_id": col.bigints(orders.order_id[items.order_pos[p]]),
            "product_id": col.bigints(items.product_id[p]),
            "quantity": col.integers(quantity[rows]),
            "unit_price": col.decimals(items.unit_price_cents[p], 12, 2),
            "discount_amount": col.decimals(items.discount_cents[p], 12, 2),
            "_cdc_op": col.labels(cdc.OPS, kind[rows]),  # kinds 0/1/2 are I/U/D
            "_cdc_ts": col.timestamps(cdc_us[rows]),
            "_cdc_lsn": col.bigints(stamps.lsn[rows]),
            "_loaded_at": col.timestamps(stamps.loaded_us[rows]),
        },
    )
