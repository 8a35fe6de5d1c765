"""Demo data for the quick start: the sample GIAS schools and a user for every role.

Later issues add experts and support requests here. Never run in production: the demo
users share a known password.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts import gias
from accounts.enums import Role, SchoolKind
from accounts.models import Membership, School, User
from accounts.services import ImportSummary, schools_import_from_gias

SAMPLE_GIAS_FILE = Path(settings.BASE_DIR) / "data" / "gias_sample.csv"
DEMO_DOMAIN = "demo.exchange"


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str
    where: str


def demo_seed(
    *, password: str, gias_file: Path = SAMPLE_GIAS_FILE
) -> tuple[ImportSummary, list[DemoUser]]:
    """Imports the sample schools and creates (or keeps) one demo user per role."""
    summary = schools_import_from_gias(rows=gias.iter_rows(gias.decode(gias_file.read_bytes())))
    with transaction.atomic():
        return summary, _demo_users(password)


def _demo_users(password: str) -> list[DemoUser]:
    open_schools = School.objects.filter(is_active=True).order_by("urn")
    mainstream = open_schools.filter(kind=SchoolKind.MAINSTREAM, trust__isnull=False).first()
    if mainstream is None:
        raise ValueError("The GIAS file has no open mainstream school in a trust.")
    trust = mainstream.trust
    special = (
        open_schools.filter(kind=SchoolKind.SPECIAL, region=mainstream.region).first()
        or open_schools.filter(kind=SchoolKind.SPECIAL).first()
    )
    people = [
        ("admin", "Platform Admin", None, None, None),
        ("senco", "Sam SENCO", Role.SENCO, mainstream, None),
        ("staff", "Jo Teacher", Role.SCHOOL_STAFF, mainstream, None),
        ("expert", "Alex Expert", Role.EXPERT, special, None),
        ("coordinator", "Chris Coordinator", Role.TRUST_COORDINATOR, None, trust),
    ]
    created = []
    for local_part, full_name, role, school, trust_ in people:
        email = f"{local_part}@{DEMO_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            is_admin = role is None
            user = User.objects.create_user(
                email, password, full_name=full_name, is_staff=is_admin, is_superuser=is_admin
            )
        if role is not None:
            Membership.objects.get_or_create(user=user, role=role, school=school, trust=trust_)
        where = str(school or trust_ or "platform admin")
        created.append(DemoUser(email=email, role=role or "platform admin", where=where))
    return created
