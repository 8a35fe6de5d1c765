"""The OpenAPI schema is the contract: schemathesis, with every check and every phase
(examples, coverage, fuzzing, stateful), finds no difference between it and the app, for
each kind of caller.

The app runs in-process (WSGI) on the test database. ``SCHEMATHESIS_MAX_EXAMPLES`` sets
how many cases each operation gets per phase (CI keeps it small; ``bench/schemathesis.sh``
runs many more), ``SCHEMATHESIS_SEED`` the seed (fixed, so CI is reproducible).
"""

import logging
import os
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from django.utils import timezone
from schemathesis.engine import Status, events, from_schema

from accounts.enums import Role
from accounts.models import User
from exchange.models import AvailabilityWindow
from tests import factories

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
MAX_SECONDS = int(os.environ.get("SCHEMATHESIS_MAX_SECONDS", "25"))  # a role's whole run
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261201"))
MAX_REPORTED = 40


@dataclass
class Failures:
    """Distinct failures: one per operation, check and kind of failure."""

    found: dict[tuple[str, str, str], str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def record(self, event: events.EngineEvent) -> None:
        if isinstance(event, events.NonFatalError):
            self.errors.append(f"{event.label}: {event.info.format()}")
        if not isinstance(event, events.ScenarioFinished):
            return
        for checks in event.recorder.checks.values():
            for check in checks:
                if check.status != Status.FAILURE or check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                key = (event.recorder.label, check.name, failure.title)
                self.found.setdefault(
                    key, f"{failure.message[:300]}\n{check.failure_info.code_sample}"
                )

    def report(self) -> str:
        lines = [f"{len(self.found)} distinct failures, {len(self.errors)} errors"]
        for (operation, check, title), sample in list(self.found.items())[:MAX_REPORTED]:
            lines.append(
                f"- {operation} [{check}] {title}\n    {sample.replace(chr(10), chr(10) + '    ')}"
            )
        lines += [f"- error: {error[:500]}" for error in self.errors[:MAX_REPORTED]]
        return "\n".join(lines)


class SignIn:
    """Signs in through ``POST /api/v1/auth/token`` for every case, as a client would: the run
    calls ``/auth/token/revoke`` too, which would end a token shared by every case."""

    url: str
    email: str

    def get(self, case, context) -> str:  # type: ignore[no-untyped-def]
        response = requests.post(
            self.url, json={"email": self.email, "password": factories.PASSWORD}, timeout=10
        )
        response.raise_for_status()
        return response.json()["token"]

    def set(self, case, token: str, context) -> None:  # type: ignore[no-untyped-def]
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


@dataclass
class Scene:
    users: dict[str, User | None]


@pytest.fixture
def scene(transactional_db) -> Scene:
    """One school in a trust with a draft request, a verified expert with availability, and
    one user of each role."""
    trust = factories.TrustFactory()
    school = factories.SchoolFactory(trust=trust)
    expert = factories.ExpertProfileFactory()
    AvailabilityWindow.objects.create(
        expert=expert, weekday=0, start_time="09:00", end_time="12:00"
    )
    factories.SupportRequestFactory(school=school)
    users = {
        "anonymous": None,
        "staff": factories.MembershipFactory(school=school, role=Role.SCHOOL_STAFF).user,
        "senco": factories.MembershipFactory(school=school, role=Role.SENCO).user,
        "expert": expert.user,
        "coordinator": factories.TrustCoordinatorMembershipFactory(trust=trust).user,
        "admin": factories.UserFactory(is_staff=True, is_superuser=True),
    }
    return Scene(users)


def run_schemathesis(base_url: str, user: User | None) -> Failures:
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "max-time": MAX_SECONDS,
            "workers": 1,
            "checks": {"enabled": True},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {"stateful": {"max-steps": MAX_EXAMPLES * 4}},
        }
    )
    schema = schemathesis.openapi.from_url(
        f"{base_url}/api/schema/",
        config=config,
        headers={"Accept": "application/vnd.oai.openapi+json"},
    )
    if user is not None:
        attributes = {"url": f"{base_url}/api/v1/auth/token", "email": user.email}
        schema.auth(refresh_interval=None)(type("SignInAs", (SignIn,), attributes))
    failures = Failures()
    for event in from_schema(schema).execute():
        failures.record(event)
    return failures


@pytest.fixture(autouse=True)
def _quiet_and_unthrottled(settings):
    # Thousands of refused requests: Django's one warning line for each is noise here.
    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.ERROR)
    rates = dict.fromkeys(("anon", "user", "auth"), "100000/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    yield
    request_logger.setLevel(level)


@pytest.mark.parametrize("role", ["anonymous", "staff", "senco", "expert", "coordinator", "admin"])
def test_the_app_does_what_its_schema_says(role, scene, live_server):
    started = timezone.now()
    failures = run_schemathesis(live_server.url, scene.users[role])
    print(f"{role}: {failures.report()} in {(timezone.now() - started).total_seconds():.0f}s")  # noqa: T201
    assert not failures.found and not failures.errors, failures.report()
