from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.errors import ConflictError
from matching.enums import Objective, RunTrigger
from matching.services import matching_round_run


class Command(BaseCommand):
    help = "Runs a matching round over every waiting request now and prints its figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--objective",
            choices=Objective.values,
            help="Override the active policy's objective for this round.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = matching_round_run(trigger=RunTrigger.COMMAND, objective=options["objective"])
        except ConflictError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Round #{run.pk} ({run.objective}, policy v{run.policy.version}): "
            f"{run.matched_count} of {run.requests_considered} requests matched, "
            f"{run.candidate_pairs} candidate pairs, {run.duration_ms} ms {run.timings_ms}."
        )
