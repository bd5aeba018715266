# mypy: disable-error-code="import-untyped"
"""The customer base: who exists when, where they live, how they change.

* Customers sign up from 2012 on at a rate that follows the order growth
  (about 60,000 x scale by late 2026, at least 200); ids are
  ``100001, 100002, ...`` in signup order.
* Country: drawn from the :mod:`geography` mix; segment: consumer 80%,
  small_business 15%, enterprise 5%.
* Changes: 10% switch segment 30..900 days after signup, 3% move country
  60..1200 days after signup; either moves ``updated_at``.
* Personal data is invented: ``user<id>@example.com`` and names made of
  syllables.
* Buying: an order goes to a customer who signed up on an earlier day. 20% go
  to a recent signup (last 30 days, uniformly); the rest are drawn by a
  lognormal activity weight, which gives repeat buyers a long tail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from orchestration.generator import columns as col
from orchestration.generator.arrays import F64, I64, NEVER
from orchestration.generator.demand import daily_signups
from orchestration.generator.geography import Geography
from orchestration.generator.names import SYLLABLES
from orchestration.generator.randomness import Randomness, pick_in_prefix
from orchestration.generator.schema import SHOP_CUSTOMERS, build_table
from orchestration.generator.sync import landed_at, visible_cutoff
from orchestration.generator.timeline import (
    US_PER_DAY,
    WORLD_START,
    day_number,
    day_range,
    days_as_us,
)

CUSTOMER_ID_BASE = 100_000
SEGMENTS: tuple[str, ...] = ("consumer", "small_business", "enterprise")
SEGMENT_MIX = (0.80, 0.15, 0.05)
SEGMENT_CHANGE_RATE = 0.10
SEGMENT_CHANGE_DAYS = (30, 900)
MOVE_RATE = 0.03
MOVE_DAYS = (60, 1200)
RECENT_BUYER_SHARE = 0.20
RECENT_DAYS = 30
ACTIVITY_SIGMA = 1.0


@dataclass(frozen=True)
class CustomerPool:
    """All customers who signed up from :data:`WORLD_START` to ``last_day``."""

    first_day: int
    #: ``cum_before[i]``: customers who signed up before day ``first_day + i``.
    cum_before: I64
    signup_us: I64
    activity_cum: F64
    country: I64
    segment: I64
    segment_change_us: I64
    new_segment: I64
    move_us: I64
    new_country: I64
    name_parts: tuple[I64, ...]

    @classmethod
    def build(
        cls, rng: Randomness, geography: Geography, scale: float, last_day: int
    ) -> CustomerPool:
        first_day = day_number(WORLD_START)
        days = day_range(first_day, last_day)
        counts = daily_signups(rng, days, scale)
        cum_before = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        index = np.arange(int(cum_before[-1]), dtype=np.int64)
        signup_day = np.repeat(days, counts)
        offset = rng.integers("customer.signup_time", index, 0, US_PER_DAY)
        signup_us = np.sort(signup_day * US_PER_DAY + offset)

        activity = np.exp(ACTIVITY_SIGMA * rng.normal("customer.activity", index))
        country = rng.categorical("customer.country", index, geography.country_weights)
        segment = rng.categorical("customer.segment", index, SEGMENT_MIX)

        changes_segment = rng.chance("customer.segment_change", index, SEGMENT_CHANGE_RATE)
        segment_change_us = np.where(
            changes_segment,
            signup_us
            + rng.integers("customer.segment_change_at", index, *days_as_us(SEGMENT_CHANGE_DAYS)),
            NEVER,
        )
        new_segment = (segment + rng.integers("customer.new_segment", index, 1, 3)) % 3

        moves = rng.chance("customer.move", index, MOVE_RATE)
        move_us = np.where(
            moves,
            signup_us + rng.integers("customer.move_at", index, *days_as_us(MOVE_DAYS)),
            NEVER,
        )
        other = rng.categorical("customer.new_country", index, geography.country_weights)
        new_country = np.where(other == country, (other + 1) % len(geography.country_codes), other)

        name_parts = tuple(
            rng.integers(f"customer.name{part}", index, 0, len(SYLLABLES)) for part in range(5)
        )
        return cls(
            first_day=first_day,
            cum_before=cum_before,
            signup_us=signup_us,
            activity_cum=np.cumsum(activity),
            country=country,
            segment=segment,
            segment_change_us=segment_change_us,
            new_segment=new_segment,
            move_us=move_us,
            new_country=new_country,
            name_parts=name_parts,
        )

    def existing_before(self, days: I64) -> I64:
        """How many customers signed up before each day."""
        position = np.clip(days - self.first_day, 0, len(self.cum_before) - 1)
        result: I64 = self.cum_before[position]
        return result

    def pick_buyers(self, rng: Randomness, order_ids: I64, days: I64) -> I64:
        """Customer index of each order (customers who signed up on an earlier day)."""
        existing = self.existing_before(days)
        if len(existing) and int(existing.min()) < 1:
            raise ValueError("an order was simulated before any customer existed")
        loyal = pick_in_prefix(rng.uniform("order.buyer", order_ids), self.activity_cum, existing)
        recent_from = self.existing_before(days - RECENT_DAYS)
        recent = recent_from + np.floor(
            rng.uniform("order.recent_buyer", order_ids) * (existing - recent_from)
        ).astype(np.int64)
        use_recent = rng.chance("order.buyer_is_recent", order_ids, RECENT_BUYER_SHARE) & (
            existing > recent_from
        )
        result: I64 = np.where(use_recent, recent, loyal)
        return result

    def country_at(self, index: I64, at_us: I64) -> I64:
        result: I64 = np.where(
            self.move_us[index] <= at_us, self.new_country[index], self.country[index]
        )
        return result

    def extract(self, geography: Geography, horizon_us: int) -> pa.Table:
        """``shop_customers`` as landed by ``horizon_us``."""
        cutoff = visible_cutoff(horizon_us)
        index = np.flatnonzero(self.signup_us <= cutoff)
        signup = self.signup_us[index]
        segment_changed = self.segment_change_us[index] <= cutoff
        moved = self.move_us[index] <= cutoff
        updated = np.maximum.reduce(
            [
                signup,
                np.where(segment_changed, self.segment_change_us[index], signup),
                np.where(moved, self.move_us[index], signup),
            ]
        )
        segment = np.where(segment_changed, self.new_segment[index], self.segment[index])
        country = np.where(moved, self.new_country[index], self.country[index])
        ids = customer_ids(index)
        capitalised = tuple(s.capitalize() for s in SYLLABLES)
        parts = [p[index] for p in self.name_parts]
        full_name = col.joined(
            [
                col.labels(capitalised, parts[0]),
                col.labels(SYLLABLES, parts[1]),
                " ",
                col.labels(capitalised, parts[2]),
                col.labels(SYLLABLES, parts[3]),
                col.labels(SYLLABLES, parts[4]),
            ]
        )
        return build_table(
            SHOP_CUSTOMERS,
            {
                "customer_id": col.bigints(ids),
                "email": col.numbered("user", ids, "@example.com"),
                "full_name": full_name,
                "country_code": col.labels(geography.country_codes, country),
                "segment": col.labels(SEGMENTS, segment),
                "signup_at": col.timestamps(signup),
                "updated_at": col.timestamps(updated),
                "_loaded_at": col.timestamps(landed_at(updated)),
            },
        )


def customer_ids(index: I64) -> I64:
    result: I64 = CUSTOMER_ID_BASE + 1 + index
    return result
