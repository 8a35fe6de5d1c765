"""Term calendars (trust over LA over the default, plus a school's own closures), closed
days of either school kept free of offers, and the database's no-overlap backstop."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchange import selectors as exchange_selectors
from exchange.constants import LONDON
from exchange.models import Closure, TermCalendar
from scheduling import services
from scheduling.models import Session
from tests.factories import LocalAuthorityFactory, SchoolFactory, TrustFactory
from tests.postgres import postgres_only

pytestmark = pytest.mark.django_db


def test_the_default_calendar_is_loaded_with_holidays_and_inset_days():
    default = TermCalendar.objects.get(is_default=True)

    kinds = set(default.closures.values_list("kind", flat=True))

    assert kinds == {"holiday", "inset"}
    assert default.closures.filter(start_date=date(2026, 12, 21)).exists()


def test_a_trust_calendar_beats_the_la_calendar_which_beats_the_default():
    la = LocalAuthorityFactory()
    trust = TrustFactory()
    la_calendar = TermCalendar.objects.create(name="LA", local_authority=la)
    trust_calendar = TermCalendar.objects.create(name="Trust", trust=trust)
    community = SchoolFactory(local_authority=la, trust=None)
    academy = SchoolFactory(local_authority=la, trust=trust)
    elsewhere = SchoolFactory()

    assert exchange_selectors.calendar_for(community) == la_calendar
    assert exchange_selectors.calendar_for(academy) == trust_calendar
    assert exchange_selectors.calendar_for(elsewhere) == TermCalendar.objects.get(is_default=True)


def test_closed_days_join_both_schools_calendars_and_their_own_inset_days():
    la = LocalAuthorityFactory()
    calendar = TermCalendar.objects.create(name="LA", local_authority=la)
    Closure.objects.create(
        calendar=calendar, kind="holiday", start_date=date(2027, 2, 8), end_date=date(2027, 2, 12)
    )
    one = SchoolFactory(local_authority=la)
    other = SchoolFactory()
    Closure.objects.create(
        school=other, kind="inset", start_date=date(2027, 3, 1), end_date=date(2027, 3, 1)
    )

    closed = exchange_selectors.closed_days(
        schools=[one, other], start=date(2027, 2, 1), end=date(2027, 3, 5)
    )

    assert {date(2027, 2, 8), date(2027, 2, 12), date(2027, 3, 1)} <= closed
    assert date(2027, 2, 15) in closed  # the default calendar's half term, via ``other``
    assert date(2027, 2, 26) not in closed


def test_no_slot_is_offered_on_an_inset_day_of_the_expert_school(scene):
    first = services.slots_offer(support_request_id=scene.request.pk)
    blocked = {timezone.localtime(s.starts_at, LONDON).date() for s in first}
    for day in blocked:
        Closure.objects.create(
            school=scene.expert.school, kind="inset", start_date=day, end_date=day
        )

    again = services.slots_offer(support_request_id=scene.request.pk, replace=True)

    assert again
    assert not blocked & {timezone.localtime(s.starts_at, LONDON).date() for s in again}


def test_a_closure_has_one_owner():
    with pytest.raises(IntegrityError), transaction.atomic():
        Closure.objects.create(kind="inset", start_date=date(2027, 1, 4), end_date=date(2027, 1, 4))


def _session(scene, start, hours=1, status="confirmed") -> Session:
    return Session.objects.create(
        request=scene.request,
        expert=scene.expert,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        format="video_call",
        status=status,
    )


@postgres_only("PostgreSQL exclusion constraint")
def test_the_database_refuses_overlapping_live_sessions_of_one_expert(scene):
    start = timezone.now() + timedelta(days=10)
    _session(scene, start, status="offered")

    with pytest.raises(IntegrityError), transaction.atomic():
        _session(scene, start + timedelta(minutes=30), status="offered")


@postgres_only("PostgreSQL exclusion constraint")
def test_the_database_allows_back_to_back_and_overlap_with_cancelled_sessions(scene):
    start = timezone.now() + timedelta(days=10)
    _session(scene, start, status="cancelled")
    _session(scene, start, status="offered")

    _session(scene, start + timedelta(hours=1), status="offered")

    assert Session.objects.filter(expert=scene.expert).count() == 3


def test_a_session_starts_before_it_ends(scene):
    with pytest.raises(IntegrityError), transaction.atomic():
        _session(scene, timezone.now() + timedelta(days=10), hours=0)
