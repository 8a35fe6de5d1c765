"""A synthetic England: conurbations, regions, and the mix of needs, phases, formats and
urgencies the bench draws from (its own synthetic choices; the codes are the domain's)."""

from __future__ import annotations

import resource
import sys
from dataclasses import dataclass
from datetime import time as clock_time

# Conurbations and county towns (approximate British National Grid centres, metres) and a
# rough population weight: local authorities cluster around them as people do.
CITIES: list[tuple[str, int, int, float]] = [
    ("London", 530000, 180000, 9.0),
    ("Birmingham", 407000, 287000, 2.9),
    ("Manchester", 384000, 398000, 2.8),
    ("Leeds", 430000, 433000, 2.3),
    ("Liverpool", 335000, 390000, 1.5),
    ("Sheffield", 435000, 387000, 1.4),
    ("Newcastle", 425000, 564000, 1.1),
    ("Bristol", 359000, 173000, 1.1),
    ("Nottingham", 457000, 340000, 1.1),
    ("Leicester", 458000, 304000, 1.0),
    ("Southampton", 442000, 112000, 1.0),
    ("Portsmouth", 464000, 100000, 0.5),
    ("Brighton", 531000, 105000, 0.6),
    ("Maidstone", 576000, 155000, 0.8),
    ("Chelmsford", 571000, 207000, 0.7),
    ("Reading", 471000, 173000, 0.6),
    ("Oxford", 451000, 206000, 0.6),
    ("Milton Keynes", 485000, 238000, 0.5),
    ("Northampton", 475000, 260000, 0.5),
    ("Cambridge", 545000, 258000, 0.6),
    ("Peterborough", 519000, 298000, 0.4),
    ("Norwich", 623000, 308000, 0.6),
    ("Ipswich", 616000, 244000, 0.4),
    ("Coventry", 433000, 279000, 0.6),
    ("Stoke-on-Trent", 388000, 346000, 0.5),
    ("Derby", 435000, 336000, 0.5),
    ("Lincoln", 497000, 371000, 0.4),
    ("Hull", 509000, 429000, 0.5),
    ("York", 460000, 452000, 0.3),
    ("Middlesbrough", 449000, 520000, 0.6),
    ("Preston", 354000, 429000, 0.6),
    ("Carlisle", 340000, 556000, 0.2),
    ("Shrewsbury", 349000, 312000, 0.3),
    ("Gloucester", 383000, 218000, 0.4),
    ("Swindon", 415000, 185000, 0.3),
    ("Bournemouth", 408000, 91000, 0.5),
    ("Exeter", 292000, 92000, 0.5),
    ("Plymouth", 248000, 55000, 0.5),
    ("Truro", 182000, 44000, 0.3),
]
REGIONS: list[tuple[str, int, int]] = [
    ("North East", 425000, 560000),
    ("North West", 360000, 440000),
    ("Yorkshire and the Humber", 440000, 440000),
    ("East Midlands", 470000, 330000),
    ("West Midlands", 390000, 290000),
    ("East of England", 580000, 260000),
    ("London", 530000, 180000),
    ("South East", 470000, 140000),
    ("South West", 300000, 120000),
]
EASTING = (100_000, 650_000)
NORTHING = (0, 650_000)
LOCAL_AUTHORITIES = 150

# Needs: how often each is a request's primary need (roughly SEN2's mix) and how often an
# expert knows it. Sensory needs are rare and an expert only claims one with its verified
# mandatory qualification.
REQUEST_NEED_WEIGHTS = {
    "ASD": 30,
    "SLCN": 20,
    "SEMH": 18,
    "MLD": 10,
    "SPLD": 8,
    "SLD": 3,
    "PMLD": 1,
    "PD": 2,
    "HI": 2,
    "VI": 1,
    "MSI": 0.3,
    "OTH": 3,
}
EXPERT_NEED_WEIGHTS = {
    "ASD": 25,
    "SEMH": 18,
    "SLCN": 15,
    "MLD": 10,
    "SLD": 8,
    "SPLD": 7,
    "PMLD": 5,
    "PD": 4,
    "OTH": 3,
    "HI": 2,
    "VI": 2,
    "MSI": 1,
}
# (start, end): a morning, an afternoon, a whole school day.
WINDOW_SHAPES = [
    (clock_time(8, 45), clock_time(12, 0)),
    (clock_time(13, 0), clock_time(15, 30)),
    (clock_time(9, 0), clock_time(15, 0)),
]


@dataclass(frozen=True)
class Mix:
    """The bench's synthetic choices that are keyed by the domain's own codes. Each dict's
    order is the order the draws see, so it is part of the instance the seed builds."""

    mainstream_phases: dict[str, float]  # GIAS phase of a mainstream school
    statutory_ages: dict[str, tuple[int, int]]  # of a mainstream school, by its phase
    offers: dict[str, float]  # share of experts offering each format
    serves: dict[str, float]  # share of experts serving each phase
    # The ages an expert serving a phase works with: wider than the year groups' ages
    # (``matching.selectors.ages_of_year_groups``), as early years starts in nursery at 2
    # and special schools teach to 19.
    phase_ages: dict[str, tuple[int, int]]
    year_groups: dict[str, list[int]]  # a request's year groups by its phase (0 = Reception)
    levels: dict[str, float]
    request_formats: dict[str, float]
    urgencies: dict[str, float]
    scopes: dict[str, float]


def synthetic_mix() -> Mix:
    """The mix, built once Django is set up (the enums are the domain's)."""
    from accounts.enums import Phase
    from exchange.enums import EducationPhase, Format, Level, RequestFormat, RequestScope, Urgency

    return Mix(
        mainstream_phases={Phase.PRIMARY: 0.83, Phase.SECONDARY: 0.15, Phase.ALL_THROUGH: 0.02},
        statutory_ages={
            Phase.PRIMARY: (4, 11),
            Phase.SECONDARY: (11, 18),
            Phase.ALL_THROUGH: (4, 18),
        },
        offers={
            Format.OBSERVATION_VISIT: 0.75,
            Format.CONSULTATION: 0.60,
            Format.STAFF_TRAINING: 0.50,
            Format.VIDEO_CALL: 0.70,
        },
        serves={
            EducationPhase.EARLY_YEARS: 0.20,
            EducationPhase.PRIMARY: 0.65,
            EducationPhase.SECONDARY: 0.55,
            EducationPhase.POST_16: 0.20,
        },
        phase_ages={
            EducationPhase.EARLY_YEARS: (2, 5),
            EducationPhase.PRIMARY: (4, 11),
            EducationPhase.SECONDARY: (11, 16),
            EducationPhase.POST_16: (16, 19),
        },
        year_groups={
            EducationPhase.EARLY_YEARS: [0],
            EducationPhase.PRIMARY: list(range(1, 7)),
            EducationPhase.SECONDARY: list(range(7, 12)),
            EducationPhase.POST_16: [12, 13],
        },
        levels={
            Level.AWARE: 0.10,
            Level.PRACTITIONER: 0.30,
            Level.SPECIALIST: 0.40,
            Level.LEAD: 0.20,
        },
        request_formats={
            RequestFormat.ANY: 0.30,
            RequestFormat.OBSERVATION_VISIT: 0.30,
            RequestFormat.CONSULTATION: 0.15,
            RequestFormat.STAFF_TRAINING: 0.15,
            RequestFormat.VIDEO_CALL: 0.10,
        },
        urgencies={Urgency.ROUTINE: 0.55, Urgency.SOON: 0.30, Urgency.URGENT: 0.15},
        scopes={
            RequestScope.WHOLE_SCHOOL: 0.15,
            RequestScope.CLASS: 0.45,
            RequestScope.COHORT: 0.25,
            RequestScope.ONE_PUPIL: 0.15,
        },
    )


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
