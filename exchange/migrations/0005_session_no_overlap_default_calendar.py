"""Two things the schema alone cannot say.

1. On PostgreSQL, an exclusion constraint: an expert's live sessions (offered or confirmed)
   never overlap. Ranges are half-open (``[)``), so 09:00–10:00 and 10:00–11:00 may both
   stand. SQLite has no such constraint; there the locked service path is the guarantee.
2. A default term calendar for schools whose LA or trust has published none: the common
   pattern of England's LA calendars for 2026/27 and 2027/28. Admins edit it, or give an LA
   or trust its own.
"""

from datetime import date

from django.db import migrations

CONSTRAINT = "exchange_session_no_overlap"

DEFAULT_CLOSURES = [
    ("holiday", "Christmas holiday", date(2026, 12, 21), date(2027, 1, 1)),
    ("inset", "INSET day", date(2027, 1, 4), date(2027, 1, 4)),
    ("holiday", "February half term", date(2027, 2, 15), date(2027, 2, 19)),
    ("holiday", "Easter holiday", date(2027, 3, 29), date(2027, 4, 9)),
    ("holiday", "May half term", date(2027, 5, 31), date(2027, 6, 4)),
    ("holiday", "Summer holiday", date(2027, 7, 22), date(2027, 9, 1)),
    ("inset", "INSET day", date(2027, 9, 2), date(2027, 9, 2)),
    ("holiday", "October half term", date(2027, 10, 25), date(2027, 10, 29)),
    ("holiday", "Christmas holiday", date(2027, 12, 20), date(2027, 12, 31)),
    ("inset", "INSET day", date(2028, 1, 3), date(2028, 1, 4)),
    ("holiday", "February half term", date(2028, 2, 14), date(2028, 2, 18)),
    ("holiday", "Easter holiday", date(2028, 4, 10), date(2028, 4, 21)),
    ("holiday", "May half term", date(2028, 5, 29), date(2028, 6, 2)),
    ("holiday", "Summer holiday", date(2028, 7, 21), date(2028, 9, 1)),
]


def add_exclusion_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # btree_gist lets a GiST index compare the expert id with "=" beside the range "&&".
    # It is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE exchange_session ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(expert_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status IN ('offered', 'confirmed'))"
    )


def drop_exclusion_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE exchange_session DROP CONSTRAINT {CONSTRAINT}")


def add_default_calendar(apps, schema_editor):
    TermCalendar = apps.get_model("exchange", "TermCalendar")
    Closure = apps.get_model("exchange", "Closure")
    calendar, _ = TermCalendar.objects.get_or_create(
        is_default=True, defaults={"name": "England (default)"}
    )
    for kind, name, start, end in DEFAULT_CLOSURES:
        Closure.objects.get_or_create(
            calendar=calendar, kind=kind, name=name, start_date=start, end_date=end
        )


class Migration(migrations.Migration):
    dependencies = [("exchange", "0004_scheduling")]

    operations = [
        migrations.RunPython(add_exclusion_constraint, drop_exclusion_constraint),
        migrations.RunPython(add_default_calendar, migrations.RunPython.noop),
    ]
