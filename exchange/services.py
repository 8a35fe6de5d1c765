"""Every write in the exchange: expert profiles, availability, support requests and their
lifecycle. Views validate input with a serializer and call exactly one of these."""

from collections.abc import Iterable
from datetime import date, time
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership, School, User
from config.errors import ApplicationError, ConflictError
from exchange import events, lifecycle, privacy
from exchange.enums import RequestScope, RequestStatus, VerificationStatus
from exchange.events import Event
from exchange.models import (
    FORMAT_FLAGS,
    PHASE_FLAGS,
    AvailabilityException,
    AvailabilityWindow,
    Credential,
    ExpertProfile,
    Need,
    PreferredWindow,
    Specialism,
    StatusChange,
    SupportRequest,
    Topic,
)

# --- expert profiles -------------------------------------------------------------------------

EXPERT_EDITABLE_FIELDS = (
    "bio",
    "age_min",
    "age_max",
    "max_travel_km",
    "sessions_per_week",
    "sessions_per_month",
    "days_per_term",
    "is_paused",
)


def expert_profile_create(*, user: User, school: School, **data: Any) -> ExpertProfile:
    """Registers the caller as an expert at a school where they hold an expert membership."""
    if not Membership.objects.filter(user=user, school=school, role=Role.EXPERT).exists():
        raise ApplicationError(
            "You can only register as an expert at a school where you hold an expert role.",
            fields={"school": ["You do not hold an expert role at this school."]},
        )
    with transaction.atomic():
        if ExpertProfile.objects.filter(user=user).exists():
            raise ConflictError("You already have an expert profile.", code="already_exists")
        expert = ExpertProfile(user=user, school=school)
        _apply_expert_data(expert, data)
        expert.save()
        _replace_specialisms(expert, data.get("specialisms", []))
    return expert


def expert_profile_update(*, expert: ExpertProfile, **data: Any) -> ExpertProfile:
    """Updates the fields the expert owns; ``specialisms``, when given, replace the set."""
    with transaction.atomic():
        expert = ExpertProfile.objects.select_for_update().get(pk=expert.pk)
        _apply_expert_data(expert, data)
        expert.save()
        if "specialisms" in data:
            _replace_specialisms(expert, data["specialisms"])
    return expert


def _apply_expert_data(expert: ExpertProfile, data: dict[str, Any]) -> None:
    for name in EXPERT_EDITABLE_FIELDS:
        if name in data:
            setattr(expert, name, data[name])
    for key, flags in (("formats", FORMAT_FLAGS), ("phases", PHASE_FLAGS)):
        if key in data:
            for value, flag in flags.items():
                setattr(expert, flag, value in data[key])
    _check_expert_consistency(expert)


def _check_expert_consistency(expert: ExpertProfile) -> None:
    # Checked on the merged values, so a PATCH of one bound is checked against the other.
    fields = {}
    if expert.age_min > expert.age_max:
        fields["age_max"] = ["Must not be below age_min."]
    if expert.sessions_per_week > expert.sessions_per_month:
        fields["sessions_per_week"] = ["Must not exceed sessions_per_month."]
    if fields:
        raise ApplicationError("The profile is not consistent.", fields=fields)


def _replace_specialisms(expert: ExpertProfile, specialisms: Iterable[dict[str, Any]]) -> None:
    expert.specialisms.all().delete()
    Specialism.objects.bulk_create(
        Specialism(
            expert=expert, need=item.get("need"), topic=item.get("topic"), level=item["level"]
        )
        for item in specialisms
    )


def expert_verify(*, expert: ExpertProfile) -> ExpertProfile:
    ExpertProfile.objects.filter(pk=expert.pk).update(is_verified=True, verified_at=timezone.now())
    expert.refresh_from_db()
    return expert


def expert_suspend(*, expert: ExpertProfile, reason: str) -> ExpertProfile:
    ExpertProfile.objects.filter(pk=expert.pk).update(is_suspended=True, suspended_reason=reason)
    expert.refresh_from_db()
    return expert


def expert_unsuspend(*, expert: ExpertProfile) -> ExpertProfile:
    ExpertProfile.objects.filter(pk=expert.pk).update(is_suspended=False, suspended_reason="")
    expert.refresh_from_db()
    return expert


def expert_confirm_safeguarding(
    *, expert: ExpertProfile, confirmed_by: User, expires_on: date
) -> ExpertProfile:
    """Records the employer's confirmation that safeguarding checks are done (no DBS data)."""
    if expires_on <= timezone.localdate():
        raise ApplicationError(
            "The confirmation must expire in the future.",
            fields={"expires_on": ["Must be a future date."]},
        )
    ExpertProfile.objects.filter(pk=expert.pk).update(
        safeguarding_confirmed_by=confirmed_by,
        safeguarding_confirmed_at=timezone.now(),
        safeguarding_expires_on=expires_on,
    )
    expert.refresh_from_db()
    return expert


def credential_add(*, expert: ExpertProfile, **data: Any) -> Credential:
    """Adds a credential, pending until an admin verifies it."""
    return Credential.objects.create(expert=expert, status=VerificationStatus.PENDING, **data)


def credential_delete(*, credential: Credential) -> None:
    credential.delete()


def credentials_set_status(*, credentials: QuerySet[Credential], status: str, by: User) -> int:
    """Verifies or rejects credentials, recording who did it and when."""
    return credentials.update(status=status, verified_by=by, verified_at=timezone.now())


# --- availability ----------------------------------------------------------------------------


def availability_window_create(
    *, expert: ExpertProfile, weekday: int, start_time: time, end_time: time
) -> AvailabilityWindow:
    with transaction.atomic():
        _lock_and_check_overlap(expert, weekday, start_time, end_time, exclude_pk=None)
        return AvailabilityWindow.objects.create(
            expert=expert, weekday=weekday, start_time=start_time, end_time=end_time
        )


def availability_window_update(
    *, window: AvailabilityWindow, weekday: int, start_time: time, end_time: time
) -> AvailabilityWindow:
    with transaction.atomic():
        _lock_and_check_overlap(window.expert, weekday, start_time, end_time, exclude_pk=window.pk)
        window.weekday, window.start_time, window.end_time = weekday, start_time, end_time
        window.save(update_fields=["weekday", "start_time", "end_time"])
    return window


def availability_window_delete(*, window: AvailabilityWindow) -> None:
    window.delete()


def _lock_and_check_overlap(
    expert: ExpertProfile, weekday: int, start: time, end: time, exclude_pk: int | None
) -> None:
    # Lock the expert so two concurrent writes cannot both pass the check.
    ExpertProfile.objects.select_for_update().filter(pk=expert.pk).first()
    overlapping = AvailabilityWindow.objects.filter(
        expert=expert, weekday=weekday, start_time__lt=end, end_time__gt=start
    )
    if exclude_pk is not None:
        overlapping = overlapping.exclude(pk=exclude_pk)
    clash = overlapping.first()
    if clash is not None:
        raise ApplicationError(
            "This window overlaps another one on the same day.",
            code="overlapping_window",
            fields={
                "start_time": [
                    f"Overlaps the window {clash.start_time:%H:%M}–{clash.end_time:%H:%M}."
                ]
            },
        )


def availability_exception_create(*, expert: ExpertProfile, **data: Any) -> AvailabilityException:
    return AvailabilityException.objects.create(expert=expert, **data)


def availability_exception_delete(*, exception: AvailabilityException) -> None:
    exception.delete()


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
)


def support_request_create(*, school: School, created_by: User, **data: Any) -> SupportRequest:
    """Creates a request in ``draft``."""
    support_request = SupportRequest(school=school, created_by=created_by)
    with transaction.atomic():
        _apply_request_data(support_request, data)
        support_request.save()
        _apply_request_relations(support_request, data)
    return support_request


def support_request_update(*, support_request: SupportRequest, **data: Any) -> SupportRequest:
    """Edits a request's content; only drafts can be edited."""
    with transaction.atomic():
        locked = SupportRequest.objects.select_for_update().get(pk=support_request.pk)
        if locked.status not in lifecycle.EDITABLE:
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


def _apply_request_relations(support_request: SupportRequest, data: dict[str, Any]) -> None:
    if "needs" in data or "primary_need" in data:
        needs: list[Need] = data.get("needs") or list(support_request.needs.all())
        if support_request.primary_need_id not in {need.pk for need in needs}:
            raise ApplicationError(
                "The primary need must be one of the request's needs.",
                fields={"primary_need": ["Must be one of `needs`."]},
            )
        support_request.needs.set(needs)
    if "topics" in data:
        topics: list[Topic] = data["topics"]
        support_request.topics.set(topics)
    if "preferred_windows" in data:
        support_request.preferred_windows.all().delete()
        PreferredWindow.objects.bulk_create(
            PreferredWindow(request=support_request, **window)
            for window in data["preferred_windows"]
        )


def support_request_transition(
    *,
    support_request_id: int,
    to_status: str,
    by: User | None,
    reason: str = "",
    from_statuses: Iterable[str] | None = None,
) -> SupportRequest:
    """Moves a request to ``to_status`` if the lifecycle allows it from its current status.

    A compare-and-swap update: of two concurrent transitions from the same status, exactly
    one matches the row; the other gets a 409 naming the status it lost to.
    """
    with transaction.atomic():
        current = (
            SupportRequest.objects.filter(pk=support_request_id)
            .values_list("status", flat=True)
            .get()
        )
        allowed_from = set(from_statuses) if from_statuses is not None else None
        if not lifecycle.can_move(current, to_status) or (
            allowed_from is not None and current not in allowed_from
        ):
            raise _illegal_transition(current, to_status)
        now = timezone.now()
        changes: dict[str, Any] = {"status": to_status, "status_changed_at": now}
        if to_status == RequestStatus.SUBMITTED:
            changes["submitted_at"] = now
        moved = SupportRequest.objects.filter(pk=support_request_id, status=current).update(
            **changes
        )
        if moved != 1:
            latest = SupportRequest.objects.values_list("status", flat=True).get(
                pk=support_request_id
            )
            raise _illegal_transition(latest, to_status, concurrent=True)
        StatusChange.objects.create(
            request_id=support_request_id,
            from_status=current,
            to_status=to_status,
            changed_by=by,
            reason=reason,
        )
    return SupportRequest.objects.get(pk=support_request_id)


def _illegal_transition(current: str, to_status: str, concurrent: bool = False) -> ConflictError:
    message = f"A request that is {current} cannot become {to_status}."
    if concurrent:
        message = (
            f"The request changed to {current} while this was being done; "
            "check its status and try again."
        )
    return ConflictError(
        message,
        code="illegal_transition",
        details={"current_status": current, "allowed": lifecycle.allowed_next(current)},
    )


def support_request_submit(
    *, support_request: SupportRequest, by: User, reason: str = ""
) -> SupportRequest:
    """``draft → submitted``; records ``support_request.submitted``, so a worker proposes
    experts (through the outbox: the task exists exactly when the submission commits)."""
    with transaction.atomic():
        submitted = support_request_transition(
            support_request_id=support_request.pk,
            to_status=RequestStatus.SUBMITTED,
            by=by,
            reason=reason,
        )
        events.record(Event.REQUEST_SUBMITTED, support_request_id=support_request.pk)
    return submitted


def support_request_close(
    *, support_request: SupportRequest, by: User, reason: str = ""
) -> SupportRequest:
    """``completed`` or ``unmatched`` → ``closed``."""
    return support_request_transition(
        support_request_id=support_request.pk, to_status=RequestStatus.CLOSED, by=by, reason=reason
    )
