from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = "Exchange"

    def ready(self) -> None:
        # Register the tasks in every process (web too): the outbox publishes by name. Here,
        # not at the top: tasks import models, which load only once ready() runs.
        from exchange import tasks  # noqa: F401, PLC0415
