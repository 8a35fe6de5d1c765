"""Projecting requests per school term (autumn, spring, summer). Pure: no Django.

Method (docs/analytics.md): an **overdispersed Poisson regression** (a quasi-Poisson GLM,
statsmodels) of the count in each term on a linear trend and the term of the year,
``log μ_t = β₀ + β₁·t + γ_term(t) [+ log exposure_t]``, with variance ``φμ``. It suits short,
seasonal count series: four coefficients, counts that are never negative, and overdispersion
(a busy term is busier than Poisson allows). Exposure (e.g. pupils with that primary need in
the LA, from DfE's statistics) makes it a model of demand *per pupil*.

Prediction intervals come from the predictive distribution by simulation: for each of
``SIMULATIONS`` draws, a dispersion φ from its sampling distribution (Pearson's χ² over a χ²
on the residual degrees of freedom, at least 1), coefficients from their estimated
distribution scaled by that φ, then a count with mean μ and variance φμ (a negative binomial;
Poisson at φ = 1). The 10/90 % and 2.5/97.5 % quantiles of the counts are the 80 % and 95 %
intervals, so never below zero. Drawing φ, rather than plugging in one estimate from a dozen
terms, is what keeps the 95 % interval near 95 % on short histories.

With fewer than ``MIN_MODEL_TERMS`` terms (three school years), or when the fit does not
converge, the projection is **seasonal naive**: the same term a year before (or the last term
seen, with under a year of history), with Poisson intervals around it. ``method`` and
``history_terms`` say which was used.
"""

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

TERMS_PER_YEAR = 3
MIN_MODEL_TERMS = 9  # three school years: five degrees of freedom left for φ
HORIZON = 2
SIMULATIONS = 4000
MAX_STANDARD_ERROR = 5.0  # on the log scale: a factor of e⁵ ≈ 150

OVERDISPERSED_POISSON = "overdispersed_poisson"
SEASONAL_NAIVE = "seasonal_naive"


class Term(IntEnum):
    AUTUMN = 0
    SPRING = 1
    SUMMER = 2

    def after(self, steps: int) -> "Term":
        return Term((self + steps) % TERMS_PER_YEAR)


@dataclass(frozen=True)
class TermForecast:
    steps_ahead: int
    term: Term
    mean: float
    interval_80: tuple[int, int]
    interval_95: tuple[int, int]


@dataclass(frozen=True)
class Projection:
    method: str
    history_terms: int
    forecasts: tuple[TermForecast, ...]
    # exp(β₁·3): how many times the expected count grows in a year; None for seasonal naive.
    trend_per_year: float | None = None


def project(
    history: Sequence[int] | np.ndarray,
    *,
    first_term: Term,
    exposure: Sequence[float] | None = None,
    future_exposure: Sequence[float] | None = None,
    horizon: int = HORIZON,
    seed: int = 0,
) -> Projection:
    """Projects the next ``horizon`` terms after ``history`` (one count per term, oldest
    first, starting in ``first_term``). Exposure, if given, has one value per history term;
    ``future_exposure`` one per projected term (default: the last one carried forward)."""
    counts = np.asarray(history, dtype=float)
    if counts.ndim != 1 or (counts < 0).any():
        raise ValueError("History must be a sequence of counts (whole numbers, not negative).")
    if exposure is not None and len(exposure) != len(counts):
        raise ValueError("Exposure needs one value per history term.")
    if len(counts) >= MIN_MODEL_TERMS and counts.sum() > 0:
        projection = _negative_binomial(
            counts, first_term, exposure, future_exposure, horizon, np.random.default_rng(seed)
        )
        if projection is not None:
            return projection
    return seasonal_naive(counts, first_term=first_term, horizon=horizon)


def seasonal_naive(
    counts: Sequence[float] | np.ndarray, *, first_term: Term, horizon: int
) -> Projection:
    """The same term a year before; with under a year of history the last term seen (zero
    with none). Poisson intervals around that value."""
    n = len(counts)
    forecasts = []
    for step in range(1, horizon + 1):
        # The latest history term that is the same term of the year as the projected one.
        index = n + step - 1 - TERMS_PER_YEAR * math.ceil(step / TERMS_PER_YEAR)
        if index < 0:  # under a year of history: the last term seen
            index = n - 1
        mean = float(counts[index]) if n else 0.0
        forecasts.append(
            TermForecast(
                steps_ahead=step,
                term=first_term.after(n + step - 1),
                mean=mean,
                interval_80=_poisson_interval(mean, 0.80),
                interval_95=_poisson_interval(mean, 0.95),
            )
        )
    return Projection(method=SEASONAL_NAIVE, history_terms=n, forecasts=tuple(forecasts))


def _poisson_interval(mean: float, level: float) -> tuple[int, int]:
    tail = (1 - level) / 2
    low, high = stats.poisson.ppf([tail, 1 - tail], mean) if mean > 0 else (0.0, 0.0)
    return int(low), int(high)


def _design(first_term: Term, start: int, length: int) -> np.ndarray:
    """Columns: intercept, trend (terms since the first), spring, summer."""
    t = np.arange(start, start + length)
    terms = (first_term + t) % TERMS_PER_YEAR
    return np.column_stack([np.ones(length), t, terms == Term.SPRING, terms == Term.SUMMER]).astype(
        float
    )


def _negative_binomial(
    counts: np.ndarray,
    first_term: Term,
    exposure: Sequence[float] | None,
    future_exposure: Sequence[float] | None,
    horizon: int,
    rng: np.random.Generator,
) -> Projection | None:
    n = len(counts)
    design = _design(first_term, 0, n)
    if exposure is None:
        offset, future_offset = np.zeros(n), np.zeros(horizon)
    else:
        future = list(future_exposure) if future_exposure is not None else [exposure[-1]] * horizon
        offset, future_offset = np.log(np.asarray(exposure)), np.log(np.asarray(future[:horizon]))
    with warnings.catch_warnings():
        # A fit that fails is detected below and falls back; its warnings say nothing more.
        for category in (ConvergenceWarning, PerfectSeparationWarning, RuntimeWarning):
            warnings.simplefilter("ignore", category)
        try:
            result = sm.GLM(counts, design, family=sm.families.Poisson(), offset=offset).fit()
            params, covariance = np.asarray(result.params), np.asarray(result.cov_params())
        except (np.linalg.LinAlgError, ValueError):
            return None
    if not (result.converged and np.isfinite(covariance).all()):
        return None
    # A term that is always zero (or a trend running to zero) has a coefficient heading for
    # minus infinity: not identified, so the model says nothing and seasonal naive answers.
    if np.sqrt(np.diag(covariance)).max() > MAX_STANDARD_ERROR:
        return None

    # The dispersion φ (variance φμ): Pearson's χ² is φ times a χ² on the residual degrees of
    # freedom, so each simulation draws its own φ (a scaled inverse χ²) instead of trusting
    # one estimate from a dozen terms, which would make the intervals too narrow.
    degrees_of_freedom = len(counts) - design.shape[1]
    pearson = float(np.sum((counts - result.fittedvalues) ** 2 / result.fittedvalues))
    phi = np.maximum(pearson / rng.chisquare(degrees_of_freedom, SIMULATIONS), 1.0)
    future_design = _design(first_term, n, horizon)
    # Coefficients: the Poisson covariance scaled by each draw's φ.
    standard = rng.multivariate_normal(
        np.zeros(len(params)), covariance, size=SIMULATIONS, method="svd"
    )
    draws = params + standard * np.sqrt(phi)[:, None]
    mu = np.exp(np.clip(draws @ future_design.T + future_offset, None, 20))
    # Counts with mean μ and variance φμ: a negative binomial with n = μ/(φ−1), p = 1/φ
    # (Poisson where φ = 1).
    excess = (phi - 1.0)[:, None]
    overdispersed = excess > 1e-9
    size = np.where(overdispersed, mu / np.where(overdispersed, excess, 1.0), 1.0)
    simulated = np.where(
        overdispersed,
        rng.negative_binomial(size, np.broadcast_to(1.0 / phi[:, None], mu.shape)),
        rng.poisson(mu),
    )
    point = np.exp(params @ future_design.T + future_offset)
    forecasts = tuple(
        TermForecast(
            steps_ahead=step + 1,
            term=first_term.after(n + step),
            mean=float(point[step]),
            interval_80=_quantiles(simulated[:, step], 0.80),
            interval_95=_quantiles(simulated[:, step], 0.95),
        )
        for step in range(horizon)
    )
    return Projection(
        method=OVERDISPERSED_POISSON,
        history_terms=n,
        forecasts=forecasts,
        trend_per_year=math.exp(params[1] * TERMS_PER_YEAR),
    )


def _quantiles(samples: np.ndarray, level: float) -> tuple[int, int]:
    tail = (1 - level) / 2
    low, high = np.quantile(samples, [tail, 1 - tail], method="inverted_cdf")
    return max(int(low), 0), max(int(high), 0)


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin backtest: MASE of the projection and of seasonal naive on the same
    forecasts, scaled by the in-sample seasonal-naive error (below 1 beats it on average)."""

    forecasts: int
    mase: float
    mase_seasonal_naive: float


def backtest(
    history: Sequence[int], *, first_term: Term, min_train: int = MIN_MODEL_TERMS
) -> Backtest:
    """For each origin from ``min_train`` on, projects from the terms before it and scores
    every projected term that history has."""
    counts = np.asarray(history, dtype=float)
    if len(counts) <= min_train or len(counts) <= TERMS_PER_YEAR:
        raise ValueError("A backtest needs more history than its first training window.")
    model_errors, naive_errors = [], []
    for origin in range(min_train, len(counts)):
        train = counts[:origin]
        horizon = min(HORIZON, len(counts) - origin)
        model = project(train, first_term=first_term, horizon=horizon, seed=origin)
        naive = seasonal_naive(train, first_term=first_term, horizon=horizon)
        for step in range(horizon):
            actual = counts[origin + step]
            model_errors.append(abs(actual - model.forecasts[step].mean))
            naive_errors.append(abs(actual - naive.forecasts[step].mean))
    scale = float(np.mean(np.abs(counts[TERMS_PER_YEAR:] - counts[:-TERMS_PER_YEAR])))
    scale = scale or 1.0  # a perfectly seasonal history: report plain mean absolute errors
    return Backtest(
        forecasts=len(model_errors),
        mase=float(np.mean(model_errors)) / scale,
        mase_seasonal_naive=float(np.mean(naive_errors)) / scale,
    )
