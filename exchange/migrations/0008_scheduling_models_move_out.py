"""Scheduling's models have moved to the ``scheduling`` app (its migration 0001): the
exchange forgets them. State only: the tables and their rows stay, now the scheduling
app's (same names). A notification's session is now ``scheduling.Session``: the same
column and foreign key in the database.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0007_notification_kind_proposal_reminder'),
        ('scheduling', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='notification',
                    name='session',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='scheduling.session'),
                ),
                migrations.RemoveField(
                    model_name='calendarfeed',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='reminder',
                    name='session',
                ),
                migrations.RemoveField(
                    model_name='session',
                    name='attendees',
                ),
                migrations.RemoveField(
                    model_name='session',
                    name='expert',
                ),
                migrations.RemoveField(
                    model_name='session',
                    name='request',
                ),
                migrations.DeleteModel(
                    name='SessionChange',
                ),
                migrations.DeleteModel(
                    name='CalendarFeed',
                ),
                migrations.DeleteModel(
                    name='Reminder',
                ),
                migrations.DeleteModel(
                    name='Session',
                ),
            ],
            database_operations=[],
        ),
    ]
