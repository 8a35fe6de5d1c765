import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts import gias
from accounts.services import schools_import_from_gias


class Command(BaseCommand):
    help = (
        "Imports or updates schools, trusts and local authorities from a GIAS establishment "
        "CSV (cp1252 or UTF-8). Safe to run again: unchanged schools are not touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The GIAS CSV, e.g. edubasealldata20261101.csv")

    def handle(self, *args: object, file: Path, **options: object) -> None:
        try:
            text = gias.decode(file.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error

        rows = gias.iter_rows(text)
        # A progress bar on a terminal only: logs and CI get the summary alone.
        progress = tqdm(
            rows,
            total=gias.count_rows(text),
            unit=" rows",
            desc="Importing",
            disable=not self.stdout.isatty(),
            file=sys.stderr,
        )
        try:
            summary = schools_import_from_gias(rows=progress)
        except gias.HeaderError as error:
            raise CommandError(f"{file} is not a GIAS establishment file: {error}") from error
        finally:
            progress.close()

        for line, urn, reason in summary.errors:
            where = f"line {line}" + (f" (URN {urn})" if urn else "")
            self.stderr.write(f"Rejected {where}: {reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"GIAS import: {summary.created} created, {summary.updated} updated, "
                f"{summary.unchanged} unchanged, {summary.rejected} rejected."
            )
        )
