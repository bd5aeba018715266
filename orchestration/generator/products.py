# mypy: disable-error-code="import-untyped"
"""The product catalogue: launches, prices, retirements.

* 35% of the catalogue exists before the world starts (launched during 2011);
  the rest launch at a steady rate, so about 800 x sqrt(scale) products (at
  least 40) exist by late 2026. Ids are ``10001, 10002, ...`` in launch order;
  ids >= 900,000,000 never exist (see :data:`ORPHAN_PRODUCT_BASE`).
* List prices (USD) are lognormal around a per-category median and end in
  .99; unit cost is 40..75% of the list price and always below it.
* 35% of products get one price change (x0.88..1.18, cost x0.92..1.12)
  30..1000 days after launch; 20% are retired (``is_active`` false)
  180..2500 days after launch. Each change moves ``updated_at``.
* Items pick launched, not yet retired products, weighted by a lognormal
  popularity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from orchestration.generator import columns as col
from orchestration.generator.arrays import F64, I64, NEVER
from orchestration.generator.demand import CALIBRATION_END, catalogue_size
from orchestration.generator.names import ADJECTIVES, NOUNS, SYLLABLES
from orchestration.generator.randomness import Randomness, pick_in_prefix
from orchestration.generator.schema import SHOP_PRODUCTS, build_table
from orchestration.generator.sync import landed_at, visible_cutoff
from orchestration.generator.timeline import (
    US_PER_DAY,
    WORLD_START,
    day_number,
    day_range,
    days_as_us,
)

PRODUCT_ID_BASE = 10_000
#: Orphan product ids (the ``orphan_product`` defect) are drawn from
#: [ORPHAN_PRODUCT_BASE, ORPHAN_PRODUCT_BASE + 100,000,000): never a real product.
ORPHAN_PRODUCT_BASE = 900_000_000
ORPHAN_PRODUCT_SPAN = 100_000_000

CATEGORIES: tuple[str, ...] = tuple(NOUNS)
CATEGORY_MIX = (0.16, 0.16, 0.18, 0.10, 0.10, 0.08, 0.12, 0.10)
MEDIAN_PRICE_USD = np.array([120.0, 45.0, 35.0, 22.0, 50.0, 25.0, 8.0, 15.0])
PRICE_SIGMA = 0.6
COST_SHARE = (0.40, 0.75)
INITIAL_SHARE = 0.35
PRICE_CHANGE_RATE = 0.35
PRICE_CHANGE_DAYS = (30, 1000)
PRICE_MULTIPLIER = (0.88, 1.18)
COST_MULTIPLIER = (0.92, 1.12)
RETIRE_RATE = 0.20
RETIRE_DAYS = (180, 2500)
POPULARITY_SIGMA = 1.0
PICK_ATTEMPTS = 4


@dataclass(frozen=True)
class Catalogue:
    """Every product launched up to ``last_day``, in launch order."""

    first_day: int
    cum_before: I64
    launch_us: I64
    popularity_cum: F64
    category: I64
    list_cents: I64
    cost_cents: I64
    price_change_us: I64
    new_list_cents: I64
    new_cost_cents: I64
    retire_us: I64
    name_parts: tuple[I64, I64, I64, I64]

    @classmethod
    def build(cls, rng: Randomness, scale: float, last_day: int) -> Catalogue:
        first_day = day_number(WORLD_START)
        size = catalogue_size(scale)
        initial = round(INITIAL_SHARE * size)
        days = day_range(first_day, last_day)
        per_day = (size - initial) / (day_number(CALIBRATION_END) - first_day)
        counts = np.floor(per_day + rng.uniform("product.launches", days)).astype(np.int64)
        cum_before = initial + np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        total = int(cum_before[-1])
        index = np.arange(total, dtype=np.int64)

        launch_day = np.concatenate(
            [np.full(initial, first_day - 365, dtype=np.int64), np.repeat(days, counts)]
        )
        spread = np.where(index < initial, 365 * US_PER_DAY, US_PER_DAY)
        offset = np.floor(rng.uniform("product.launch_time", index) * spread).astype(np.int64)
        launch_us = launch_day * US_PER_DAY + offset
        launch_us[:initial] = np.sort(launch_us[:initial])
        launch_us[initial:] = np.sort(launch_us[initial:])

        category = rng.categorical("product.category", index, CATEGORY_MIX)
        price = MEDIAN_PRICE_USD[category] * np.exp(
            PRICE_SIGMA * rng.normal("product.price", index)
        )
        list_cents = _charm(price * 100)
        cost_cents = np.round(
            list_cents * rng.between("product.cost_share", index, *COST_SHARE)
        ).astype(np.int64)

        changes = rng.chance("product.price_change", index, PRICE_CHANGE_RATE)
        price_change_us = np.where(
            changes,
            launch_us
            + rng.integers("product.price_change_at", index, *days_as_us(PRICE_CHANGE_DAYS)),
            NEVER,
        )
        new_list = _charm(list_cents * rng.between("product.new_price", index, *PRICE_MULTIPLIER))
        new_cost = np.minimum(
            np.round(cost_cents * rng.between("product.new_cost", index, *COST_MULTIPLIER)),
            new_list - 1,
        ).astype(np.int64)

        retires = rng.chance("product.retire", index, RETIRE_RATE)
        retire_us = np.where(
            retires,
            launch_us + rng.integers("product.retire_at", index, *days_as_us(RETIRE_DAYS)),
            NEVER,
        )
        popularity = np.exp(POPULARITY_SIGMA * rng.normal("product.popularity", index))
        noun_counts = np.array([len(NOUNS[c]) for c in CATEGORIES])
        noun_offsets = np.concatenate([[0], np.cumsum(noun_counts)[:-1]])
        noun = noun_offsets[category] + np.floor(
            rng.uniform("product.noun", index) * noun_counts[category]
        ).astype(np.int64)
        name_parts = (
            rng.integers("product.brand0", index, 0, len(SYLLABLES)),
            rng.integers("product.brand1", index, 0, len(SYLLABLES)),
            rng.integers("product.adjective", index, 0, len(ADJECTIVES)),
            noun,
        )
        return cls(
            first_day=first_day,
            cum_before=cum_before,
            launch_us=launch_us,
            popularity_cum=np.cumsum(popularity),
            category=category,
            list_cents=list_cents,
            cost_cents=cost_cents,
            price_change_us=price_change_us,
            new_list_cents=new_list,
            new_cost_cents=new_cost,
            retire_us=retire_us,
            name_parts=name_parts,
        )

    def launched_before(self, days: I64) -> I64:
        position = np.clip(days - self.first_day, 0, len(self.cum_before) - 1)
        result: I64 = self.cum_before[position]
        return result

    def pick(self, rng: Randomness, keys: I64, days: I64, at_us: I64) -> I64:
        """Product index per key: launched before the day, retried if retired by then."""
        available = self.launched_before(days)
        chosen = pick_in_prefix(rng.uniform("item.product", keys), self.popularity_cum, available)
        for attempt in range(1, PICK_ATTEMPTS):
            retired = self.retire_us[chosen] <= at_us
            if not retired.any():
                break
            again = pick_in_prefix(
                rng.uniform(f"item.product{attempt}", keys[retired]),
                self.popularity_cum,
                available[retired],
            )
            chosen[retired] = again
        return chosen

    def list_cents_at(self, index: I64, at_us: I64) -> I64:
        result: I64 = np.where(
            self.price_change_us[index] <= at_us, self.new_list_cents[index], self.list_cents[index]
        )
        return result

    def extract(self, horizon_us: int) -> pa.Table:
        """``shop_products`` as landed by ``horizon_us``."""
        cutoff = visible_cutoff(horizon_us)
        index = np.flatnonzero(self.launch_us <= cutoff)
        launch = self.launch_us[index]
        repriced = self.price_change_us[index] <= cutoff
        retired = self.retire_us[index] <= cutoff
        updated = np.maximum.reduce(
            [
                launch,
                np.where(repriced, self.price_change_us[index], launch),
                np.where(retired, self.retire_us[index], launch),
            ]
        )
        category = self.category[index]
        ids = product_ids(index)
        brand0, brand1, adjective, noun = (p[index] for p in self.name_parts)
        all_nouns = [noun_word for c in CATEGORIES for noun_word in NOUNS[c]]
        name = col.joined(
            [
                col.labels(tuple(s.capitalize() for s in SYLLABLES), brand0),
                col.labels(SYLLABLES, brand1),
                " ",
                col.labels(ADJECTIVES, adjective),
                " ",
                col.labels(all_nouns, noun),
            ]
        )
        prefixes = tuple(c[:3].upper() for c in CATEGORIES)
        return build_table(
            SHOP_PRODUCTS,
            {
                "product_id": col.bigints(ids),
                "sku": col.joined(
                    [col.labels(prefixes, category), col.numbered("-", ids, width=6)]
                ),
                "product_name": name,
                "category": col.labels(CATEGORIES, category),
                "unit_cost": col.decimals(
                    np.where(repriced, self.new_cost_cents[index], self.cost_cents[index]), 12, 2
                ),
                "list_price": col.decimals(
                    np.where(repriced, self.new_list_cents[index], self.list_cents[index]), 12, 2
                ),
                "is_active": col.booleans(~retired),
                "updated_at": col.timestamps(updated),
                "_loaded_at": col.timestamps(landed_at(updated)),
            },
        )


def product_ids(index: I64) -> I64:
    result: I64 = PRODUCT_ID_BASE + 1 + index
    return result


def _charm(cents: F64 | I64) -> I64:
    """Round to a whole price ending in .99 (at least 0.99)."""
    result: I64 = np.maximum(np.round(np.asarray(cents) / 100.0) * 100 - 1, 99).astype(np.int64)
    return result
