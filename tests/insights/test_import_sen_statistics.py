"""``manage.py import_sen_statistics`` end to end, against the database."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from insights.models import SenStatistic

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sen_in_england_sample.csv"
ROW_VALUES = [
    "time_period",
    "geographic_level",
    "old_la_code",
    "new_la_code",
    "la_name",
    "phase",
    "provision",
    "need_label",
    "need_id",
    "pupil_count",
    "symbol",
]


def run_import(path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_sen_statistics", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def sample_table() -> list[list[str]]:
    return list(csv.reader(io.StringIO(SAMPLE.read_text("utf-8"), newline="")))


def write_table(path: Path, table: list[list[str]]) -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(table)
    path.write_text(buffer.getvalue(), "utf-8")
    return path


def stored_rows() -> set[tuple]:
    return set(SenStatistic.objects.values_list(*ROW_VALUES))


def test_sample_imports_every_row_with_need_codes_and_symbols():
    data_rows = len(sample_table()) - 1

    out, err = run_import(SAMPLE)

    assert f"{data_rows} imported ({data_rows} new, 0 updated), 0 rejected" in out
    assert err == ""
    assert SenStatistic.objects.count() == data_rows
    camden_asd = SenStatistic.objects.get(
        time_period="202122",
        old_la_code="202",
        phase="State-funded primary",
        provision="SEN support",
        need_label="Autistic Spectrum Disorder",
    )
    assert (camden_asd.need_id, camden_asd.pupil_count, camden_asd.symbol) == ("ASD", 827, "")
    assert camden_asd.new_la_code == "E09000007"
    assert camden_asd.la_name == "Camden"
    unassessed = SenStatistic.objects.filter(need_label__startswith="SEN support but no")
    assert unassessed.exists()
    assert not unassessed.exclude(need=None).exists()
    assert set(SenStatistic.objects.filter(pupil_count=None).values_list("symbol", flat=True)) == {
        "c",
        "low",
        "z",
    }
    assert SenStatistic.objects.filter(need_label__startswith="Profound &", need="PMLD").exists()


def test_running_twice_leaves_the_same_rows():
    run_import(SAMPLE)
    first = stored_rows()

    out, _ = run_import(SAMPLE)

    assert "(0 new," in out
    assert stored_rows() == first
    assert SenStatistic.objects.count() == len(first)


def test_reimport_updates_a_corrected_count_in_place(tmp_path):
    run_import(SAMPLE)
    table = sample_table()
    count_column = table[0].index("total_pupil_count")
    table[1][count_column] = "c"
    before = SenStatistic.objects.count()

    run_import(write_table(tmp_path / "corrected.csv", table))

    assert SenStatistic.objects.count() == before
    corrected = SenStatistic.objects.get(
        time_period="202122",
        old_la_code="202",
        phase="State-funded primary",
        provision="SEN support",
        need_label="Autistic Spectrum Disorder",
    )
    assert (corrected.pupil_count, corrected.symbol) == (None, "c")


def test_drifted_release_with_old_names_and_shuffled_columns_imports_the_same(tmp_path):
    table = sample_table()
    renamed = {
        "sen_provision": "sen_status",
        "sen_primary_need": "primary_need",
        "total_pupil_count": "number_of_pupils",
    }
    header = [renamed.get(name, name) for name in table[0]]
    order = list(reversed(range(len(header))))  # every column moves
    order.remove(header.index("country_name"))  # and one we do not read is gone
    drifted = [[row[k] for k in order] for row in [header, *table[1:]]]
    run_import(SAMPLE)
    expected = stored_rows()
    SenStatistic.objects.all().delete()

    out, err = run_import(write_table(tmp_path / "drifted.csv", drifted))

    assert err == ""
    assert "0 rejected" in out
    assert stored_rows() == expected


def test_bad_rows_are_rejected_with_their_line_numbers_and_the_rest_imported(tmp_path):
    header, good, *_ = sample_table()
    column = {name: k for k, name in enumerate(header)}

    def bad(**changes: str) -> list[str]:
        row = list(good)
        for name, value in changes.items():
            row[column[name]] = value
        return row

    table = [
        header,
        good,  # line 2
        bad(total_pupil_count="12a"),  # line 3
        bad(sen_primary_need="Tiredness"),  # line 4
        bad(time_period="2021/22"),  # line 5
        bad(geographic_level="Ward"),  # line 6
        bad(old_la_code="", new_la_code=""),  # line 7
        good[:5],  # line 8
        bad(sen_provision="EHC plan", total_pupil_count="-3"),  # line 9
        good,  # line 10: the same cell as line 2
    ]

    out, err = run_import(write_table(tmp_path / "bad.csv", table))

    assert "1 imported (1 new, 0 updated), 8 rejected" in out
    assert err.splitlines() == [
        "Rejected line 3: Pupil count must be a whole number or one of c, low, x, z, u, not '12a'.",
        "Rejected line 4: Unknown primary need 'Tiredness'.",
        "Rejected line 5: time_period must be a year such as 202526, not '2021/22'.",
        "Rejected line 6: Unknown geographic_level 'Ward' (expected National, Regional, "
        "Local authority).",
        "Rejected line 7: A local-authority row needs old_la_code or new_la_code.",
        "Rejected line 8: 5 fields, but the header has 14.",
        "Rejected line 9: Pupil count must be a whole number or one of c, low, x, z, u, not '-3'.",
        "Rejected line 10: Same row as line 2.",
    ]
    assert SenStatistic.objects.count() == 1


def test_file_without_the_needed_columns_is_refused_and_nothing_stored(tmp_path):
    path = write_table(tmp_path / "gias.csv", [["URN", "EstablishmentName"], ["1", "A school"]])

    with pytest.raises(CommandError, match="not a SEN statistics file: Missing required column"):
        run_import(path)
    assert not SenStatistic.objects.exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run_import(tmp_path / "absent.csv")
