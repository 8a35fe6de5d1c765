from django.db import models
from django.db.models import Q

from insights.enums import StatisticSymbol


class SenStatistic(models.Model):
    """One cell of DfE's "Special educational needs in England": pupils in a period, area,
    phase and provision with a primary need. Imported by ``manage.py import_sen_statistics``.

    Text columns are ``""`` rather than NULL when a level has no such code (a national row has
    no LA), so the unique constraint holds on every row.
    """

    time_period = models.CharField(max_length=6, help_text="DfE's academic year, e.g. 202526.")
    time_identifier = models.CharField(max_length=40, blank=True)
    geographic_level = models.CharField(max_length=20)
    region_code = models.CharField(max_length=9, blank=True)
    region_name = models.CharField(max_length=60, blank=True)
    old_la_code = models.CharField(max_length=3, blank=True, help_text="GIAS's LA (code).")
    new_la_code = models.CharField(max_length=9, blank=True)
    la_name = models.CharField(max_length=80, blank=True)
    phase = models.CharField(max_length=60, blank=True)
    provision = models.CharField(max_length=40, help_text="SEN support, EHC plan or Total.")
    need_label = models.CharField(max_length=120, help_text="The census label, as published.")
    need = models.ForeignKey(
        "exchange.Need",
        to_field="code",
        db_column="need_code",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Our need; empty for census categories that are none of ours.",
    )
    pupil_count = models.PositiveIntegerField(null=True, blank=True)
    symbol = models.CharField(
        max_length=3,
        choices=StatisticSymbol.choices,
        blank=True,
        default=StatisticSymbol.NONE,
        help_text="Why there is no number, in DfE's symbols.",
    )
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "time_period",
                    "geographic_level",
                    "region_code",
                    "old_la_code",
                    "new_la_code",
                    "phase",
                    "provision",
                    "need_label",
                ],
                name="insights_sen_statistic_unique_cell",
            ),
            models.CheckConstraint(
                condition=Q(pupil_count__isnull=True, symbol__in=["c", "low", "x", "z", "u"])
                | Q(pupil_count__isnull=False, symbol=""),
                name="insights_sen_statistic_count_xor_symbol",
            ),
        ]
        indexes = [models.Index(fields=["old_la_code", "need", "time_period"])]

    def __str__(self) -> str:
        area = self.la_name or self.region_name or self.geographic_level
        value = self.pupil_count if self.pupil_count is not None else self.symbol
        return f"{self.time_period} {area} {self.phase} {self.provision} {self.need_label}: {value}"
