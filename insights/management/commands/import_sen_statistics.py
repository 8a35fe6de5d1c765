from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.csv_files import HeaderError, count_rows, decode, terminal_progress
from insights import sen_statistics
from insights.services import sen_statistics_import


class Command(BaseCommand):
    help = (
        'Imports DfE\'s "Special educational needs in England" open-data CSV (pupils by LA, '
        "phase, provision and primary need). Safe to run again: rows are updated in place."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV, e.g. sen_phase_type_.csv")

    def handle(self, *args: object, file: Path, **options: object) -> None:
        try:
            text = decode(file.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error

        rows = sen_statistics.iter_rows(text)
        try:
            total, terminal = count_rows(text), self.stdout.isatty()
            with terminal_progress(rows, total=total, terminal=terminal) as progress:
                summary = sen_statistics_import(rows=progress)
        except HeaderError as error:
            raise CommandError(f"{file} is not a SEN statistics file: {error}") from error

        for line, reason in summary.errors:
            self.stderr.write(f"Rejected line {line}: {reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"SEN statistics import: {summary.imported} imported ({summary.created} new, "
                f"{summary.imported - summary.created} updated), {summary.rejected} rejected."
            )
        )
