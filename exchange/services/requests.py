"""Writes on a support request's content: raising, editing and deleting a draft."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import School, User
from config.errors import ApplicationError, ConflictError
from exchange import lifecycle, privacy
from exchange.enums import RequestScope
from exchange.models import (
    Need,
    PreferredWindow,
    SupportRequest,
    Topic,
)

# --- support requests ------------------------------------------------------------------------

REQUEST_TEXT_FIELDS = ("title", "context", "tried_so_far", "desired_outcome")
REQUEST_PLAIN_FIELDS = (
    "title",
    "scope",
    "parental_consent_obtained",
    "parental_consent_date",
    "phase",
    "year_groups",
    "sen_status",
    "context",
    "tried_so_far",
    "desired_outcome",
    "format",
    "staff_attending",
    "urgency",
    "video_acceptable",
    "shares_details_with_local_authority",
)
# The school may share (or stop sharing) the pupil free text with its local authority at
# any status; everything else changes only in a draft.
ANY_STATUS_FIELDS = frozenset({"shares_details_with_local_authority"})


def support_request_create(*, school: School, created_by: User, **data: Any) -> SupportRequest:
    """Creates a request in ``draft``."""
    support_request = SupportRequest(school=school, created_by=created_by)
    with transaction.atomic():
        _apply_request_data(support_request, data)
        support_request.save()
        _apply_request_relations(support_request, data, new=True)
    return support_request


def support_request_update(*, support_request: SupportRequest, **data: Any) -> SupportRequest:
    """Edits a request's content, only in a draft; ``ANY_STATUS_FIELDS`` at any status."""
    with transaction.atomic():
        locked = SupportRequest.objects.select_for_update().get(pk=support_request.pk)
        if locked.status not in lifecycle.EDITABLE and data.keys() - ANY_STATUS_FIELDS:
            raise ConflictError(
                f"A {locked.get_status_display().lower()} request cannot be edited.",
                code="not_editable",
                details={"current_status": locked.status},
            )
        _apply_request_data(locked, data)
        locked.save()
        _apply_request_relations(locked, data)
    return locked


def support_request_delete(*, support_request: SupportRequest) -> None:
    """Deletes a draft; a submitted request is cancelled instead, keeping its history."""
    deleted, _ = SupportRequest.objects.filter(
        pk=support_request.pk, status__in=lifecycle.EDITABLE
    ).delete()
    if not deleted:
        raise ConflictError(
            "Only a draft can be deleted; cancel a submitted request instead.",
            code="not_editable",
            details={"current_status": support_request.status},
        )


def _apply_request_data(support_request: SupportRequest, data: dict[str, Any]) -> None:
    findings = {
        name: [finding.message for finding in found]
        for name in REQUEST_TEXT_FIELDS
        if name in data
        and (found := privacy.find_pupil_identifiers(data[name], today=timezone.localdate()))
    }
    if findings:
        raise ApplicationError(
            "The request seems to hold pupil-identifying data; remove it and try again.",
            code="pupil_identifying_data",
            fields=findings,
        )
    for name in REQUEST_PLAIN_FIELDS:
        if name in data:
            setattr(support_request, name, data[name])
    if "primary_need" in data:
        support_request.primary_need = data["primary_need"]
    if support_request.scope != RequestScope.ONE_PUPIL:
        # Consent belongs to one-pupil requests only.
        support_request.parental_consent_obtained = False
        support_request.parental_consent_date = None
    elif not (support_request.parental_consent_obtained and support_request.parental_consent_date):
        raise ApplicationError(
            "A request about one pupil needs the parents' consent, with its date.",
            code="consent_required",
            fields={"parental_consent_date": ["Record that consent was obtained, and when."]},
        )


def _apply_request_relations(
    support_request: SupportRequest, data: dict[str, Any], *, new: bool = False
) -> None:
    """Writes the request's needs, topics and windows; ``new``: a row just inserted, which
    has none yet, so nothing is read or deleted first (one insert a relation, none when
    empty)."""
    if "needs" in data or "primary_need" in data:
        needs: list[Need] = data.get("needs") or list(support_request.needs.all())
        if support_request.primary_need_id not in {need.pk for need in needs}:
            raise ApplicationError(
                "The primary need must be one of the request's needs.",
                fields={"primary_need": ["Must be one of `needs`."]},
            )
        _replace(support_request.needs, needs, new=new)
    if "topics" in data:
        topics: list[Topic] = data["topics"]
        _replace(support_request.topics, topics, new=new)
    if "preferred_windows" in data:
        if not new:
            support_request.preferred_windows.all().delete()
        PreferredWindow.objects.bulk_create(
            PreferredWindow(request=support_request, **window)
            for window in data["preferred_windows"]
        )


def _replace(relation: Any, objects: list[Any], *, new: bool) -> None:
    """A to-many relation set to ``objects``; on a new row, added without reading it first."""
    if new:
        relation.add(*objects)
    else:
        relation.set(objects)
