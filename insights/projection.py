"""Projecting requests per school term (autumn, spring, summer). Pure: no Django.

Method (docs/analytics.md): a **negative-binomial regression** of the count in each term on a
linear trend and the term of the year, ``log μ_t = β₀ + β₁·t + γ_term(t) [+ log exposure_t]``,
with its dispersion estimated by maximum likelihood (statsmodels' ``NegativeBinomial``, NB2:
variance ``μ + αμ²``). It suits short, seasonal count series: a handful of parameters, counts
that are never negative, and overdispersion (a busy term is busier than Poisson allows).
Exposure (e.g. pupils with that primary need in the LA, from DfE's statistics) makes the model
one of demand *per pupil*.

Prediction intervals come from the predictive distribution by simulation: coefficients drawn
from their estimated sampling distribution, then counts drawn from the negative binomial around
each draw's mean; the 10/90 % and 2.5/97.5 % quantiles are the 80 % and 95 % intervals. They
are counts, so never below zero.

With fewer than ``MIN_MODEL_TERMS`` terms (two school years), or when the fit does not
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
from scipy import stats
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

TERMS_PER_YEAR = 3
MIN_MODEL_TERMS = 6
HORIZON = 2
SIMULATIONS = 4000

NEGATIVE_BINOMIAL = "negative_binomial"
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
    history: Sequence[int],
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


def seasonal_naive(counts: Sequence[float], *, first_term: Term, horizon: int) -> Projection:
    """The same term a year before; with under a year of history the last term seen (zero
    with none). Poisson intervals around that value."""
    n = len(counts)
    forecasts = []
    for step in range(1, horizon + 1):
        # The latest history term that is the same term of the year as the projected one.
        index = n + step - 1 - TERMS_PER_YEAR * math.ceil(step / TERMS_PER_YEAR)
        if index >= 0:
            mean = float(counts[index])
        else:
            mean = float(counts[-1]) if n else 0.0
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
    return np.column_stack(
        [np.ones(length), t, terms == Term.SPRING, terms == Term.SUMMER]
    ).astype(float)


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
        # A fit that does not converge is detected below and falls back; say so there.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", HessianInversionWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = NegativeBinomial(counts, design, offset=offset).fit(disp=0, maxiter=200)
        except (np.linalg.LinAlgError, ValueError):
            return None
    params, covariance = np.asarray(result.params), np.asarray(result.cov_params())
    if not (result.mle_retvals.get("converged") and np.isfinite(covariance).all()):
        return None

    future_design = _design(first_term, n, horizon)
    draws = rng.multivariate_normal(params, covariance, size=SIMULATIONS, method="svd")
    # Mean per draw and term; the dispersion is kept at its estimate (a draw can be negative).
    alpha = max(float(params[-1]), 1e-8)
    log_mu = draws[:, :-1] @ future_design.T + future_offset
    mu = np.exp(np.clip(log_mu, None, 20))
    size = 1.0 / alpha  # NB2 in numpy's (n, p) form: n = 1/α, p = n / (n + μ)
    simulated = rng.negative_binomial(size, size / (size + mu))
    point = np.exp(params[:-1] @ future_design.T + future_offset)
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
        method=NEGATIVE_BINOMIAL,
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
