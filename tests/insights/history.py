"""Support requests inserted as history: ``counts[i]`` requests submitted (and created) in
term ``first + i``."""

from collections.abc import Sequence
from datetime import timedelta

from django.db.models import F

from exchange.models import SupportRequest
from insights.terms import SchoolTerm
from tests.factories import need


def insert_history(school, need_code: str, counts: Sequence[int], *, first: SchoolTerm) -> None:
    primary_need = need(need_code)
    rows = [
        SupportRequest(
            school=school,
            title=f"History {step}.{n}",
            scope="class",
            primary_need=primary_need,
            phase="primary",
            sen_status="sen_support",
            context="As it presents.",
            desired_outcome="Calmer transitions.",
            format="observation_visit",
            status="closed",
            submitted_at=(first + step).start_datetime() + timedelta(days=20 + n % 30),
        )
        for step, count in enumerate(counts)
        for n in range(count)
    ]
    SupportRequest.objects.bulk_create(rows)
    SupportRequest.objects.filter(submitted_at__isnull=False).update(created_at=F("submitted_at"))
