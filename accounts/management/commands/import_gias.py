from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import gias
from accounts.services import schools_import_from_gias
from config.csv_files import count_rows, decode, terminal_progress


class Command(BaseCommand):
    help = (
        "Imports or updates schools, trusts and local authorities from a GIAS establishment "
        "CSV (cp1252 or UTF-8). Safe to run again: unchanged schools are not touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The GIAS CSV, e.g. edubasealldata20261101.csv")

    def handle(self, *args: object, file: Path, **options: object) -> None:
        try:
            text = decode(file.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error

        rows = gias.iter_rows(text)
        try:
            total, terminal = count_rows(text), self.stdout.isatty()
            with terminal_progress(rows, total=total, terminal=terminal) as progress:
                summary = schools_import_from_gias(rows=progress)
        except gias.HeaderError as error:
            raise CommandError(f"{file} is not a GIAS establishment file: {error}") from error

        for line, urn, reason in summary.errors:
            where = f"line {line}" + (f" (URN {urn})" if urn else "")
            self.stderr.write(f"Rejected {where}: {reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"GIAS import: {summary.created} created, {summary.updated} updated, "
                f"{summary.unchanged} unchanged, {summary.rejected} rejected."
            )
        )
