"""Counter-based randomness: every draw is a pure function of (seed, stream, key).

Nothing here has state. A value for order 123 in stream ``"order.cancel"`` is
the same whichever other orders are simulated alongside it, which is what lets
:func:`~orchestration.generator.generation.increment` re-simulate a few days
and get exactly the rows the full history implies.

The mixer is splitmix64 applied twice to ``key XOR stream_key``; the stream key
is a BLAKE2b digest of ``"<seed>:<stream name>"``, so streams are independent
and new streams can be added without shifting existing ones.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from orchestration.generator.arrays import F64, I64, U64, Mask

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL_1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL_2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / float(1 << 53)


def splitmix64(x: U64) -> U64:
    """The splitmix64 finaliser, elementwise (wrapping uint64 arithmetic)."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _MUL_1
    z = (z ^ (z >> _S27)) * _MUL_2
    result: U64 = z ^ (z >> _S31)
    return result


@lru_cache(maxsize=1024)
def _stream_key(seed: int, stream: str) -> np.uint64:
    digest = hashlib.blake2b(f"{seed}:{stream}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def _as_u64(keys: ArrayLike) -> U64:
    arr = np.asarray(keys)
    if arr.dtype == np.uint64:
        return arr
    return arr.astype(np.int64).view(np.uint64)


class Randomness:
    """Draws for one seed; each method maps an array of integer keys to values."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def bits(self, stream: str, keys: ArrayLike) -> U64:
        """64 random bits per key."""
        mixed = _as_u64(keys) ^ _stream_key(self.seed, stream)
        return splitmix64(splitmix64(mixed))

    def uniform(self, stream: str, keys: ArrayLike) -> F64:
        """Uniform floats in [0, 1)."""
        result: F64 = (self.bits(stream, keys) >> _S11).astype(np.float64) * _TO_UNIT
        return result

    def between(self, stream: str, keys: ArrayLike, low: float, high: float) -> F64:
        """Uniform floats in [low, high)."""
        return low + (high - low) * self.uniform(stream, keys)

    def chance(self, stream: str, keys: ArrayLike, probability: float) -> Mask:
        """True with the given probability, independently per key."""
        result: Mask = self.uniform(stream, keys) < probability
        return result

    def normal(self, stream: str, keys: ArrayLike) -> F64:
        """Standard normal draws (Box-Muller over two sub-streams)."""
        u1 = 1.0 - self.uniform(stream + "#1", keys)
        u2 = self.uniform(stream + "#2", keys)
        result: F64 = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
        return result

    def integers(self, stream: str, keys: ArrayLike, low: int, high: int) -> I64:
        """Uniform integers in [low, high)."""
        span = high - low
        result: I64 = low + np.floor(self.uniform(stream, keys) * span).astype(np.int64)
        return result

    def categorical(self, stream: str, keys: ArrayLike, weights: ArrayLike) -> I64:
        """Index into ``weights`` (need not sum to 1), drawn per key."""
        return pick_by_weight(self.uniform(stream, keys), weights)


def pick_by_weight(u: F64, weights: ArrayLike) -> I64:
    """Invert the cumulative distribution of ``weights`` at the uniforms ``u``."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    index = np.searchsorted(cumulative, u * cumulative[-1], side="right")
    result: I64 = np.minimum(index, len(cumulative) - 1).astype(np.int64)
    return result


def pick_in_prefix(u: F64, cumulative_weights: F64, prefix: I64) -> I64:
    """Weighted choice among the first ``prefix[i]`` items, per draw ``u[i]``.

    ``cumulative_weights`` is the running sum of item weights in id order, so
    items that exist by a given time (a prefix of the ids) can be sampled
    without building a table per time. Every ``prefix`` must be >= 1.
    """
    totals = cumulative_weights[prefix - 1]
    index = np.searchsorted(cumulative_weights, u * totals, side="right")
    result: I64 = np.minimum(index, prefix - 1).astype(np.int64)
    return result
