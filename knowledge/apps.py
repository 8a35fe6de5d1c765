from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge: feedback and outcomes"

    def ready(self) -> None:
        # Register the tasks in every process (web too): beat and the outbox name them.
        # Here, not at the top: tasks import models, which load only once ready() runs.
        from knowledge import tasks  # noqa: F401, PLC0415
