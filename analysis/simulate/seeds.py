"""The replicate seed rule and the one seed validator, for every caller that simulates many trials.

Sits beside the simulator core (:mod:`analysis.simulate.engine`), so every layer after it (studies,
exports, the class set, the economics) reaches the same rule without importing one another.

The rule (DESIGN habit 6): trial ``i`` (0-based) of a run seeded ``seed`` is
``simulate_trial(scenario, seed=replicate_seed(seed, i))``, where :func:`replicate_seed` is the first
64-bit word of child ``i`` of ``numpy.random.SeedSequence(seed).spawn(n)``, shifted right by one bit so
it is a valid scenario seed (below 2**63) that ``walkback simulate --seed`` accepts. Trial ``i``
therefore depends neither on how many trials are run nor on the chunking, the executor or the order.
Exports label trial ``i`` as replicate ``i + 1``; the class set gives it to student ``i + 1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import WalkBackInputError

__all__ = ["replicate_seed", "replicate_seeds", "check_seed", "check_trial_seeds", "MAX_SEED"]

#: Largest seed accepted anywhere (numpy's SeedSequence takes any non-negative integer; 2**63 - 1 keeps
#: seeds in int64 arrays and in every file format the project writes).
MAX_SEED = 2**63 - 1


def check_seed(seed: Any, *, name: str = "seed", error: type[WalkBackInputError] = WalkBackInputError) -> int:
    """``seed`` as an int, or ``error`` with one line saying what a seed must be (``name`` leads it, if any).

    Examples
    --------
    >>> check_seed(np.int64(7))
    7
    >>> check_seed(-1, name="--seed")
    Traceback (most recent call last):
    ...
    analysis.errors.WalkBackInputError: --seed = -1 must be a whole number between 0 and 2^63 - 1
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= MAX_SEED:
        raise error(f"{f'{name} = ' if name else ''}{seed!r} must be a whole number between 0 and 2^63 - 1")
    return int(seed)


def check_trial_seeds(trial_seeds, *, error: type[WalkBackInputError] = WalkBackInputError) -> np.ndarray:
    """Many trial seeds as a flat int64 array (the same rule as :func:`check_seed`, checked at once)."""
    seeds = np.asarray(trial_seeds)
    if seeds.dtype == bool or not (seeds.size == 0 or np.issubdtype(seeds.dtype, np.integer)):
        raise error("trial seeds must be whole numbers between 0 and 2^63 - 1")
    seeds = seeds.astype(np.int64).ravel()
    if (seeds < 0).any():
        raise error("trial seeds must be whole numbers between 0 and 2^63 - 1")
    return seeds


def replicate_seed(seed: int, index: int) -> int:
    """The integer trial seed of replicate ``index`` (child ``index`` of ``SeedSequence(seed)``).

    ``SeedSequence(seed, spawn_key=(i,))`` is exactly child ``i`` of ``SeedSequence(seed).spawn(n)``
    for any ``n > i``, so replicate ``i`` is found without spawning the others.

    Examples
    --------
    >>> children = np.random.SeedSequence(7).spawn(3)
    >>> replicate_seed(7, 2) == int(children[2].generate_state(1, np.uint64)[0] >> np.uint64(1))
    True
    """
    child = np.random.SeedSequence(int(seed), spawn_key=(int(index),))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


def replicate_seeds(seed: int, n: int, start: int = 0) -> np.ndarray:
    """Trial seeds of replicates ``start .. start + n - 1`` (int64 array).

    Examples
    --------
    >>> replicate_seeds(7, 2, start=1).tolist() == [replicate_seed(7, 1), replicate_seed(7, 2)]
    True
    """
    return np.array([replicate_seed(seed, i) for i in range(start, start + n)], dtype=np.int64)
