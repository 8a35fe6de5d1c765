"""What every build step shares: the random draws' helpers and the ``Build`` context, and
the geography and people they return."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

from bench.national.england import WINDOW_SHAPES, Mix


def weighted(rng: Any, weights: Mapping[str, float], size: int) -> list[str]:
    codes = list(weights)
    p = [weights[c] for c in codes]
    total = sum(p)
    return [codes[i] for i in rng.choice(len(codes), size=size, p=[w / total for w in p])]


def sample_without(rng: Any, weights: Mapping[str, float], k: int, exclude: set[str]) -> list[str]:
    codes = [c for c in weights if c not in exclude]
    p = [weights[c] for c in codes]
    total = sum(p)
    picked = rng.choice(
        len(codes), size=min(k, len(codes)), replace=False, p=[w / total for w in p]
    )
    return [codes[i] for i in picked]


def choose(rng: Any, weights: dict[str, float], size: int | None = None) -> Any:
    """Draws from a dict of codes and their probabilities (which sum to 1)."""
    return rng.choice(list(weights), size=size, p=list(weights.values()))


def window_times(rng: Any) -> tuple[clock_time, clock_time]:
    return WINDOW_SHAPES[int(rng.integers(len(WINDOW_SHAPES)))]


def lap(timings: dict[str, float], name: str, mark: float) -> float:
    timings[f"build.{name}"] = time.perf_counter() - mark
    return time.perf_counter()


@dataclass
class Build:
    """What the build's steps share. Every step draws from the one seeded stream in turn,
    so the order of the steps, and of the draws in each, is the instance the seed builds."""

    rng: Any
    mix: Mix
    n_requests: int
    n_experts: int
    today: date
    now: datetime
    needs: dict[str, Any]  # Need rows by code
    topics: dict[str, Any]  # active Topic rows by slug
    counts: dict[str, int] = field(default_factory=dict)

    def topic_pool(self, codes: list[str]) -> list[str]:
        """The active topics these needs touch, in a fixed order to draw from."""
        from exchange.taxonomy import TOPICS_BY_NEED

        return sorted({slug for code in codes for slug in TOPICS_BY_NEED[code]} & set(self.topics))

    def level(self) -> str:
        return str(choose(self.rng, self.mix.levels))


@dataclass(frozen=True)
class Authorities:
    """The local authorities: names, centres (metres), relative weights of their people and
    of their special schools, and how far their schools scatter around the centre."""

    rows: list[Any]  # LocalAuthority rows
    names: list[str]
    east: Any
    north: Any
    people: Any
    special: Any
    scatter: Any


@dataclass(frozen=True)
class Placement:
    """Schools placed around authorities: each one's authority (an index), grid reference
    and nearest region."""

    authority: Any
    east: Any
    north: Any
    region: list[str]


@dataclass(frozen=True)
class Geography:
    mainstream: list[Any]  # School rows
    special: list[Any]


@dataclass(frozen=True)
class People:
    request_school: Any  # each request's school, an index into Geography.mainstream
    requesting: list[int]  # the schools that raise a request, in index order
    expert_users: list[Any]
    senco_of: dict[int, Any]  # a requesting school's SENCO
