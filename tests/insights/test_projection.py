"""The demand projection on synthetic histories whose trend and seasonality are known."""

import math

import numpy as np
import pytest

from insights.projection import (
    MIN_MODEL_TERMS,
    OVERDISPERSED_POISSON,
    SEASONAL_NAIVE,
    Term,
    backtest,
    project,
)

TREND_PER_TERM = 0.04
SEASON = np.array([0.25, 0.0, -0.35])  # autumn busiest, summer quietest (log scale)
DISPERSION = 0.05  # NB2 α: variance μ + αμ²


def synthetic(rng: np.random.Generator, terms: int, level: float = 20.0) -> np.ndarray:
    """Counts from autumn on, with the true means of those terms and the next two."""
    t = np.arange(terms + 2)
    mean = np.exp(math.log(level) + TREND_PER_TERM * t + SEASON[t % 3])
    size = 1 / DISPERSION
    return rng.negative_binomial(size, size / (size + mean))


def test_95_percent_interval_holds_the_truth_at_about_the_stated_rate():
    rng = np.random.default_rng(2026)
    hits = total = 0
    for series in range(150):
        counts = synthetic(rng, 12)
        projection = project(counts[:12].tolist(), first_term=Term.AUTUMN, seed=series)
        assert projection.method == OVERDISPERSED_POISSON
        for forecast, actual in zip(projection.forecasts, counts[12:], strict=True):
            low, high = forecast.interval_95
            hits += low <= actual <= high
            total += 1

    assert 0.88 <= hits / total <= 0.995


def test_80_percent_interval_is_inside_the_95_percent_one_and_covers_less():
    rng = np.random.default_rng(7)
    hits_80 = hits_95 = 0
    for series in range(100):
        counts = synthetic(rng, 12)
        forecast = project(counts[:12].tolist(), first_term=Term.AUTUMN, seed=series).forecasts[0]
        (low_80, high_80), (low_95, high_95) = forecast.interval_80, forecast.interval_95
        assert low_95 <= low_80 <= forecast.mean <= high_80 <= high_95
        hits_80 += low_80 <= counts[12] <= high_80
        hits_95 += low_95 <= counts[12] <= high_95

    assert 0.68 <= hits_80 / 100 <= 0.92
    assert hits_80 < hits_95


def test_trend_and_seasonality_are_recovered():
    rng = np.random.default_rng(11)
    trends = []
    for series in range(40):
        counts = synthetic(rng, 24, level=40)
        trends.append(project(counts[:24].tolist(), first_term=Term.AUTUMN, seed=series))

    estimate = float(np.median([projection.trend_per_year for projection in trends]))
    assert estimate == pytest.approx(math.exp(3 * TREND_PER_TERM), abs=0.03)
    # The next term is autumn (busy), the one after spring: the projection knows the season.
    assert all(p.forecasts[0].mean > p.forecasts[1].mean for p in trends)
    assert [f.term for f in trends[0].forecasts] == [Term.AUTUMN, Term.SPRING]


def test_short_history_falls_back_to_seasonal_naive_and_says_so():
    history = [12, 7, 3, 14, 9]  # autumn, spring, summer, autumn, spring

    projection = project(history, first_term=Term.AUTUMN)

    assert len(history) < MIN_MODEL_TERMS
    assert projection.method == SEASONAL_NAIVE
    assert projection.history_terms == 5
    assert [(f.term, f.mean) for f in projection.forecasts] == [
        (Term.SUMMER, 3.0),
        (Term.AUTUMN, 14.0),
    ]
    assert projection.trend_per_year is None


def test_under_a_year_of_history_repeats_the_last_term():
    projection = project([5], first_term=Term.SUMMER)

    assert projection.method == SEASONAL_NAIVE
    assert [f.mean for f in projection.forecasts] == [5.0, 5.0]
    assert project([], first_term=Term.AUTUMN).forecasts[0].interval_95 == (0, 0)


@pytest.mark.parametrize(
    "history",
    [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 1, 0, 0, 0],
        [1, 0, 0, 2, 0, 0, 1, 0, 0],
        [40, 2, 0, 38, 1, 0, 41, 3],
        [5, 5, 5, 5, 5, 5],
    ],
)
def test_intervals_are_never_negative_even_near_zero(history):
    projection = project(history, first_term=Term.AUTUMN)

    for forecast in projection.forecasts:
        assert forecast.mean >= 0
        assert 0 <= forecast.interval_95[0] <= forecast.interval_80[0]
        assert forecast.interval_80[1] <= forecast.interval_95[1]


def test_exposure_scales_the_projection():
    rng = np.random.default_rng(3)
    counts = synthetic(rng, 12)[:12].tolist()
    pupils = [1000.0] * 12

    same = project(counts, first_term=Term.AUTUMN, exposure=pupils)
    doubled = project(
        counts, first_term=Term.AUTUMN, exposure=pupils, future_exposure=[2000.0, 2000.0]
    )

    assert doubled.forecasts[0].mean == pytest.approx(2 * same.forecasts[0].mean)


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="counts"):
        project([3, -1, 2], first_term=Term.AUTUMN)


def test_backtest_beats_seasonal_naive_on_a_trending_series():
    rng = np.random.default_rng(5)
    model, naive = [], []
    for _ in range(20):
        counts = synthetic(rng, 18, level=30)[:18].tolist()
        result = backtest(counts, first_term=Term.AUTUMN)
        assert result.forecasts == 2 * (18 - MIN_MODEL_TERMS) - 1
        model.append(result.mase)
        naive.append(result.mase_seasonal_naive)

    assert np.mean(model) < np.mean(naive)
