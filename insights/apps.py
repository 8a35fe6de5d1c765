from django.apps import AppConfig


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
    verbose_name = "Insights: statistics, suppression and projection"

    def ready(self) -> None:
        from django.contrib import admin  # noqa: PLC0415 - the admin site exists once apps load

        # The admin's landing page shows the dashboard above its app list (docs/analytics.md).
        admin.site.index_template = "admin/insights_index.html"
