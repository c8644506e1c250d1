"""Small statistics helpers (stdlib only)."""

from __future__ import annotations

import math


def poisson_sf(k: int, mean: float) -> float:
    """One-sided Poisson tail ``P(X ≥ k)`` for ``X ~ Poisson(mean)``.

    Summed term by term from ``k`` upwards in log space, so tiny p-values keep their precision.

    Args:
        k: Observed count.
        mean: Expected count under the null hypothesis.
    """
    if k <= 0:
        return 1.0
    if mean <= 0.0:
        return 0.0
    if k <= mean:
        term = math.exp(-mean)
        lower = term
        for i in range(1, k):
            term *= mean / i
            lower += term
        return min(1.0, max(0.0, 1.0 - lower))
    term = math.exp(k * math.log(mean) - mean - math.lgamma(k + 1))
    total = term
    i = k
    while term > total * 1e-15:
        i += 1
        term *= mean / i
        total += term
    return min(1.0, total)
