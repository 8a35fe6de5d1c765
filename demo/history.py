"""Years of past requests for the demand projection (docs/analytics.md): a newcomer sees the
model (not the seasonal-naive fallback) on the admin dashboard and in
``GET /api/v1/analytics/projection``.

Four school years of closed requests about autism from the mainstream schools (in no trust)
of the demo SENCO's LA (autumn busiest, summer quietest, growing about 10 % a year), and a
year and a half about SEMH (seasonal naive: too short for the model). Every term has at
least five, so the series are publishable. Inserted in bulk with their submission dates in
the past: a request cannot be submitted back in time through the services, and these are
history, not a workflow to show.
"""

import math
import random
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from accounts.enums import SchoolKind
from accounts.models import School
from exchange.enums import RequestStatus
from exchange.models import Need, SupportRequest
from insights.terms import SchoolTerm

SEASON = (0.25, 0.0, -0.3)  # autumn, spring, summer on the log scale
GROWTH_PER_TERM = 0.03
SERIES = (("ASD", 12, 14.0), ("SEMH", 5, 8.0))  # need, terms, requests in a spring


def request_history_seed(*, rng: random.Random, near: School) -> int:
    """Closed requests over past terms at the mainstream schools of ``near``'s LA outside
    any trust. Returns how many were added."""
    schools = list(
        School.objects.filter(
            local_authority_id=near.local_authority_id,
            kind=SchoolKind.MAINSTREAM,
            is_active=True,
            # Schools in no trust: the demo coordinator's flow figures stay those of
            # demo/analytics.py's year (these requests never met an expert).
            trust__isnull=True,
        ).order_by("urn")
    ) or [near]
    this_term = SchoolTerm.of(timezone.localdate())
    rows = []
    for code, terms, spring in SERIES:
        need = Need.objects.get(code=code)
        first = this_term + -terms
        for step in range(terms):
            term = first + step
            mean = spring * math.exp(GROWTH_PER_TERM * step + SEASON[term.term])
            count = max(5, round(rng.gauss(mean, math.sqrt(mean))))
            days = (term.ends_on - term.starts_on).days
            for n in range(count):
                rows.append(
                    SupportRequest(
                        school=schools[(step + n) % len(schools)],
                        title=f"{need.name}: support for a class ({term.label})",
                        scope="class",
                        primary_need=need,
                        phase="primary",
                        sen_status="sen_support",
                        context="From the service's past referrals.",
                        desired_outcome="Staff confident with the strategies.",
                        format="observation_visit",
                        status=RequestStatus.CLOSED,
                        submitted_at=term.start_datetime()
                        + timedelta(days=rng.randrange(max(days - 14, 1)), hours=10),
                    )
                )
    created = SupportRequest.objects.bulk_create(rows)
    # The history reads as when it happened (created on submission; primary need in needs).
    SupportRequest.objects.filter(pk__in=[r.pk for r in created]).update(
        created_at=F("submitted_at"), status_changed_at=F("submitted_at")
    )
    SupportRequest.needs.through.objects.bulk_create(
        [
            SupportRequest.needs.through(supportrequest_id=r.pk, need_id=r.primary_need_id)
            for r in created
        ]
    )
    return len(created)
