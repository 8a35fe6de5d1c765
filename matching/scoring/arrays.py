"""Numbers or arrays: the few helpers whose arithmetic differs between one pair's plain
numbers and a round's NumPy arrays. Every rule is written over these, so it runs on both."""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from matching.scoring.facts import TIE_TOLERANCE

#
# The rules below run on one pair's plain numbers and on many pairs' NumPy arrays. These
# helpers are where the two differ: NumPy's function when an argument is an array, Python's
# own operation otherwise (for one pair far cheaper than a 0-d array). Both give the same
# IEEE-754 result, so a pair scores the same to the last bit either way.

# A number (one pair) or a NumPy array (one entry per pair).
Value = Any


def where(condition: Value, if_true: Value, if_false: Value) -> Value:
    """``np.where``; for one pair, a conditional (both branches are still evaluated, so
    each must be safe to compute: guard divisions)."""
    if condition is True:
        return if_true
    if condition is False:
        return if_false
    if isinstance(condition, np.ndarray):
        return np.where(condition, if_true, if_false)
    return if_true if condition else if_false


def maximum(a: Value, b: Value) -> Value:
    """``np.maximum``; for numbers, Python's comparison (which, unlike NumPy, need not
    return a NaN argument: the rules mask unknown distances themselves)."""
    if type(a) is np.ndarray or type(b) is np.ndarray:
        return np.maximum(a, b)
    return b if b > a else a


def minimum(a: Value, b: Value) -> Value:
    """``np.minimum``; for numbers, Python's comparison (as ``maximum``)."""
    if type(a) is np.ndarray or type(b) is np.ndarray:
        return np.minimum(a, b)
    return b if b < a else a


def negate(condition: Value) -> Value:
    """Logical not (``~`` on a Python bool is an integer)."""
    if type(condition) is bool:
        return not condition
    return np.logical_not(condition)


def is_unknown(distance: Value) -> Value:
    """An unknown distance is NaN (``None`` for one pair's ``Match``)."""
    if isinstance(distance, np.ndarray):
        return np.isnan(distance)
    return distance is None or distance != distance


def python_sum(terms: Sequence[Value]) -> Value:
    """Python's ``sum`` of floats (Neumaier-compensated); for arrays, the same operations
    elementwise, so the two agree to the last bit."""
    if not [term for term in terms if isinstance(term, np.ndarray)]:
        return sum(terms)
    shape = np.broadcast_shapes(*(np.shape(term) for term in terms))
    total = np.zeros(shape)
    compensation = np.zeros(shape)
    for x in terms:
        t = total + x
        compensation = compensation + np.where(
            np.abs(total) >= np.abs(x), (total - t) + x, (x - t) + total
        )
        total = t
    return np.where(np.isfinite(compensation), total + compensation, total)


def round_score(raw: Value) -> Value:
    """Python's ``round`` to two decimals: the double nearest the decimal nearest ``raw``.

    For arrays, ``rint(raw × 100) / 100`` is that same double (IEEE division is correctly
    rounded) unless ``raw × 100``, itself rounded, lies within rounding error of a tie
    (``.5``): those few entries are rounded by Python.
    """
    if not isinstance(raw, np.ndarray):
        return round(float(raw), 2)
    scaled = raw * 100
    rounded = np.rint(scaled) / 100
    with np.errstate(invalid="ignore"):
        near_tie = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < TIE_TOLERANCE)
    rounded[near_tie] = [round(x, 2) for x in raw[near_tie].tolist()]
    return rounded


def grid_distance_km(dx: Value, dy: Value, exact: bool = False) -> Value:
    """The distance between two points ``dx`` and ``dy`` metres apart on the British
    National Grid, in km: plain Euclidean distance, ``math.hypot``'s (NaN when unknown).
    For arrays, ``exact`` says every coordinate is an integer below ``EXACT_COORDINATE``,
    when NumPy's ``sqrt`` of the exact sum of squares is that same result."""
    if not isinstance(dx, np.ndarray) and not isinstance(dy, np.ndarray):
        return math.hypot(dx, dy) / 1000
    if exact:
        # sqrt(dx² + dy²) / 1000, the same operations in place (a round's matrices).
        dx, dy = np.asarray(dx, dtype=float), np.asarray(dy, dtype=float)
        squared = dx * dx
        squared += dy * dy
        np.sqrt(squared, out=squared)
        squared /= 1000
        return squared
    dx, dy = np.broadcast_arrays(dx, dy)
    hypot = [
        math.nan if math.isnan(x + y) else math.hypot(x, y)
        for x, y in zip(dx.ravel().tolist(), dy.ravel().tolist(), strict=True)
    ]
    return np.array(hypot, dtype=float).reshape(dx.shape) / 1000
