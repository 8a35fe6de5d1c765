"""Every write in the library: writing and editing resources, their files, moderation,
helpful marks and problem reports.

Status changes are compare-and-swap updates from the status the caller saw
(``filter(pk=…, status=seen).update(…)``): of two admins deciding at once, one wins and the
other gets a 409 naming the status it found, never a silent overwrite.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from accounts.models import School, User
from config.errors import ApplicationError, ConflictError
from exchange.enums import NotificationKind
from exchange.models import ExpertProfile, Need, SupportRequest, Topic
from exchange.notifications import notify
from knowledge.selectors import session_report_for
from library import markdown, uploads
from library.enums import EDITABLE_STATUSES, TRANSITIONS, ResourceStatus, Visibility
from library.models import PHASE_FLAGS, HelpfulMark, ProblemReport, Resource, ResourceFile
from matching.selectors import local_today
from scheduling.enums import SessionStatus
from scheduling.models import Session

# The content fields an author sets (tags and phases are set separately).
CONTENT_FIELDS = (
    "title",
    "summary",
    "body",
    "links",
    "evidence_level",
    "outcome_request",
    "outcome_reference",
    "citation",
    "visibility",
)


@dataclass(frozen=True)
class Tags:
    needs: list[Need] | None = None
    topics: list[Topic] | None = None
    phases: list[str] | None = None


def _home_school(author: User, session: Session | None) -> School | None:
    """Whose resource it is: the author's home school as an expert; for an admin writing
    from a session, the session's expert's."""
    profile = ExpertProfile.objects.select_related("school").filter(user=author).first()
    if profile is not None:
        return profile.school
    return session.expert.school if session is not None else None


def _check_visibility(resource: Resource) -> None:
    if resource.visibility == Visibility.TRUST and resource.trust_id is None:
        raise ApplicationError(
            "The author's school belongs to no trust: choose `participants` or `everyone`.",
            fields={"visibility": ["The author's school belongs to no trust."]},
        )


def _set_phases(resource: Resource, phases: Iterable[str] | None) -> None:
    if phases is None:
        return
    chosen = set(phases)
    for value, flag in PHASE_FLAGS.items():
        setattr(resource, flag, value in chosen)


@transaction.atomic
def resource_create(
    *, by: User, session: Session | None = None, tags: Tags = Tags(), **content: Any
) -> Resource:
    """A new ``draft`` by ``by`` (an expert or an admin), optionally from ``session``."""
    school = _home_school(by, session)
    resource = Resource(
        author=by,
        school=school,
        trust_id=None if school is None else school.trust_id,
        session=session,
        **{name: value for name, value in content.items() if name in CONTENT_FIELDS},
    )
    return _save(resource, tags)


@transaction.atomic
def resource_update(
    *, resource: Resource, by: User, tags: Tags = Tags(), **content: Any
) -> Resource:
    """Changes a resource's content while it is not approved (else 409 ``not_editable``).
    Editing a rejected resource keeps it rejected until it is submitted again."""
    locked = Resource.objects.select_for_update().get(pk=resource.pk)
    _check_editable(locked)
    for name, value in content.items():
        if name in CONTENT_FIELDS:
            setattr(locked, name, value)
    return _save(locked, tags)


def _save(resource: Resource, tags: Tags) -> Resource:
    """Renders the body, applies the tags and checks the visibility, then writes."""
    resource.body_html = markdown.render(resource.body)
    _set_phases(resource, tags.phases)
    _check_visibility(resource)
    resource.save()
    if tags.needs is not None:
        resource.needs.set(tags.needs)
    if tags.topics is not None:
        resource.topics.set(tags.topics)
    return resource


@transaction.atomic
def resource_delete(*, resource: Resource, by: User) -> None:
    """Deletes a resource that is not approved (409 ``not_editable``), files and all."""
    locked = Resource.objects.select_for_update().get(pk=resource.pk)
    _check_editable(locked)
    stored = [row.file for row in locked.files.all()]
    locked.delete()
    transaction.on_commit(lambda: _delete_stored(stored))


def _move(resource: Resource, to: str, **changes: Any) -> None:
    """Compare-and-swap: moves the status from the one the caller saw (``resource.status``)
    to ``to``, if that move is allowed and nobody moved it meanwhile. The losing writer of
    a race learns it lost (409 naming the status it found) instead of overwriting."""
    seen = resource.status
    now = timezone.now()
    moved = (
        to in TRANSITIONS.get(seen, ())
        and Resource.objects.filter(pk=resource.pk, status=seen).update(
            status=to, status_changed_at=now, updated_at=now, **changes
        )
        == 1
    )
    if not moved:
        current = Resource.objects.filter(pk=resource.pk).values_list("status", flat=True).first()
        raise ConflictError(
            f"A {current} resource cannot become {to}.",
            code="illegal_transition",
            details={
                "current_status": current,
                "allowed": sorted(TRANSITIONS.get(current or "", ())),
            },
        )
    resource.refresh_from_db()


@transaction.atomic
def resource_submit(*, resource: Resource, by: User) -> Resource:
    """``draft`` or ``rejected`` → ``pending``: the author asks for an admin's review. A
    resource needs a body, a link or a file."""
    if not (resource.body.strip() or resource.links or resource.files.exists()):
        raise ApplicationError(
            "Add a body, a link or a file before submitting.",
            code="empty_resource",
            fields={"body": ["A resource needs a body, a link or a file."]},
        )
    _move(resource, ResourceStatus.PENDING, submitted_at=timezone.now())
    return resource


def default_review_by(today: date) -> date:
    return today + timedelta(days=settings.LIBRARY["REVIEW_AFTER_DAYS"])


@transaction.atomic
def resource_approve(*, resource: Resource, by: User, review_by: date | None = None) -> Resource:
    """``pending`` → ``approved`` (or ``approved`` again, renewing the review-by date): it
    becomes visible as its visibility says. The author is told."""
    today = local_today()
    review_by = review_by or default_review_by(today)
    if review_by <= today:
        raise ApplicationError(
            "The review-by date must be in the future.",
            fields={"review_by": ["Must be after today."]},
        )
    _move(
        resource,
        ResourceStatus.APPROVED,
        approved_at=timezone.now(),
        approved_by=by,
        review_by=review_by,
        rejection_reason="",
    )
    _tell_author(
        resource,
        NotificationKind.RESOURCE_APPROVED,
        f"Your resource was approved: {resource.title}",
        f"It is now visible to {resource.get_visibility_display().lower()}. "
        f"It is due for review by {review_by:%d %B %Y}.",
    )
    return resource


@transaction.atomic
def resource_reject(*, resource: Resource, by: User, reason: str) -> Resource:
    """``pending`` or ``approved`` → ``rejected``, with the reason the author is told. Only
    the participants see it again until it is resubmitted and approved."""
    _move(resource, ResourceStatus.REJECTED, rejection_reason=reason)
    _tell_author(
        resource,
        NotificationKind.RESOURCE_REJECTED,
        f"Your resource was not approved: {resource.title}",
        f"Reason: {reason}\nEdit it and submit it again when it is ready.",
    )
    return resource


def _tell_author(resource: Resource, kind: str, title: str, body: str) -> None:
    if resource.author is not None and resource.author.is_active:
        notify(users=[resource.author], kind=kind, title=title, body=body)


# --- from a session ----------------------------------------------------------------------------


def draft_body_from_session(session: Session) -> str:
    """The draft body a session gives: what the school wanted and had tried, then the
    expert's report of what was covered and the agreed next steps (``knowledge``'s
    ``SessionReport``); a prompt to fill in where the expert has written no report yet."""
    request = session.request
    report = session_report_for(session)
    held = session.starts_at.astimezone(timezone.get_current_timezone())
    parts = [
        f"_From a {session.get_format_display().lower()} on {held:%d %B %Y}._",
        "## What the school wanted to achieve",
        request.desired_outcome.strip(),
    ]
    if request.tried_so_far.strip():
        parts += ["## What had been tried", request.tried_so_far.strip()]
    if report is not None and report.covered.strip():
        parts += ["## What was covered", report.covered.strip()]
    else:
        parts += ["## What worked", "_Describe the strategies shared and how to use them._"]
    if report is not None and report.next_steps.strip():
        parts += ["## Next steps agreed", report.next_steps.strip()]
    return "\n\n".join(parts) + "\n"


@transaction.atomic
def resource_draft_from_session(
    *, session: Session, by: User, title: str, summary: str
) -> Resource:
    """A ``draft`` from a held session: its body from the session's notes, tagged with the
    request's needs, topics and phase, visible to the session's participants. 409
    ``session_not_completed`` before the session is held."""
    if session.status != SessionStatus.COMPLETED:
        raise ConflictError(
            "Only a session that was held can become a resource.",
            code="session_not_completed",
            details={"current_status": session.status},
        )
    request: SupportRequest = session.request
    return resource_create(
        by=by,
        session=session,
        tags=Tags(
            needs=list(request.needs.all()),
            topics=list(request.topics.all()),
            phases=[request.phase],
        ),
        title=title,
        summary=summary,
        body=draft_body_from_session(session),
        evidence_level="classroom_practice",
        visibility=Visibility.PARTICIPANTS,
    )


# --- files -------------------------------------------------------------------------------------


def _check_editable(resource: Resource) -> None:
    if resource.status not in EDITABLE_STATUSES:
        raise ConflictError(
            "An approved resource is not changed; an admin can reject it to reopen it.",
            code="not_editable",
            details={"current_status": resource.status},
        )


@transaction.atomic
def resource_file_add(*, resource: Resource, by: User, upload: UploadedFile) -> ResourceFile:
    """Stores an upload whose size and content type pass ``library.uploads``. The row
    is written after the storage has the file; if writing it fails, the stored file is
    deleted again."""
    locked = Resource.objects.select_for_update().get(pk=resource.pk)
    _check_editable(locked)
    limits = settings.LIBRARY
    if locked.files.count() >= limits["MAX_FILES_PER_RESOURCE"]:
        raise ConflictError(
            f"A resource has at most {limits['MAX_FILES_PER_RESOURCE']} files.",
            code="too_many_files",
        )
    checked = uploads.check_upload(
        name=upload.name or "",
        size=upload.size or 0,
        stream=upload,
        max_bytes=limits["MAX_FILE_BYTES"],
    )
    row = ResourceFile(
        resource=locked,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=by,
    )
    row.file.save(checked.name, upload, save=False)
    try:
        row.save()
    except Exception:
        _delete_stored([row.file])
        raise
    return row


def _delete_stored(files: Iterable[FieldFile]) -> None:
    for stored in files:
        if stored.name:
            stored.storage.delete(stored.name)


@transaction.atomic
def resource_file_delete(*, file: ResourceFile, by: User) -> None:
    locked = Resource.objects.select_for_update().get(pk=file.resource_id)
    _check_editable(locked)
    stored = file.file
    file.delete()
    # The bytes go once the row's deletion commits.
    transaction.on_commit(lambda: _delete_stored([stored]))


# --- readers -----------------------------------------------------------------------------------


def helpful_mark(*, resource: Resource, user: User) -> bool:
    """Marks the resource helpful for ``user``, once: the unique constraint decides, so two
    clicks at once count one. Returns whether this call added the mark."""
    try:
        with transaction.atomic():
            HelpfulMark.objects.create(resource=resource, user=user)
    except IntegrityError:
        return False
    return True


def helpful_unmark(*, resource: Resource, user: User) -> bool:
    return HelpfulMark.objects.filter(resource=resource, user=user).delete()[0] > 0


@transaction.atomic
def problem_report(*, resource: Resource, by: User, reason: str) -> ProblemReport:
    """A reader reports a problem; admins see open reports."""
    return ProblemReport.objects.create(resource=resource, reported_by=by, reason=reason)


@transaction.atomic
def problem_report_resolve(*, report: ProblemReport, by: User, resolution: str) -> ProblemReport:
    """Open → resolved, once (409 ``already_resolved``)."""
    resolved = ProblemReport.objects.filter(pk=report.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=by, resolution=resolution
    )
    if resolved != 1:
        raise ConflictError("This report was already resolved.", code="already_resolved")
    report.refresh_from_db()
    return report
