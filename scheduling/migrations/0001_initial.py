"""Scheduling becomes an app of its own: its four models move here from ``exchange``.

Only Django's idea of the models moves (``state_operations``); the tables, their rows, the
indexes and constraints (``exchange_session_no_overlap``, the exclusion constraint of
``exchange`` 0005, included) stay exactly where they are: the models keep the exchange's
table names. The content types move with them, so admin permissions (and admin log
entries) granted on sessions, reminders, session changes and calendar feeds carry over.
``exchange`` 0008 then forgets the models on its side.
"""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

MOVED = ("session", "sessionchange", "reminder", "calendarfeed")


def move_content_types(apps, schema_editor, source="exchange", target="scheduling"):
    """Relabels the moved models' content types, so permissions keep pointing at them. A
    database migrated from scratch has none yet (they are made after migrating): nothing to
    do. One that somehow has both keeps the source's, which the permissions point at."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:
            continue
        ContentType.objects.using(db).filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="scheduling", target="exchange")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('exchange', '0007_notification_kind_proposal_reminder'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Session',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('uid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('sequence', models.PositiveIntegerField(default=0, help_text='iCalendar SEQUENCE.')),
                        ('starts_at', models.DateTimeField()),
                        ('ends_at', models.DateTimeField()),
                        ('format', models.CharField(choices=[('observation_visit', 'Observation visit'), ('consultation', 'Consultation'), ('staff_training', 'Staff training for a group'), ('video_call', 'Video call')], max_length=24)),
                        ('location', models.CharField(blank=True, max_length=300)),
                        ('video_link', models.URLField(blank=True)),
                        ('status', models.CharField(choices=[('offered', 'Offered to the school'), ('confirmed', 'Confirmed'), ('completed', 'Completed'), ('cancelled', 'Cancelled'), ('no_show', 'No-show')], default='offered', max_length=12)),
                        ('offered_until', models.DateTimeField(blank=True, help_text='An unconfirmed offer lapses then, freeing the time.', null=True)),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                        ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                        ('cancel_reason', models.CharField(blank=True, max_length=500)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('attendees', models.ManyToManyField(blank=True, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('expert', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sessions', to='exchange.expertprofile')),
                        ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sessions', to='exchange.supportrequest')),
                    ],
                    options={
                        'db_table': 'exchange_session',
                        'ordering': ['starts_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Reminder',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('24h', '24 hours before'), ('1h', '1 hour before')], max_length=4)),
                        ('due_at', models.DateTimeField()),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='scheduling.session')),
                    ],
                    options={
                        'db_table': 'exchange_reminder',
                        'ordering': ['due_at'],
                    },
                ),
                migrations.CreateModel(
                    name='SessionChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('offered', 'Offered'), ('confirmed', 'Confirmed'), ('rescheduled', 'Rescheduled'), ('cancelled', 'Cancelled'), ('completed', 'Completed'), ('no_show', 'Marked as a no-show')], max_length=12)),
                        ('changed_at', models.DateTimeField(auto_now_add=True)),
                        ('reason', models.CharField(blank=True, max_length=500)),
                        ('is_late', models.BooleanField(default=False, help_text='Made within the late-change cut-off before the session.')),
                        ('previous_starts_at', models.DateTimeField(blank=True, null=True)),
                        ('previous_ends_at', models.DateTimeField(blank=True, null=True)),
                        ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='changes', to='scheduling.session')),
                    ],
                    options={
                        'db_table': 'exchange_sessionchange',
                        'ordering': ['changed_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='CalendarFeed',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token_digest', models.CharField(max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='calendar_feeds', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'exchange_calendarfeed',
                        'ordering': ['-created_at'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('revoked_at__isnull', True)), fields=('user',), name='exchange_one_live_feed')],
                    },
                ),
                migrations.AddIndex(
                    model_name='session',
                    index=models.Index(fields=['expert', 'status', 'starts_at'], name='exchange_session_expert'),
                ),
                migrations.AddIndex(
                    model_name='session',
                    index=models.Index(fields=['request', 'status'], name='exchange_session_request'),
                ),
                migrations.AddConstraint(
                    model_name='session',
                    constraint=models.CheckConstraint(condition=models.Q(('starts_at__lt', models.F('ends_at'))), name='exchange_session_start_before_end'),
                ),
                migrations.AddConstraint(
                    model_name='session',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'confirmed')), fields=('request',), name='exchange_session_one_confirmed_per_request'),
                ),
                migrations.AddIndex(
                    model_name='reminder',
                    index=models.Index(fields=['sent_at', 'due_at'], name='exchange_reminder_due'),
                ),
                migrations.AddConstraint(
                    model_name='reminder',
                    constraint=models.UniqueConstraint(fields=('session', 'kind'), name='exchange_reminder_once'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
