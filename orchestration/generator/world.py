"""Everything the simulation draws from, for one seed, scale and set of defect rates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orchestration.generator.customers import CustomerPool
from orchestration.generator.fx import FxModel
from orchestration.generator.geography import Geography, load_geography
from orchestration.generator.products import Catalogue
from orchestration.generator.randomness import Randomness


@dataclass(frozen=True)
class World:
    """The slowly changing parts of the world, built up to ``last_day``.

    Orders are not stored here: they are simulated per day on demand
    (:mod:`orders`), which is what keeps memory flat and lets an increment
    re-simulate only the days that can still produce rows.
    """

    rng: Randomness
    scale: float
    defect_rates: Mapping[str, float]
    geography: Geography
    customers: CustomerPool
    products: Catalogue
    fx: FxModel

    @classmethod
    def build(
        cls, seed: int, scale: float, defect_rates: Mapping[str, float], last_day: int
    ) -> World:
        rng = Randomness(seed)
        geography = load_geography()
        return cls(
            rng=rng,
            scale=scale,
            defect_rates=dict(defect_rates),
            geography=geography,
            customers=CustomerPool.build(rng, geography, scale, last_day),
            products=Catalogue.build(rng, scale, last_day),
            fx=FxModel.build(rng, geography.currencies, last_day),
        )

    def rate(self, defect: str) -> float:
        return float(self.defect_rates[defect])
