from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.seed import demo_seed


class Command(BaseCommand):
    help = "Loads the demo: sample schools, a user per role, experts and support requests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default="exchange-demo",
            help="Password for newly created demo users (default: exchange-demo).",
        )

    def handle(self, *args: object, password: str, **options: object) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates users with a known password: not in production.")
        result = demo_seed(password=password)
        schools = result.schools
        self.stdout.write(
            f"Sample schools: {schools.created} created, {schools.updated} updated, "
            f"{schools.unchanged} unchanged, {schools.rejected} rejected."
        )
        statistics = result.sen_statistics
        self.stdout.write(
            f"DfE SEN statistics: {statistics.imported} rows ({statistics.created} new), "
            f"{statistics.rejected} rejected."
        )
        self.stdout.write(
            f"Experts: {result.experts}. Support requests: {result.requests}. "
            f"Approved library resources: {result.resources}. "
            f"Held sessions with feedback: {result.past_sessions}."
        )
        self.stdout.write(f"Demo users (password for new ones: {password}):")
        for user in result.users:
            self.stdout.write(f"  {user.email:<30} {user.role:<18} {user.where}")
