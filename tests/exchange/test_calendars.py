"""Term calendars: a trust's over its LA's over the default, plus a school's own closures,
and the closed days they add up to (``exchange.selectors``)."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from exchange import selectors
from exchange.models import Closure, TermCalendar
from tests.factories import LocalAuthorityFactory, SchoolFactory, TrustFactory

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

    assert selectors.calendar_for(community) == la_calendar
    assert selectors.calendar_for(academy) == trust_calendar
    assert selectors.calendar_for(elsewhere) == TermCalendar.objects.get(is_default=True)


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

    closed = selectors.closed_days(
        schools=[one, other], start=date(2027, 2, 1), end=date(2027, 3, 5)
    )

    assert {date(2027, 2, 8), date(2027, 2, 12), date(2027, 3, 1)} <= closed
    assert date(2027, 2, 15) in closed  # the default calendar's half term, via ``other``
    assert date(2027, 2, 26) not in closed


def test_a_closure_has_one_owner():
    with pytest.raises(IntegrityError), transaction.atomic():
        Closure.objects.create(kind="inset", start_date=date(2027, 1, 4), end_date=date(2027, 1, 4))
