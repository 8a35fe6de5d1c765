"""Goal Attainment Scaling (Kiresuk & Sherman, 1968): a request's goals, each scored
−2 … +2 (0 the expected outcome), combined into one T-score that lets unlike cases be
compared. Pure: numbers in, a number out.

    T = 50 + 10·Σ(wᵢxᵢ) / √((1 − ρ)·Σwᵢ² + ρ·(Σwᵢ)²)

with xᵢ the attainment of goal i, wᵢ its weight (1 when unweighted) and ρ the assumed
correlation between goals' scores, conventionally 0.3. T = 50 when every goal reaches its
expected outcome; the scale's standard deviation is 10.
"""

import math
from collections.abc import Sequence

RHO = 0.3
EXPECTED = 50.0


def t_score(
    attainments: Sequence[int], weights: Sequence[float] | None = None, rho: float = RHO
) -> float:
    """The Kiresuk–Sherman T-score of goals at ``attainments`` (each −2 … +2)."""
    if not attainments:
        raise ValueError("A T-score needs at least one goal.")
    if weights is None:
        weights = [1.0] * len(attainments)
    if len(weights) != len(attainments):
        raise ValueError("One weight per goal.")
    if any(not -2 <= x <= 2 for x in attainments):
        raise ValueError("Attainments are −2 … +2.")
    if any(w <= 0 for w in weights):
        raise ValueError("Weights are positive.")
    weighted = sum(w * x for w, x in zip(weights, attainments, strict=True))
    spread = math.sqrt((1 - rho) * sum(w * w for w in weights) + rho * sum(weights) ** 2)
    return EXPECTED + 10 * weighted / spread


def goals_met(t: float) -> bool:
    """The goals were met or exceeded, taken together: at or above the expected outcome."""
    return t >= EXPECTED - 1e-9
