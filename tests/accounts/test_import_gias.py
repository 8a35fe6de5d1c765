"""``manage.py import_gias`` end to end, against the database."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import LocalAuthority, School, SchoolNeedProvision, Trust

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parents[2]
SAMPLE = PROJECT / "data" / "gias_sample.csv"
BAD_ROWS = PROJECT / "tests" / "data" / "gias_bad_rows.csv"


def run_import(path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_gias", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def read_table(path: Path, encoding: str = "cp1252") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def write_table(path: Path, table: list[list[str]], encoding: str = "cp1252") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(table)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def test_import_creates_every_school_once_and_reports_the_summary():
    out, err = run_import(SAMPLE)

    assert "300 created, 0 updated, 0 unchanged, 0 rejected" in out
    assert err == ""
    assert School.objects.count() == 300
    assert Trust.objects.count() == 4
    assert LocalAuthority.objects.filter(code="873", name="Cambridgeshire").exists()


def test_reimport_changes_nothing_and_touches_no_row():
    run_import(SAMPLE)
    stamps = dict(School.objects.values_list("urn", "updated_at"))

    out, _ = run_import(SAMPLE)

    assert "0 created, 0 updated, 300 unchanged, 0 rejected" in out
    assert dict(School.objects.values_list("urn", "updated_at")) == stamps
    assert School.objects.count() == 300


def test_reimport_updates_only_the_changed_school(tmp_path):
    run_import(SAMPLE)
    table = read_table(SAMPLE)
    urn_col, name_col = table[0].index("URN"), table[0].index("EstablishmentName")
    sen_col = table[0].index("SEN1 (name)")
    changed_urn = int(table[1][urn_col])
    table[1][name_col] = "Renamed Primary School"
    table[1][sen_col] = "HI - Hearing Impairment"
    before = dict(School.objects.values_list("urn", "updated_at"))

    out, _ = run_import(write_table(tmp_path / "changed.csv", table))

    assert "0 created, 1 updated, 299 unchanged, 0 rejected" in out
    school = School.objects.get(urn=changed_urn)
    assert school.name == "Renamed Primary School"
    assert list(school.sen_provisions.values_list("need_code", flat=True)) == ["HI"]
    after = dict(School.objects.values_list("urn", "updated_at"))
    assert [urn for urn in after if after[urn] != before[urn]] == [changed_urn]


def test_closed_schools_are_imported_inactive():
    run_import(SAMPLE)

    closed = School.objects.filter(gias_status="Closed")
    assert closed.count() == 14
    assert not closed.filter(is_active=True).exists()
    assert School.objects.filter(is_active=True).count() == 286


def test_bad_rows_are_rejected_with_line_numbers_and_the_rest_imported():
    out, err = run_import(BAD_ROWS)

    assert "20 created, 0 updated, 0 unchanged, 6 rejected" in out
    assert err.splitlines() == [
        "Rejected line 22: URN is empty.",
        "Rejected line 23 (URN 140089): Easting must be a whole number, not 'five hundred'.",
        "Rejected line 24 (URN 140064): Unknown SEN provision label 'XYZ - Unknown need'.",
        "Rejected line 25 (URN 140099): LA (code) is empty.",
        "Rejected line 26 (URN 12AB): URN must be a number, not '12AB'.",
        "Rejected line 27 (URN 140089): URN 140089 already appears on line 5.",
    ]
    # The valid row for a URN that also appears in a rejected row keeps its good values.
    assert School.objects.get(urn=140089).easting == 545123


def test_cp1252_curly_apostrophe_is_stored_as_unicode():
    run_import(BAD_ROWS)

    assert School.objects.get(urn=140021).name == "St Luke\u2019s CE Primary School"


def test_utf8_file_with_bom_imports_the_same(tmp_path):
    table = read_table(BAD_ROWS)
    path = tmp_path / "utf8.csv"
    write_table(path, table, encoding="utf-8-sig")

    run_import(path)

    assert School.objects.get(urn=140021).name == "St Luke\u2019s CE Primary School"


def test_columns_in_another_order_and_missing_optional_columns(tmp_path):
    table = read_table(SAMPLE)
    dropped = {"Trusts (code)", "Trusts (name)", "Easting", "Northing", "GOR (name)"}
    keep = [i for i, name in enumerate(table[0]) if name not in dropped][::-1]
    reordered = [[row[i] for i in keep] for row in table]

    out, _ = run_import(write_table(tmp_path / "reordered.csv", reordered))

    assert "300 created" in out
    school = School.objects.get(urn=int(table[1][table[0].index("URN")]))
    assert school.name == table[1][table[0].index("EstablishmentName")]
    assert school.trust is None
    assert school.easting is None


def test_sen_provision_labels_become_need_codes():
    run_import(SAMPLE)

    codes = set(SchoolNeedProvision.objects.values_list("need_code", flat=True))
    assert codes <= {
        "ASD",
        "SLCN",
        "SPLD",
        "MLD",
        "SLD",
        "PMLD",
        "SEMH",
        "HI",
        "VI",
        "MSI",
        "PD",
        "OTH",
    }
    assert SchoolNeedProvision.objects.filter(need_code="SPLD", label__startswith="SpLD").exists()


def test_special_and_resourced_schools_get_their_kind():
    run_import(SAMPLE)

    assert School.objects.filter(kind="special").count() == 47
    assert School.objects.filter(kind="mainstream_resourced").count() == 25


def test_personal_data_is_never_imported():
    run_import(SAMPLE)
    table = read_table(SAMPLE)
    personal = {table[0].index(name) for name in ("HeadFirstName", "HeadLastName", "TelephoneNum")}
    phone_numbers = {row[i] for row in table[1:] for i in personal if row[i]}

    stored = {str(value) for row in School.objects.values_list() for value in row}
    assert phone_numbers
    assert not stored & phone_numbers


def test_a_file_that_is_not_gias_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("id,name\n1,x\n")

    with pytest.raises(CommandError, match="Missing required column"):
        run_import(path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run_import(tmp_path / "absent.csv")
