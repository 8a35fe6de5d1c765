"""Writes on expert profiles: registering, editing, verification, suspension,
safeguarding, credentials and availability."""

from collections.abc import Iterable
from datetime import date, time
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.access import caller_scope
from accounts.models import School, User
from config.errors import ApplicationError, ConflictError
from exchange import access
from exchange.enums import VerificationStatus
from exchange.models import (
    FORMAT_FLAGS,
    PHASE_FLAGS,
    AvailabilityException,
    AvailabilityWindow,
    Credential,
    ExpertProfile,
    Specialism,
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
    if school.pk not in access.expert_home_schools(caller_scope(user=user)):
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
