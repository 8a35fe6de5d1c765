from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from itertools import batched

from django.db import transaction

from insights.models import SenStatistic
from insights.sen_statistics import ParsedRow, SenStatisticRecord

IMPORT_BATCH_SIZE = 1000
UNIQUE_FIELDS = [
    "time_period",
    "geographic_level",
    "region_code",
    "old_la_code",
    "new_la_code",
    "phase",
    "provision",
    "need_label",
]
VALUE_FIELDS = [
    name.name
    for name in fields(SenStatisticRecord)
    if name.name not in UNIQUE_FIELDS and name.name != "need_code"
]


@dataclass
class SenImportSummary:
    imported: int = 0  # created or updated
    created: int = 0
    rejected: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def sen_statistics_import(*, rows: Iterable[ParsedRow]) -> SenImportSummary:
    """Creates or updates ``SenStatistic`` rows from parsed CSV rows.

    An upsert on the cell's unique key (INSERT … ON CONFLICT DO UPDATE), so importing the same
    file twice leaves the same rows, and a corrected release updates them in place. Each batch
    commits on its own, so a national file does not hold one long transaction.
    """
    summary = SenImportSummary()
    before = SenStatistic.objects.count()
    for batch in batched(rows, IMPORT_BATCH_SIZE):
        records = []
        for row in batch:
            if row.record is None:
                summary.rejected += 1
                summary.errors.append((row.line, row.error))
            else:
                records.append(row.record)
        if records:
            with transaction.atomic():
                SenStatistic.objects.bulk_create(
                    [_statistic(record) for record in records],
                    update_conflicts=True,
                    unique_fields=UNIQUE_FIELDS,
                    update_fields=[*VALUE_FIELDS, "need", "imported_at"],
                )
            summary.imported += len(records)
    summary.created = SenStatistic.objects.count() - before
    return summary


def _statistic(record: SenStatisticRecord) -> SenStatistic:
    values = {name: getattr(record, name) for name in [*UNIQUE_FIELDS, *VALUE_FIELDS]}
    return SenStatistic(need_id=record.need_code, **values)
