"""The random numbers of a replication, for every unit at once.

Unit ``i`` of replication ``rep`` draws from ``numpy.random.SeedSequence(seed,
spawn_key=(rep, i))`` — the node of the seed's tree for that replication and unit — the
words that ``generate_state(n)`` gives. Building ten thousand ``SeedSequence`` objects one
by one costs more than the simulation itself, so the same words are computed for all units
at once, with numpy arrays, following the algorithm that ``SeedSequence`` documents (the
entropy-pool hash of M. O'Neill's ``seed_seq_fe``). ``tests/test_sim.py`` checks that the
words are exactly ``SeedSequence``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["uniform_chunks", "unit_uniforms", "unit_words"]

_POOL = 4
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_M32 = 0xFFFFFFFF


def _words(value: int) -> list[int]:
    """An int as little-endian 32-bit words (``0`` is one word)."""
    if value < 0:
        raise ValueError("seeds and keys must be non-negative")
    out = []
    while True:
        out.append(value & _M32)
        value >>= 32
        if not value:
            return out


class _Hash:
    def __init__(self) -> None:
        self.const = _INIT_A

    def __call__(self, value: np.ndarray) -> np.ndarray:
        value = value ^ np.uint32(self.const)
        self.const = (self.const * _MULT_A) & _M32
        value = value * np.uint32(self.const)
        return value ^ (value >> np.uint32(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r: Any = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
    out: np.ndarray = r ^ (r >> np.uint32(16))
    return out


def unit_words(seed: int, rep: int, units: int, n: int, start: int = 0) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=(rep, i)).generate_state(n)`` for ``i`` in
    ``range(start, start + units)``, as a ``(units, n)`` uint32 array."""
    run = _words(seed)
    if len(run) < _POOL:
        run = run + [0] * (_POOL - len(run))
    idx = np.arange(start, start + units, dtype=np.uint64)
    columns: list[np.ndarray] = [np.full(units, w, dtype=np.uint32) for w in run]
    columns += [np.full(units, w, dtype=np.uint32) for w in _words(rep)]
    if start + units - 1 > _M32:  # pragma: no cover - four billion units
        raise ValueError("too many units")
    columns.append((idx & np.uint64(_M32)).astype(np.uint32))
    h = _Hash()
    with np.errstate(over="ignore"):
        pool = [h(columns[i]) for i in range(_POOL)]
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    pool[dst] = _mix(pool[dst], h(pool[src]))
        for src in range(_POOL, len(columns)):
            for dst in range(_POOL):
                pool[dst] = _mix(pool[dst], h(columns[src]))
        out = np.empty((units, n), dtype=np.uint32)
        const = _INIT_B
        for j in range(n):
            v = pool[j % _POOL] ^ np.uint32(const)
            const = (const * _MULT_B) & _M32
            v = v * np.uint32(const)
            out[:, j] = v ^ (v >> np.uint32(16))
    return out


def unit_uniforms(
    seed: int, rep: int, units: int, n: int, chunk: int = 8192
) -> Iterator[list[float]]:
    """Each unit's words of :func:`unit_words` as uniforms in (0, 1), ``(w + 0.5) / 2**32``,
    one list per unit, computed a chunk of units at a time."""
    for start in range(0, units, chunk):
        words = unit_words(seed, rep, min(chunk, units - start), n, start)
        yield from ((words.astype(np.float64) + 0.5) / 4294967296.0).tolist()


def uniform_chunks(
    seed: int, rep: int, units: int, n: int, chunk: int = 8192
) -> Iterator[tuple[int, np.ndarray]]:
    """:func:`unit_uniforms` a chunk at a time: ``(first unit, (units, n) float64 array)``."""
    for start in range(0, units, chunk):
        words = unit_words(seed, rep, min(chunk, units - start), n, start)
        yield start, (words.astype(np.float64) + 0.5) / 4294967296.0
