"""The GIAS reader on its own: no database."""

import pytest

from accounts import gias
from accounts.enums import Phase, SchoolKind
from config import csv_files

HEADER = (
    '"URN","EstablishmentName","EstablishmentStatus (name)","TypeOfEstablishment (name)",'
    '"EstablishmentTypeGroup (name)","PhaseOfEducation (name)","LA (code)","LA (name)",'
    '"SEN1 (name)","SEN2 (name)","TypeOfResourcedProvision (name)","Easting","Northing"\n'
)


def _rows(*lines: str) -> list[gias.ParsedRow]:
    return list(gias.iter_rows(HEADER + "".join(lines)))


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("ASD - Autistic Spectrum Disorder", "ASD"),
        ("SpLD - Specific Learning Difficulty", "SPLD"),
        ("VI - Visual Impairment", "VI"),
        ("AUT - Autism", "ASD"),
        ("BESD - Behaviour, Emotional and Social Difficulties", "SEMH"),
        ("OTH - Other Difficulty/Disability", "OTH"),
    ],
)
def test_need_code_for_label_maps_gias_labels_and_aliases(label, code):
    assert gias.need_code_for_label(label) == code


def test_need_code_for_label_rejects_unknown_codes():
    with pytest.raises(gias.RowError, match="Unknown SEN provision label 'XYZ - Unknown need'"):
        gias.need_code_for_label("XYZ - Unknown need")


@pytest.mark.parametrize(
    ("type_name", "type_group", "resourced", "kind"),
    [
        ("Community special school", "Special schools", "", SchoolKind.SPECIAL),
        ("Academy special converter", "Academies", "", SchoolKind.SPECIAL),
        ("Free schools special", "Free Schools", "", SchoolKind.SPECIAL),
        ("Academy converter", "Academies", "Resourced provision", SchoolKind.MAINSTREAM_RESOURCED),
        (
            "Community school",
            "Local authority maintained schools",
            "SEN unit",
            SchoolKind.MAINSTREAM_RESOURCED,
        ),
        ("Community school", "Local authority maintained schools", "", SchoolKind.MAINSTREAM),
        ("Pupil referral unit", "Local authority maintained schools", "", SchoolKind.OTHER),
        ("Further education", "Colleges", "", SchoolKind.OTHER),
    ],
)
def test_derive_kind(type_name, type_group, resourced, kind):
    assert gias.derive_kind(type_name, type_group, resourced) == kind


def test_decode_reads_cp1252_and_utf8_with_bom():
    name = "St Luke\u2019s CE Primary School"
    assert csv_files.decode(name.encode("cp1252")) == name
    assert csv_files.decode(b"\xef\xbb\xbf" + name.encode("utf-8")) == name


def test_iter_rows_parses_a_valid_row():
    [row] = _rows(
        '"100001","Fernlea Primary School","Open, but proposed to close","Community school",'
        '"Local authority maintained schools","Primary","873","Cambridgeshire",'
        '"SpLD - Specific Learning Difficulty","ASD - Autistic Spectrum Disorder",'
        '"Not applicable","545123","262608"\n'
    )
    record = row.record
    assert row.line == 2
    assert record.urn == 100001
    assert record.is_active is True
    assert record.phase == Phase.PRIMARY
    assert record.kind == SchoolKind.MAINSTREAM
    assert record.resourced_provision_type == ""
    assert record.sen_provisions == (
        ("SPLD", "SpLD - Specific Learning Difficulty"),
        ("ASD", "ASD - Autistic Spectrum Disorder"),
    )
    assert (record.easting, record.northing) == (545123, 262608)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (
            '"","A","Open","Community school","","Primary","873","C","","","","1","2"',
            "URN is empty.",
        ),
        (
            '"12AB","A","Open","Community school","","Primary","873","C","","","","1","2"',
            "URN must be a number, not '12AB'.",
        ),
        (
            '"1","A","Open","Community school","","Primary","","C","","","","1","2"',
            "LA (code) is empty.",
        ),
        (
            '"1","A","Open","Community school","","Primary","873","C","","","","x","2"',
            "Easting must be a whole number, not 'x'.",
        ),
        (
            '"1","A","Open","Community school","","Primary","873","C","","","","1",""',
            "Easting and Northing must both be given or both be empty.",
        ),
        (
            '"1","A","Open","Community school","","Middle","873","C","","","","1","2"',
            "Unknown PhaseOfEducation 'Middle'.",
        ),
        (
            '"1","A","Open","Community school","","Primary","873","C","","","","1","2","extra"',
            "14 fields, but the header has 13.",
        ),
    ],
)
def test_iter_rows_rejects_a_bad_row_with_its_reason_and_line(values, reason):
    good = '"2","B","Open","Community school","","Primary","873","C","","","","1","2"\n'
    rows = _rows(good, values + "\n", good.replace('"2"', '"3"', 1))
    assert [(row.line, row.error) for row in rows] == [(2, ""), (3, reason), (4, "")]


def test_iter_rows_rejects_a_repeated_urn_naming_the_first_line():
    row = '"7","B","Open","Community school","","Primary","873","C","","","","1","2"\n'
    rows = _rows(row, row)
    assert rows[1].error == "URN 7 already appears on line 2."
    assert rows[1].record is None


def test_iter_rows_refuses_a_file_without_required_columns():
    with pytest.raises(gias.HeaderError, match="LA \\(code\\), LA \\(name\\)"):
        list(
            gias.iter_rows(
                '"URN","EstablishmentName","EstablishmentStatus (name)",'
                '"TypeOfEstablishment (name)"\n"1","A","Open","Community school"\n'
            )
        )
