"""Building blocks of the simulation: pure functions of (seed, key, day)."""

from __future__ import annotations

import numpy as np

from orchestration.generator import GeneratorConfig
from orchestration.generator.customers import CustomerPool
from orchestration.generator.demand import daily_orders, expected_orders
from orchestration.generator.fx import FxModel
from orchestration.generator.geography import load_geography
from orchestration.generator.orders import simulate_orders
from orchestration.generator.randomness import Randomness, pick_in_prefix, splitmix64
from orchestration.generator.sync import landed_at, visible_cutoff
from orchestration.generator.timeline import US_PER_DAY, date_of, day_number
from orchestration.generator.world import World
from tests.generator.conftest import END

DEFAULT_RATES = GeneratorConfig().resolved_rates()


def test_splitmix64_reference_value() -> None:
    # First output of the reference splitmix64 generator seeded with 0.
    assert splitmix64(np.array([0], dtype=np.uint64))[0] == 0xE220A8397B1DCDAF


def test_draws_are_uniform_independent_and_repeatable() -> None:
    rng = Randomness(42)
    keys = np.arange(200_000)
    a = rng.uniform("a", keys)
    b = rng.uniform("b", keys)
    assert abs(a.mean() - 0.5) < 0.005
    assert a.min() >= 0.0 and a.max() < 1.0
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 0.01
    assert np.array_equal(a, Randomness(42).uniform("a", keys))
    assert not np.array_equal(a, Randomness(43).uniform("a", keys))
    normal = rng.normal("n", keys)
    assert abs(normal.mean()) < 0.01
    assert abs(normal.std() - 1) < 0.01


def test_pick_in_prefix_stays_in_the_prefix() -> None:
    weights = np.cumsum(np.arange(1.0, 101.0))
    prefix = np.array([1, 2, 50, 100] * 1000)
    picked = pick_in_prefix(Randomness(1).uniform("p", np.arange(4000)), weights, prefix)
    assert (picked < prefix).all()
    assert (picked >= 0).all()


def test_fx_and_customers_do_not_depend_on_how_far_they_were_built() -> None:
    rng = Randomness(9)
    geography = load_geography()
    short_fx = FxModel.build(rng, geography.currencies, day_number(END))
    long_fx = FxModel.build(rng, geography.currencies, day_number(END) + 400)
    assert np.array_equal(short_fx.units, long_fx.units[:, : short_fx.units.shape[1]])
    short = CustomerPool.build(rng, geography, 0.01, day_number(END))
    long = CustomerPool.build(rng, geography, 0.01, day_number(END) + 400)
    n = len(short.signup_us)
    assert np.array_equal(short.signup_us, long.signup_us[:n])
    assert np.array_equal(short.country, long.country[:n])


def test_orders_of_a_day_do_not_depend_on_the_other_days_simulated() -> None:
    world = World.build(4, 0.02, DEFAULT_RATES, day_number(END) + 1)
    first, last = day_number(END) - 40, day_number(END)
    whole = simulate_orders(world, first, last)
    parts = [simulate_orders(world, first, first + 9), simulate_orders(world, first + 10, last)]
    for field in ("order_id", "placed_us", "customer", "currency", "deleted_us"):
        joined = np.concatenate([getattr(p, field) for p in parts])
        assert np.array_equal(getattr(whole, field), joined), field
    ids = whole.order_id
    assert len(np.unique(ids)) == len(ids)
    assert (np.diff(whole.placed_us) >= 0).all()
    assert (ids // 1_000_000 == whole.placed_us // US_PER_DAY).all()


def test_daily_volume_follows_the_curve() -> None:
    days = np.arange(day_number(END) - 730, day_number(END) + 1)
    actual = daily_orders(Randomness(1), days, 1.0)
    expected = expected_orders(days, 1.0)
    assert abs(actual.sum() / expected.sum() - 1) < 0.01
    assert date_of(int(days[np.argmax(expected)])).month in (11, 12)


def test_an_extract_version_is_visible_once_it_landed() -> None:
    rng = Randomness(3)
    changed = rng.integers("t", np.arange(5000), 0, 10 * US_PER_DAY)
    for horizon in rng.integers("h", np.arange(50), 0, 10 * US_PER_DAY):
        landed = landed_at(changed) <= horizon
        visible = changed <= visible_cutoff(int(horizon))
        assert np.array_equal(landed, visible)
    assert (landed_at(changed) >= changed).all()
