"""Scheduling: the top layer. When an expert accepts, times that suit both schools are
offered; the school confirms one; sessions are rescheduled, cancelled and completed, with
reminders, ``.ics`` invitations and private calendar feeds. See docs/scheduling.md."""
