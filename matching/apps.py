from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"

    def ready(self) -> None:
        # Register the tasks in every process (web too): the outbox publishes by name. Here,
        # not at the top: tasks import models, which load only once ready() runs.
        from matching import tasks  # noqa: F401, PLC0415
