import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership, School, User

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--password", "pw-for-tests", stdout=out)
    return out.getvalue()


def test_seed_demo_loads_schools_and_a_user_per_role_and_can_run_again():
    first = seed()
    second = seed()

    assert "300 created" in first
    assert "300 unchanged" in second
    assert School.objects.count() == 300
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"senco", "school_staff", "expert", "trust_coordinator"}
    assert User.objects.filter(is_staff=True).count() == 1
    assert User.objects.get(email="senco@demo.exchange").check_password("pw-for-tests")
    assert Membership.objects.count() == 4
    expert = Membership.objects.get(role="expert")
    assert expert.school.kind == "special"


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="not in production"):
        seed()
    assert not User.objects.exists()
