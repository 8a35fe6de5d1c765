"""Writes for accounts: the GIAS import, API tokens and the user's own profile."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from itertools import islice
from typing import Any

from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import exceptions
from rest_framework.request import Request

from accounts.gias import ParsedRow, SchoolRecord
from accounts.models import LocalAuthority, School, SchoolNeedProvision, Trust, User

IMPORT_BATCH_SIZE = 500

# School columns that come straight from a record, with the same names.
_COPIED_FIELDS = tuple(
    f.name
    for f in fields(SchoolRecord)
    if f.name not in {"urn", "la_code", "la_name", "trust_code", "trust_name", "sen_provisions"}
)


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # (line, URN as written, reason)
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def schools_import_from_gias(*, rows: Iterable[ParsedRow]) -> ImportSummary:
    """Creates or updates schools, trusts and LAs from parsed GIAS rows.

    Idempotent: a school whose values did not change is not written at all, so importing
    the same file twice reports everything unchanged. Each batch commits on its own, so a
    50,000-row file does not hold one long transaction.
    """
    summary = ImportSummary()
    authorities = {la.code: la for la in LocalAuthority.objects.all()}
    trusts = {trust.code: trust for trust in Trust.objects.all()}
    for batch in _batches(rows, IMPORT_BATCH_SIZE):
        records = []
        for row in batch:
            if row.record is None:
                summary.rejected += 1
                summary.errors.append((row.line, row.urn, row.error))
            else:
                records.append(row.record)
        if records:
            with transaction.atomic():
                _import_batch(records, summary, authorities, trusts)
    return summary


def _batches(rows: Iterable[ParsedRow], size: int) -> Iterator[list[ParsedRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _import_batch(
    records: list[SchoolRecord],
    summary: ImportSummary,
    authorities: dict[str, LocalAuthority],
    trusts: dict[str, Trust],
) -> None:
    existing = School.objects.in_bulk([record.urn for record in records])
    provisions: dict[int, dict[str, str]] = {urn: {} for urn in existing}
    for provision in SchoolNeedProvision.objects.filter(school_id__in=existing):
        provisions[provision.school_id][provision.need_code] = provision.label

    to_create: list[School] = []
    to_update: list[School] = []
    # Schools whose SEN provision rows are (re)written: new ones and changed ones.
    provisions_to_write: list[SchoolRecord] = []
    now = timezone.now()
    for record in records:
        values = _school_values(record, authorities, trusts)
        school = existing.get(record.urn)
        if school is None:
            to_create.append(School(urn=record.urn, **values))
            provisions_to_write.append(record)
            summary.created += 1
            continue
        school_changed = any(getattr(school, name) != value for name, value in values.items())
        provisions_changed = provisions[record.urn] != dict(record.sen_provisions)
        if school_changed:
            for name, value in values.items():
                setattr(school, name, value)
            school.updated_at = now  # bulk_update does not apply auto_now
            to_update.append(school)
        if provisions_changed:
            provisions_to_write.append(record)
        if school_changed or provisions_changed:
            summary.updated += 1
        else:
            summary.unchanged += 1

    School.objects.bulk_create(to_create)
    if to_update:
        School.objects.bulk_update(to_update, [*_school_value_names(), "updated_at"])
    SchoolNeedProvision.objects.filter(
        school_id__in=[record.urn for record in provisions_to_write]
    ).delete()
    SchoolNeedProvision.objects.bulk_create(
        SchoolNeedProvision(school_id=record.urn, need_code=code, label=label)
        for record in provisions_to_write
        for code, label in record.sen_provisions
    )


def _school_value_names() -> list[str]:
    return [*_COPIED_FIELDS, "local_authority_id", "trust_id"]


def _school_values(
    record: SchoolRecord, authorities: dict[str, LocalAuthority], trusts: dict[str, Trust]
) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(record, name) for name in _COPIED_FIELDS}
    values["local_authority_id"] = _upsert(
        LocalAuthority, authorities, code=record.la_code, name=record.la_name
    ).pk
    values["trust_id"] = (
        _upsert(Trust, trusts, code=record.trust_code, name=record.trust_name).pk
        if record.trust_code
        else None
    )
    return values


def _upsert(model: type[Any], cache: dict[str, Any], *, code: str, name: str) -> Any:
    """Gets or creates an LA or trust by code, renaming it when GIAS renamed it."""
    instance = cache.get(code)
    if instance is None:
        instance = cache[code] = model.objects.create(code=code, name=name)
    elif instance.name != name:
        instance.name = name
        instance.save(update_fields=["name"])
    return instance


# --- API tokens -------------------------------------------------------------------------------


def token_create(*, user: User, sign_in: Request | None = None) -> tuple[AuthToken, str]:
    """Issues a new expiring API token; returns the row and the secret (shown once).

    A user may hold ``TOKEN_LIMIT_PER_USER`` live tokens (one per device); past that the
    oldest is revoked rather than refusing the sign-in. A sign-in (``sign_in``: the request
    that presented the password) is announced as Django's ``login()`` announces one, so its
    receivers run: ``last_login`` is set and django-axes forgets the failed attempts.
    """
    with transaction.atomic():
        tokens = AuthToken.objects.filter(user=user)
        tokens.filter(expiry__lt=timezone.now()).delete()
        limit = knox_settings.TOKEN_LIMIT_PER_USER
        if limit:
            surplus = tokens.order_by("-created").values_list("digest", flat=True)[limit - 1 :]
            AuthToken.objects.filter(digest__in=list(surplus)).delete()
        instance, secret = AuthToken.objects.create(user=user)
    if sign_in is not None:
        user_logged_in.send(sender=type(user), request=sign_in, user=user)
    else:
        update_last_login(type(user), user)
    return instance, secret


def token_refresh(*, token: AuthToken) -> tuple[AuthToken, str]:
    """Rotates a token: the presented one is revoked and a new one with a fresh expiry issued.

    Two refreshes of the same token race on the delete; only the one that deleted it gets a
    new token, so a stolen token cannot be refreshed alongside its owner's copy.
    """
    with transaction.atomic():
        deleted, _ = AuthToken.objects.filter(digest=token.digest).delete()
        if not deleted:
            raise exceptions.AuthenticationFailed(
                "This token was already refreshed or revoked.", code="token_revoked"
            )
        return token_create(user=token.user)


def token_revoke(*, token: AuthToken) -> None:
    AuthToken.objects.filter(digest=token.digest).delete()


def token_revoke_all(*, user: User) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def user_update_profile(*, user: User, full_name: str | None = None) -> User:
    if full_name is not None:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    return user
