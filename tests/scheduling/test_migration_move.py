"""Issue #9: a database in use migrates from before scheduling became an app of its own
(``exchange`` 0007, the migrations main ran) to the latest migrations without losing a row,
and the admin permissions granted on the moved models carry over.

The test database is shared with the other tests, so each test migrates it back with Django's
own ``MigrationExecutor``, writes rows with the historical models of that state, migrates it
forward and reads them back with the current models. The ``before_the_move`` fixture migrates
it forward again in its teardown, whatever happened, so the tests that follow find it fully
migrated.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from celery import current_app
from django.apps.registry import Apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from exchange import outbox
from exchange.models import Notification, OutboxMessage
from scheduling import tasks as scheduling_tasks
from scheduling.models import CalendarFeed, Reminder, Session, SessionChange

# Migrating needs committed transactions (``committing_db``: serialized_rollback restores
# the migrated data that the flush after each such test removes).
from tests.postgres import committing_db, postgres_only

BEFORE_THE_MOVE = [("exchange", "0007_notification_kind_proposal_reminder"), ("scheduling", None)]
# The migrations of the move, unapplied before it.
THE_MOVE = [
    ("scheduling", "0001_initial"),
    ("exchange", "0008_scheduling_models_move_out"),
    ("exchange", "0009_outboxmessage_event"),
]
MOVED = ("session", "sessionchange", "reminder", "calendarfeed")
# The historical model before the move, and the current one after it: the same table.
MOVED_MODELS: dict[str, type[Model]] = {
    "Session": Session,
    "SessionChange": SessionChange,
    "Reminder": Reminder,
    "CalendarFeed": CalendarFeed,
}
STAYING_MODELS: dict[str, type[Model]] = {
    "Notification": Notification,
    "OutboxMessage": OutboxMessage,
}
RENAMED_TASKS = {
    "exchange.offer_slots": "scheduling.offer_slots",
    "exchange.send_reminders": "scheduling.send_reminders",
    "exchange.lapse_offers": "scheduling.lapse_offers",
}
NO_OVERLAP = "exchange_session_no_overlap"


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    """Migrates the test database to ``targets``; returns an executor whose loader knows
    the migrations now applied."""
    MigrationExecutor(connection).migrate(targets)
    # ContentType.objects caches content types by id and by label: the move relabels them.
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection)


def migrate_to_latest() -> MigrationExecutor:
    return migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def applied_state_apps(executor: MigrationExecutor) -> Apps:
    """The historical models of the migrations applied now (every app, admin's included)."""
    applied = set(executor.loader.applied_migrations)
    graph = executor.loader.graph
    leaves = [key for key in applied if not applied & graph.node_map[key].children]
    return executor.loader.project_state(leaves).apps


def columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {
            column.name for column in connection.introspection.get_table_description(cursor, table)
        }


def constraint_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def rows(model: type[Model], fields: list[str]) -> list[dict[str, Any]]:
    return list(model._default_manager.order_by("pk").values(*fields))


def concrete_columns(model: type[Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@pytest.fixture
def before_the_move(transactional_db) -> Iterator[Apps]:
    """The test database as main left it (before scheduling's move); its historical models.
    Migrates the database forward to the latest migrations afterwards, even on a failure."""
    try:
        executor = migrate(BEFORE_THE_MOVE)
        yield applied_state_apps(executor)
    finally:
        migrate_to_latest()


@dataclass
class Seeded:
    """What a database in use holds before the move, written with the historical models."""

    session_id: int
    request_id: int
    accepted_request_id: int
    lapsed_offer_id: int
    expert_id: int
    attendee_ids: set[int]
    starts_at: datetime
    ends_at: datetime
    reminder_sent_id: int
    reminder_sent_at: datetime
    reminder_due_id: int
    feed_digest: str
    notification_id: int
    outbox_ids: dict[str, int]
    content_type_ids: dict[str, int]
    staff_id: int
    group_member_id: int
    log_entry_id: int
    # Every row of the moved tables and the staying ones, as the historical models read them.
    tables: dict[str, list[dict[str, Any]]]
    attendee_rows: list[tuple[int, int]]


def seed(apps: Apps) -> Seeded:
    """A confirmed session with its attendees, history, reminders, a calendar feed, a
    notification, outbox rows queued under the old task names, and the content types and
    permissions a database in use has (with an admin grant and a log entry on the session)."""
    now = timezone.now()
    LocalAuthority = apps.get_model("accounts", "LocalAuthority")
    School = apps.get_model("accounts", "School")
    HistoricalUser = apps.get_model("accounts", "User")
    Need = apps.get_model("exchange", "Need")
    ExpertProfile = apps.get_model("exchange", "ExpertProfile")
    SupportRequest = apps.get_model("exchange", "SupportRequest")
    HistoricalSession = apps.get_model("exchange", "Session")

    borough = LocalAuthority.objects.create(code="990", name="Migration Borough")
    school_fields = {"local_authority": borough, "phase": "primary", "gias_status": "Open"}
    mainstream = School.objects.create(
        urn=990001,
        name="Mainstream Primary",
        type_name="Community school",
        type_group="Local authority maintained schools",
        kind="mainstream",
        **school_fields,
    )
    special = School.objects.create(
        urn=990002,
        name="Special School",
        type_name="Community special school",
        type_group="Special schools",
        kind="special",
        **school_fields,
    )
    senco = HistoricalUser.objects.create(email="senco@migration.test", full_name="Sam Senco")
    expert_user = HistoricalUser.objects.create(
        email="expert@migration.test", full_name="Alex Expert"
    )
    staff = HistoricalUser.objects.create(email="staff@migration.test", is_staff=True)
    group_member = HistoricalUser.objects.create(email="coordinator@migration.test")
    expert = ExpertProfile.objects.create(
        user=expert_user,
        school=special,
        is_verified=True,
        offers_observation_visit=True,
        offers_video_call=True,
        serves_primary=True,
        sessions_per_week=5,
        sessions_per_month=20,
    )
    for weekday in range(5):
        apps.get_model("exchange", "AvailabilityWindow").objects.create(
            expert=expert, weekday=weekday, start_time=time(9), end_time=time(15)
        )
    request_fields = {
        "scope": "class",
        "phase": "primary",
        "sen_status": "sen_support",
        "context": "Finds transitions hard.",
        "desired_outcome": "Calmer transitions.",
        "primary_need": Need.objects.get(code="ASD"),
        "school": mainstream,
        "created_by": senco,
    }
    support_request = SupportRequest.objects.create(
        title="Supporting a pupil with autism in Year 3",
        format="observation_visit",
        status="scheduled",
        **request_fields,
    )
    # Accepted by the expert, its slots not offered yet: the queued offer_slots is its.
    accepted_request = SupportRequest.objects.create(
        title="Visual timetables for Year 5",
        format="video_call",
        status="accepted",
        **request_fields,
    )
    apps.get_model("matching", "Proposal").objects.create(
        request=accepted_request,
        expert=expert,
        policy=apps.get_model("matching", "MatchingPolicy").objects.get(is_active=True),
        status="accepted",
        score=80,
        delivery_format="video_call",
        expires_at=now + timedelta(days=5),
        remind_at=now + timedelta(days=4),
        decided_at=now - timedelta(hours=1),
    )

    # In half an hour: its hour-before reminder is due and unsent, the day-before one sent.
    starts_at = now + timedelta(minutes=30)
    ends_at = starts_at + timedelta(hours=2)
    session = HistoricalSession.objects.create(
        request=support_request,
        expert=expert,
        starts_at=starts_at,
        ends_at=ends_at,
        format="observation_visit",
        location="Mainstream Primary, Room 4",
        status="confirmed",
        sequence=1,
        confirmed_at=now - timedelta(days=3),
    )
    session.attendees.set([senco, expert_user])
    # An offer of the scheduled request the school never took up: the queued lapse_offers
    # cancels it.
    lapsed_offer = HistoricalSession.objects.create(
        request=support_request,
        expert=expert,
        starts_at=starts_at + timedelta(days=3),
        ends_at=starts_at + timedelta(days=3, hours=1),
        format="video_call",
        status="offered",
        offered_until=now - timedelta(hours=1),
    )
    apps.get_model("exchange", "SessionChange").objects.create(
        session=session, kind="confirmed", changed_by=senco, reason="Suits us."
    )
    HistoricalReminder = apps.get_model("exchange", "Reminder")
    reminder_sent_at = starts_at - timedelta(hours=24) + timedelta(seconds=42)
    reminder_sent = HistoricalReminder.objects.create(
        session=session,
        kind="24h",
        due_at=starts_at - timedelta(hours=24),
        sent_at=reminder_sent_at,
    )
    reminder_due = HistoricalReminder.objects.create(
        session=session, kind="1h", due_at=starts_at - timedelta(hours=1)
    )
    feed_digest = "5f" * 32
    apps.get_model("exchange", "CalendarFeed").objects.create(
        user=expert_user, token_digest=feed_digest
    )
    notification = apps.get_model("exchange", "Notification").objects.create(
        user=senco,
        kind="session_confirmed",
        title="Session confirmed",
        request=support_request,
        session=session,
    )
    HistoricalOutbox = apps.get_model("exchange", "OutboxMessage")
    outbox_kwargs = {
        "exchange.offer_slots": {"support_request_id": accepted_request.pk},
        "exchange.send_reminders": {},
        "exchange.lapse_offers": {},
    }
    outbox_ids = {
        task_name: HistoricalOutbox.objects.create(task_name=task_name, kwargs=kwargs).pk
        for task_name, kwargs in outbox_kwargs.items()
    }

    # Content types and permissions as a database in use has them: made by post_migrate
    # when these were the exchange's models (the test database's own, relabelled back by
    # the reverse migration, are reused).
    HistoricalContentType = apps.get_model("contenttypes", "ContentType")
    HistoricalPermission = apps.get_model("auth", "Permission")
    content_types = {
        model: HistoricalContentType.objects.get_or_create(app_label="exchange", model=model)[0]
        for model in MOVED
    }
    session_type = content_types["session"]
    view_session = HistoricalPermission.objects.get_or_create(
        content_type=session_type, codename="view_session", defaults={"name": "Can view session"}
    )[0]
    change_session = HistoricalPermission.objects.get_or_create(
        content_type=session_type,
        codename="change_session",
        defaults={"name": "Can change session"},
    )[0]
    staff.user_permissions.add(view_session)
    group = apps.get_model("auth", "Group").objects.create(name="Session coordinators")
    group.permissions.add(view_session, change_session)
    group_member.groups.add(group)
    log_entry = apps.get_model("admin", "LogEntry").objects.create(
        user=staff,
        content_type=session_type,
        object_id=str(session.pk),
        object_repr=f"Session #{session.pk} (confirmed)",
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Location"]}}]',
    )

    tables = {}
    for name in (*MOVED_MODELS, *STAYING_MODELS):
        model = apps.get_model("exchange", name)
        tables[name] = rows(model, concrete_columns(model))
    attendee_rows = list(
        HistoricalSession.attendees.through.objects.order_by("pk").values_list(
            "session_id", "user_id"
        )
    )
    return Seeded(
        session_id=session.pk,
        request_id=support_request.pk,
        accepted_request_id=accepted_request.pk,
        lapsed_offer_id=lapsed_offer.pk,
        expert_id=expert.pk,
        attendee_ids={senco.pk, expert_user.pk},
        starts_at=starts_at,
        ends_at=ends_at,
        reminder_sent_id=reminder_sent.pk,
        reminder_sent_at=reminder_sent_at,
        reminder_due_id=reminder_due.pk,
        feed_digest=feed_digest,
        notification_id=notification.pk,
        outbox_ids=outbox_ids,
        content_type_ids={model: content_type.pk for model, content_type in content_types.items()},
        staff_id=staff.pk,
        group_member_id=group_member.pk,
        log_entry_id=log_entry.pk,
        tables=tables,
        attendee_rows=attendee_rows,
    )


@committing_db
def test_migrating_back_to_before_the_move_unapplies_it(before_the_move):
    applied = MigrationExecutor(connection).loader.applied_migrations

    assert BEFORE_THE_MOVE[0] in applied
    assert not set(THE_MOVE) & set(applied)
    # exchange 0009 was really reversed: its column is gone; the tables never moved.
    assert "event" not in columns("exchange_outboxmessage")
    assert {"exchange_session", "exchange_session_attendees", "exchange_reminder"} <= set(
        connection.introspection.table_names()
    )
    # The reverse migration gave the test database's content types back to the exchange.
    assert not ContentType.objects.filter(app_label="scheduling", model__in=MOVED).exists()
    assert ContentType.objects.filter(app_label="exchange", model__in=MOVED).count() == 4
    assert before_the_move.get_model("exchange", "Session")._meta.db_table == "exchange_session"


@committing_db
def test_migrating_a_database_in_use_keeps_every_row_with_its_ids_and_values(before_the_move):
    seeded = seed(before_the_move)

    migrate_to_latest()

    for name, model in {**MOVED_MODELS, **STAYING_MODELS}.items():
        before = seeded.tables[name]
        assert before, name
        assert rows(model, list(before[0])) == before, name
    assert (
        list(Session.attendees.through.objects.order_by("pk").values_list("session_id", "user_id"))
        == seeded.attendee_rows
    )
    session = Session.objects.get(pk=seeded.session_id)
    assert (session.starts_at, session.ends_at) == (seeded.starts_at, seeded.ends_at)
    assert session.status == "confirmed"
    assert (session.request_id, session.expert_id) == (seeded.request_id, seeded.expert_id)
    assert {user.pk for user in session.attendees.all()} == seeded.attendee_ids
    assert list(session.changes.values_list("kind", flat=True)) == ["confirmed"]
    assert dict(session.reminders.values_list("pk", "sent_at")) == {
        seeded.reminder_sent_id: seeded.reminder_sent_at,
        seeded.reminder_due_id: None,
    }
    assert CalendarFeed.objects.get().token_digest == seeded.feed_digest
    notification = Notification.objects.get(pk=seeded.notification_id)
    assert notification.session_id == seeded.session_id
    assert notification.session == session


@committing_db
def test_queued_outbox_rows_keep_their_old_task_names_unpublished(before_the_move):
    seeded = seed(before_the_move)

    migrate_to_latest()

    messages = {message.pk: message for message in OutboxMessage.objects.all()}
    assert set(messages) == set(seeded.outbox_ids.values())
    for task_name, message_id in seeded.outbox_ids.items():
        message = messages[message_id]
        assert message.task_name == task_name
        assert message.published_at is None
        assert message.claimed_at is None
        assert message.attempts == 0
        # Queued before events existed: the new column is blank, not null.
        assert message.event == ""
    assert messages[seeded.outbox_ids["exchange.offer_slots"]].kwargs == {
        "support_request_id": seeded.accepted_request_id
    }


@committing_db
def test_content_types_move_with_their_ids_so_permissions_and_log_entries_carry_over(
    before_the_move,
):
    seeded = seed(before_the_move)

    migrate_to_latest()
    # What `manage.py migrate` does next: it must find the moved content types and
    # permissions, not make a second set.
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)

    moved = dict(
        ContentType.objects.filter(app_label="scheduling", model__in=MOVED).values_list(
            "model", "pk"
        )
    )
    assert moved == seeded.content_type_ids
    assert not ContentType.objects.filter(app_label="exchange", model__in=MOVED).exists()
    assert ContentType.objects.get_for_model(Session).pk == seeded.content_type_ids["session"]
    # One set of permissions, on the moved content types (django.contrib.sessions has a
    # "session" model too: hence the app labels).
    permissions = Permission.objects.filter(
        content_type__app_label__in=("exchange", "scheduling"), content_type__model__in=MOVED
    )
    assert sorted(permissions.values_list("content_type_id", "codename")) == sorted(
        (moved[model], f"{action}_{model}")
        for model in MOVED
        for action in ("add", "change", "delete", "view")
    )
    # Fetched again: Django caches a user's permissions on the instance.
    staff = User.objects.get(pk=seeded.staff_id)
    assert staff.has_perm("scheduling.view_session")
    assert not staff.has_perm("scheduling.change_session")
    assert not staff.has_perm("exchange.view_session")
    member = User.objects.get(pk=seeded.group_member_id)
    assert member.has_perm("scheduling.view_session")
    assert member.has_perm("scheduling.change_session")
    assert Group.objects.get(name="Session coordinators").permissions.count() == 2
    entry = LogEntry.objects.get(pk=seeded.log_entry_id)
    assert entry.content_type_id == seeded.content_type_ids["session"]
    assert entry.get_edited_object() == Session.objects.get(pk=seeded.session_id)
    assert entry.get_admin_url() == f"/admin/scheduling/session/{seeded.session_id}/change/"


@committing_db
def test_content_types_a_rollback_left_behind_give_way_to_the_exchange_ones(before_the_move):
    # `manage.py migrate scheduling zero` with this code ends with post_migrate, which makes
    # fresh scheduling content types (and permissions) beside the exchange's given back.
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    strays = set(
        ContentType.objects.filter(app_label="scheduling", model__in=MOVED).values_list(
            "pk", flat=True
        )
    )
    assert len(strays) == 4
    seeded = seed(before_the_move)

    migrate_to_latest()
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)

    moved = ContentType.objects.filter(app_label__in=("exchange", "scheduling"), model__in=MOVED)
    assert dict(moved.values_list("model", "pk")) == seeded.content_type_ids
    assert set(moved.values_list("app_label", flat=True)) == {"scheduling"}
    assert not ContentType.objects.filter(pk__in=strays).exists()
    assert not Permission.objects.filter(content_type_id__in=strays).exists()
    assert Permission.objects.filter(content_type__in=moved).count() == 4 * len(MOVED)
    assert User.objects.get(pk=seeded.staff_id).has_perm("scheduling.view_session")
    entry = LogEntry.objects.get(pk=seeded.log_entry_id)
    assert entry.get_edited_object().pk == seeded.session_id


@committing_db
def test_rolling_the_move_back_keeps_the_rows_and_gives_the_content_types_back(
    before_the_move,
):
    seeded = seed(before_the_move)
    migrate_to_latest()

    executor = migrate(BEFORE_THE_MOVE)

    apps = applied_state_apps(executor)
    for name in (*MOVED_MODELS, *STAYING_MODELS):
        model = apps.get_model("exchange", name)
        assert rows(model, concrete_columns(model)) == seeded.tables[name], name
    assert (
        dict(
            ContentType.objects.filter(app_label="exchange", model__in=MOVED).values_list(
                "model", "pk"
            )
        )
        == seeded.content_type_ids
    )
    assert not ContentType.objects.filter(app_label="scheduling", model__in=MOVED).exists()
    assert User.objects.get(pk=seeded.staff_id).has_perm("exchange.view_session")


@committing_db
def test_the_moved_tables_keep_every_index_and_constraint(before_the_move):
    seed(before_the_move)
    declared = {
        model._meta.db_table: {
            item.name for item in (*model._meta.indexes, *model._meta.constraints)
        }
        for model in MOVED_MODELS.values()
    }

    migrate_to_latest()

    for table, names in declared.items():
        assert names <= constraint_names(table), table


@committing_db
@postgres_only("PostgreSQL exclusion constraint")
def test_the_no_overlap_constraint_survives_the_move_and_still_refuses_overlaps(before_the_move):
    seeded = seed(before_the_move)
    assert NO_OVERLAP in constraint_names("exchange_session")

    migrate_to_latest()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contype, conrelid::regclass::text FROM pg_constraint WHERE conname = %s",
            [NO_OVERLAP],
        )
        assert cursor.fetchall() == [("x", "exchange_session")]
    overlapping = {
        "request_id": seeded.request_id,
        "expert_id": seeded.expert_id,
        "format": "observation_visit",
        "status": "offered",
    }
    with pytest.raises(IntegrityError, match=NO_OVERLAP), transaction.atomic():
        Session.objects.create(
            starts_at=seeded.starts_at + timedelta(hours=1),
            ends_at=seeded.ends_at + timedelta(hours=1),
            **overlapping,
        )
    # Back to back is not an overlap: the constraint refuses only what it should.
    Session.objects.create(
        starts_at=seeded.ends_at, ends_at=seeded.ends_at + timedelta(hours=1), **overlapping
    )
    assert Session.objects.filter(expert_id=seeded.expert_id).count() == 3


@pytest.mark.parametrize(("old_name", "new_name"), RENAMED_TASKS.items())
def test_old_task_names_are_aliases_of_the_renamed_tasks(old_name, new_name):
    old, new = current_app.tasks[old_name], current_app.tasks[new_name]

    assert old.__wrapped__ is new.__wrapped__
    assert new.__wrapped__ is getattr(scheduling_tasks, new_name.split(".")[1]).__wrapped__
    assert (old.max_retries, old.autoretry_for) == (new.max_retries, new.autoretry_for)


@committing_db
def test_messages_queued_under_the_old_names_run_after_the_move(
    before_the_move, eager_tasks, mailoutbox, caplog
):
    seeded = seed(before_the_move)
    migrate_to_latest()
    started = timezone.now()

    for message_id in seeded.outbox_ids.values():
        assert outbox.publish(message_id)

    # A task failing in-process is logged and its row marked published: none failed.
    assert [record for record in caplog.records if record.levelname == "ERROR"] == []
    for message in OutboxMessage.objects.filter(pk__in=seeded.outbox_ids.values()):
        assert message.published_at is not None
        assert (message.attempts, message.last_error) == (1, "")
    # exchange.offer_slots offered the accepted request the expert's free times.
    offers = Session.objects.filter(request_id=seeded.accepted_request_id)
    assert offers.exists()
    for offer in offers:
        assert (offer.status, offer.expert_id, offer.format) == (
            "offered",
            seeded.expert_id,
            "video_call",
        )
        assert offer.starts_at > started
        assert offer.offered_until > started
    # exchange.send_reminders sent the due hour-before reminder, to both attendees, once.
    reminders = dict(Reminder.objects.values_list("pk", "sent_at"))
    assert reminders[seeded.reminder_sent_id] == seeded.reminder_sent_at
    assert reminders[seeded.reminder_due_id] >= started
    sent = Notification.objects.filter(kind="reminder_1h", session_id=seeded.session_id)
    assert sorted(sent.values_list("user_id", flat=True)) == sorted(seeded.attendee_ids)
    reminder_emails = [email for email in mailoutbox if email.subject.startswith("Reminder")]
    assert sorted(email.to[0] for email in reminder_emails) == [
        "expert@migration.test",
        "senco@migration.test",
    ]
    assert all(email.attachments[0][0] == "session.ics" for email in reminder_emails)
    # exchange.lapse_offers cancelled the lapsed offer, and only that.
    lapsed = Session.objects.get(pk=seeded.lapsed_offer_id)
    assert lapsed.status == "cancelled"
    assert lapsed.cancelled_at >= started
    assert Session.objects.get(pk=seeded.session_id).status == "confirmed"
