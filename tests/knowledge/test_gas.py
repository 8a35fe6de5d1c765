"""The GAS T-score against examples worked by hand from Kiresuk & Sherman's formula
T = 50 + 10·Σwx / √((1 − ρ)Σw² + ρ(Σw)²), ρ = 0.3."""

import math

import pytest

from knowledge.gas import goals_met, t_score


def test_three_unweighted_goals_match_the_hand_computed_score():
    # x = (+1, +2, 0), w = 1: Σwx = 3, Σw² = 3, (Σw)² = 9;
    # √(0.7·3 + 0.3·9) = √4.8 = 2.190890…; T = 50 + 30 / 2.190890 = 63.693064…
    assert t_score([1, 2, 0]) == pytest.approx(63.693064, abs=1e-6)


def test_weighted_goals_match_the_hand_computed_score():
    # x = (+1, −1), w = (2, 1): Σwx = 1, Σw² = 5, (Σw)² = 9; √(3.5 + 2.7) = √6.2;
    # T = 50 + 10 / 2.489980 = 54.016097…
    assert t_score([1, -1], [2, 1]) == pytest.approx(54.016097, abs=1e-6)


def test_one_goal_moves_the_score_by_ten_per_level():
    # One goal: the denominator is √(0.7 + 0.3) = 1.
    assert [t_score([x]) for x in (-2, -1, 0, 1, 2)] == [30, 40, 50, 60, 70]


def test_every_goal_at_its_expected_outcome_scores_fifty_whatever_the_weights():
    assert t_score([0, 0, 0], [3, 1, 2]) == 50


def test_three_goals_all_much_less_than_expected():
    assert t_score([-2, -2, -2]) == pytest.approx(50 - 60 / math.sqrt(4.8))


@pytest.mark.parametrize(
    ("attainments", "weights"), [([], None), ([3], None), ([1, 1], [1]), ([1], [0])]
)
def test_impossible_inputs_are_refused(attainments, weights):
    with pytest.raises(ValueError):  # noqa: PT011
        t_score(attainments, weights)


def test_goals_count_as_met_from_the_expected_outcome_up():
    assert goals_met(50.0)
    assert goals_met(t_score([1, -1]))
    assert not goals_met(t_score([0, -1]))
