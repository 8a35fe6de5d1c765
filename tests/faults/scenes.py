"""Builds a fault test's data in the test's own PostgreSQL, from a separate process (the
test process's Django is on the suite's database): ``python -m tests.faults.scenes NAME
[COUNT]`` prints the ids and API tokens as JSON. The work it queues goes to an in-memory
broker and is lost, so the test decides what reaches the real worker."""

import json
import sys
from typing import Any

import django


def _token(user: Any) -> str:
    from knox.models import AuthToken

    return str(AuthToken.objects.create(user)[1])


def draft(submitted: int = 0) -> dict[str, Any]:
    """A SENCO's draft request for ASD (``submitted`` if 1) and three experts the matching
    will propose."""
    from accounts.enums import Role
    from exchange.services import support_request_submit
    from tests.factories import MembershipFactory, SchoolFactory, SupportRequestFactory
    from tests.scheduling.conftest import make_expert

    senco = MembershipFactory(
        role=Role.SENCO, school=SchoolFactory(easting=550000, northing=280000)
    ).user
    for _ in range(3):
        make_expert()
    request = SupportRequestFactory(
        school=senco.memberships.get().school, created_by=senco, phase="primary", needs=["ASD"]
    )
    if submitted:
        support_request_submit(support_request=request, by=senco)
    return {"token": _token(senco), "request": request.pk}


def accepted() -> dict[str, Any]:
    """A request its expert accepted, with no slots offered yet."""
    from scheduling.models import Session
    from tests.scheduling.conftest import accepted_request, make_expert

    scene = accepted_request(make_expert())
    Session.objects.filter(request=scene.request).delete()
    return {"token": _token(scene.senco), "request": scene.request.pk}


def both() -> dict[str, Any]:
    """An accepted request (``accepted``) and a submitted one (``draft``)."""
    accepted_scene = accepted()  # first: its expert must be the only candidate
    return {"accepted": accepted_scene, "submitted": draft(submitted=1)}


def race(count: int) -> dict[str, Any]:
    """``count`` accepted requests of different schools for one expert, and two times that
    overlap (the same hour, and the half hour after) to book them at."""
    from datetime import timedelta

    from scheduling import services
    from scheduling.models import Session
    from tests.scheduling.conftest import accepted_request, make_expert

    expert = make_expert(sessions_per_week=count, sessions_per_month=count)
    scenes = [accepted_request(expert, format="video_call") for _ in range(count)]
    start = services.slots_offer(support_request_id=scenes[0].request.pk)[0].starts_at
    Session.objects.all().delete()
    return {
        "expert": expert.pk,
        "bookings": [
            {"token": _token(scene.senco), "request": scene.request.pk} for scene in scenes
        ],
        "times": [start.isoformat(), (start + timedelta(minutes=30)).isoformat()],
    }


if __name__ == "__main__":
    django.setup()
    from django.conf import settings

    # The scenes sign in with API tokens; hashing every user's password slowly (PBKDF2)
    # would be most of the time spent building 200 schools.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    name, *args = sys.argv[1:]
    scene = {"draft": draft, "accepted": accepted, "both": both, "race": race}[name]
    print(json.dumps(scene(*map(int, args))))
