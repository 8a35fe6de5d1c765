"""Building local authorities, trusts and schools on the British National Grid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.national.context import Authorities, Build, Geography, Placement, choose
from bench.national.england import CITIES, EASTING, LOCAL_AUTHORITIES, NORTHING, REGIONS
from bench.national.limits import BATCH


def build_geography(ctx: Build) -> Geography:
    """Local authorities around the cities, trusts, and the schools around their authorities'
    centres: mainstream schools where people live, special schools less evenly."""
    from accounts.models import School

    authorities = build_local_authorities(ctx)
    n_mainstream = max(50, round(ctx.n_requests * 0.85))
    n_special = max(10, ctx.n_experts // 4)
    at_mainstream = place(ctx.rng, authorities, n_mainstream, authorities.people)
    at_special = place(ctx.rng, authorities, n_special, authorities.special)
    trust_for = build_trusts(ctx, authorities, [at_mainstream, at_special])
    mainstream = mainstream_schools(ctx, authorities, at_mainstream, trust_for)
    special = special_schools(authorities, at_special, trust_for)
    School.objects.bulk_create([*mainstream, *special], batch_size=BATCH)
    ctx.counts["schools"] = len(mainstream) + len(special)
    ctx.counts["mainstream_schools"] = n_mainstream
    return Geography(mainstream=mainstream, special=special)


def build_local_authorities(ctx: Build) -> Authorities:
    """Centres around the cities, in proportion to population."""
    import numpy as np

    from accounts.models import LocalAuthority

    rng = ctx.rng
    city_weights = np.array([c[3] for c in CITIES])
    per_city = np.maximum(1, np.floor(LOCAL_AUTHORITIES * city_weights / city_weights.sum()))
    while per_city.sum() < LOCAL_AUTHORITIES:
        per_city[int(np.argmax(city_weights / per_city))] += 1
    rows = []
    for (city, east, north, weight), n in zip(CITIES, per_city.astype(int), strict=True):
        spread = 5000 * np.sqrt(n) + 5000
        for i in range(n):
            rows.append(
                (
                    f"{city}{'' if n == 1 else f' {i + 1}'}",
                    float(np.clip(east + rng.normal(0, spread), *EASTING)),
                    float(np.clip(north + rng.normal(0, spread), *NORTHING)),
                    weight / n * rng.lognormal(0, 0.4),
                    rng.uniform(8000, 15000),  # schools scatter 8–15 km around the centre
                )
            )
    las = LocalAuthority.objects.bulk_create(
        [LocalAuthority(code=str(201 + i), name=row[0]) for i, row in enumerate(rows)]
    )
    ctx.counts["local_authorities"] = len(las)
    people = np.array([r[3] for r in rows])
    return Authorities(
        rows=las,
        names=[r[0] for r in rows],
        east=np.array([r[1] for r in rows]),
        north=np.array([r[2] for r in rows]),
        people=people,
        # Special schools are not spread as evenly as people: demand outruns supply in places.
        special=people * rng.lognormal(0, 0.7, size=len(rows)),
        scatter=np.array([r[4] for r in rows]),
    )


def place(rng: Any, authorities: Authorities, n: int, weights: Any) -> Placement:
    """``n`` schools, each in an authority drawn by ``weights``, scattered around its centre."""
    import numpy as np

    la = rng.choice(len(authorities.names), size=n, p=weights / weights.sum())
    sigma = authorities.scatter[la]
    east = np.clip(authorities.east[la] + rng.normal(0, sigma), *EASTING).round()
    north = np.clip(authorities.north[la] + rng.normal(0, sigma), *NORTHING).round()
    region_xy = np.array([(r[1], r[2]) for r in REGIONS], dtype=float)
    nearest = np.argmin(
        (east[:, None] - region_xy[:, 0]) ** 2 + (north[:, None] - region_xy[:, 1]) ** 2,
        axis=1,
    )
    return Placement(la, east.astype(int), north.astype(int), [REGIONS[i][0] for i in nearest])


def build_trusts(
    ctx: Build, authorities: Authorities, placements: list[Placement]
) -> Callable[[int], Any]:
    """A few trusts per authority; returns the draw of a school's trust (45% join one of
    their authority's trusts)."""
    from accounts.models import Trust

    rng = ctx.rng
    trust_of_la: dict[int, list[int]] = {}
    trust_objects: list[Trust] = []
    for la_index in range(len(authorities.names)):
        schools_here = int(sum((p.authority == la_index).sum() for p in placements))
        for _ in range(max(1, schools_here // 12)):
            trust_of_la.setdefault(la_index, []).append(len(trust_objects))
            trust_objects.append(
                Trust(code=str(10000 + len(trust_objects)), name=f"Trust {len(trust_objects)}")
            )
    trusts = Trust.objects.bulk_create(trust_objects, batch_size=BATCH)
    ctx.counts["trusts"] = len(trusts)

    def trust_for(la_index: int) -> Trust | None:
        if rng.random() >= 0.45:
            return None
        options = trust_of_la[la_index]
        return trusts[options[int(rng.integers(len(options)))]]

    return trust_for


def mainstream_schools(
    ctx: Build, authorities: Authorities, at: Placement, trust_for: Callable[[int], Any]
) -> list[Any]:
    from accounts.enums import SchoolKind
    from accounts.models import School

    phases = choose(ctx.rng, ctx.mix.mainstream_phases, len(at.region))
    schools = []
    for i in range(len(at.region)):
        phase = str(phases[i])
        low_age, high_age = ctx.mix.statutory_ages[phase]
        schools.append(
            School(
                urn=100001 + i,
                name=f"Mainstream School {i + 1}",
                type_name="Academy converter" if i % 2 else "Community school",
                type_group="Academies" if i % 2 else "Local authority maintained schools",
                kind=SchoolKind.MAINSTREAM,
                phase=phase,
                statutory_low_age=low_age,
                statutory_high_age=high_age,
                local_authority=authorities.rows[at.authority[i]],
                region=at.region[i],
                town=authorities.names[at.authority[i]],
                easting=int(at.east[i]),
                northing=int(at.north[i]),
                trust=trust_for(int(at.authority[i])),
                gias_status="Open",
            )
        )
    return schools


def special_schools(
    authorities: Authorities, at: Placement, trust_for: Callable[[int], Any]
) -> list[Any]:
    from accounts.constants import GIAS_SPECIAL_TYPE_GROUP
    from accounts.enums import Phase, SchoolKind
    from accounts.models import School

    return [
        School(
            urn=700001 + i,
            name=f"Special School {i + 1}",
            type_name="Community special school",
            type_group=GIAS_SPECIAL_TYPE_GROUP,
            kind=SchoolKind.SPECIAL,
            phase=Phase.NOT_APPLICABLE,
            statutory_low_age=2,
            statutory_high_age=19,
            local_authority=authorities.rows[at.authority[i]],
            region=at.region[i],
            town=authorities.names[at.authority[i]],
            easting=int(at.east[i]),
            northing=int(at.north[i]),
            trust=trust_for(int(at.authority[i])),
            gias_status="Open",
        )
        for i in range(len(at.region))
    ]
