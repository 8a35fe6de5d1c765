from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data (``manage.py seed_demo``): the top layer, as it shows every app."""

    name = "demo"
    verbose_name = "Demo data"
