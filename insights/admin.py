from django.contrib import admin

from insights.models import SenStatistic


@admin.register(SenStatistic)
class SenStatisticAdmin(admin.ModelAdmin):
    list_display = [
        "time_period",
        "la_name",
        "phase",
        "provision",
        "need_label",
        "need",
        "pupil_count",
        "symbol",
    ]
    list_filter = ["time_period", "geographic_level", "provision", "phase", "need"]
    search_fields = ["la_name", "old_la_code", "new_la_code"]
