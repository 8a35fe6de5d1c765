"""The OpenAPI schema is the contract: schemathesis, with every check and every phase
(examples, coverage, fuzzing, stateful), finds no difference between it and the app, for
each kind of caller.

The app runs in this process, behind pytest-django's live server (a thread), on the test
database; schemathesis drives it over HTTP with its own engine, as its CLI would. (Its
in-process WSGI transport fails under the engine in 4.32: "unexpected keyword argument
'max_redirects'".) A role's run stops after ``SCHEMATHESIS_MAX_SECONDS`` (20 in CI);
``SCHEMATHESIS_MAX_EXAMPLES`` sets the cases per operation and phase, ``SCHEMATHESIS_SEED``
the seed (fixed, so a CI failure reproduces). docs/api.md gives the command for a long run.
"""

import os
import time
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from schemathesis.engine import Status, events, from_schema

from accounts.enums import Role
from accounts.models import User
from exchange.models import AvailabilityWindow
from tests import factories
from tests.postgres import committing_db, postgres_only

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
MAX_SECONDS = int(os.environ.get("SCHEMATHESIS_MAX_SECONDS", "20"))  # a role's whole run
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


# Where a schema-valid request may still be refused with a 400 by a rule no schema can state:
# a need code, topic slug, URN or id that does not exist (the taxonomy and the schools are
# data), a date relative to today, a window overlapping another, a weight total, or a caller
# who has no expert profile; analytics' day that the pattern allows but the calendar has not
# (2026-02-30), a period ending before it starts, the same dimension for rows and columns, a
# CSV `table` the endpoint does not have. Everywhere else, schema-valid input must be accepted.
RULES_BEYOND_THE_SCHEMA = [
    ("POST", r"^/api/v1/requests$"),
    ("PATCH", r"^/api/v1/requests/\{id\}$"),
    ("POST", r"^/api/v1/experts$"),
    ("PATCH", r"^/api/v1/experts/\{id\}$"),
    ("GET", r"^/api/v1/experts$"),  # `near`: a URN
    ("GET", r"^/api/v1/experts/me$"),
    ("POST", r"^/api/v1/experts/\{id\}/confirm-safeguarding$"),
    ("POST", r"^/api/v1/experts/\{expert_pk\}/"),
    ("PUT", r"^/api/v1/experts/\{expert_pk\}/"),
    ("POST", r"^/api/v1/sessions"),
    ("PATCH", r"^/api/v1/matching-policy$"),
    ("GET", r"^/api/v1/analytics/"),
]
DOMAIN_STATUSES = ["200", "201", "202", "204", "400", "401", "403", "404", "409", "429"]

pytestmark = [committing_db, pytest.mark.usefixtures("unthrottled")]


@pytest.fixture
def scene(db) -> Scene:
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
        # Reads the school's request with its pupil free text null: the schema says so.
        "la_officer": factories.LaOfficerMembershipFactory(
            local_authority=school.local_authority
        ).user,
        "admin": factories.UserFactory(is_staff=True, is_superuser=True),
    }
    return Scene(users)


def run_schemathesis(base_url: str, user: User | None) -> Failures:
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "max-time": MAX_SECONDS,
            "workers": 1,
            # The live server's threads hold a database connection for as long as a client
            # keeps its socket open; closing after each response lets every one go before the
            # test database is dropped.
            "headers": {"Connection": "close"},
            "checks": {"enabled": True},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {"stateful": {"max-steps": MAX_EXAMPLES * 4}},
            "operations": [
                {
                    "include-method": method,
                    "include-path-regex": path,
                    "checks": {"positive_data_acceptance": {"expected-statuses": DOMAIN_STATUSES}},
                }
                for method, path in RULES_BEYOND_THE_SCHEMA
            ],
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


@postgres_only("the contract is checked against the production database")
@pytest.mark.parametrize(
    "role", ["anonymous", "staff", "senco", "expert", "coordinator", "la_officer", "admin"]
)
def test_the_app_does_what_its_schema_says(role, scene, live_server):
    started = time.monotonic()
    failures = run_schemathesis(live_server.url, scene.users[role])
    print(f"{role}: {failures.report()} in {time.monotonic() - started:.0f}s")  # noqa: T201
    assert not failures.errors, failures.report()
    assert not failures.found, failures.report()
