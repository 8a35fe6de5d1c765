"""Reading the GIAS establishment file (``edubasealldataYYYYMMDD.csv``). No ORM in here.

Columns are matched by header name, because they come and go between releases. Personal
data columns (head teacher names, telephone numbers) are never read.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from accounts import constants
from accounts.enums import Phase, SchoolKind
from config.csv_files import HeaderError, RowError

REQUIRED_COLUMNS = (
    "URN",
    "EstablishmentName",
    "EstablishmentStatus (name)",
    "TypeOfEstablishment (name)",
    "LA (code)",
    "LA (name)",
)
SEN_COLUMNS = tuple(f"SEN{n} (name)" for n in range(1, 14))
PHASES_BY_GIAS_NAME = {label.lower(): value for value, label in Phase.choices}


@dataclass(frozen=True)
class SchoolRecord:
    urn: int
    name: str
    type_name: str
    type_group: str
    kind: str
    phase: str
    statutory_low_age: int | None
    statutory_high_age: int | None
    la_code: str
    la_name: str
    region: str
    town: str
    postcode: str
    easting: int | None
    northing: int | None
    trust_code: str
    trust_name: str
    resourced_provision_type: str
    resourced_provision_capacity: int | None
    sen_unit_capacity: int | None
    gias_status: str
    is_active: bool
    # (need code, GIAS label), in file order, one per code.
    sen_provisions: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ParsedRow:
    line: int
    record: SchoolRecord | None = None
    error: str = ""
    urn: str = ""


def iter_rows(text: str) -> Iterator[ParsedRow]:
    """Parses every row, yielding a record or a line-numbered error; never stops early."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise HeaderError("The file is empty.") from None
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise HeaderError(f"Missing required column(s): {', '.join(missing)}.")

    first_line_by_urn: dict[int, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(header):
            yield ParsedRow(line, error=f"{len(values)} fields, but the header has {len(header)}.")
            continue
        row = dict(zip(header, values, strict=False))
        try:
            record = parse_row(row)
        except RowError as error:
            yield ParsedRow(line, error=str(error), urn=row.get("URN", "").strip())
            continue
        if record.urn in first_line_by_urn:
            yield ParsedRow(
                line,
                error=f"URN {record.urn} already appears on line {first_line_by_urn[record.urn]}.",
                urn=str(record.urn),
            )
            continue
        first_line_by_urn[record.urn] = line
        yield ParsedRow(line, record=record, urn=str(record.urn))


class _Cells:
    """One GIAS row's cells: trimmed text (GIAS's placeholders read as empty), required text,
    and whole numbers, each failing with the column's name."""

    def __init__(self, row: dict[str, str]) -> None:
        self.row = row

    def text(self, column: str) -> str:
        value = (self.row.get(column) or "").strip()
        return "" if value.lower() in constants.GIAS_EMPTY_VALUES else value

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            raise RowError(f"{column} is empty.")
        return value

    def integer(self, column: str) -> int | None:
        value = self.text(column)
        if not value:
            return None
        if not value.isdigit():
            raise RowError(f"{column} must be a whole number, not {value!r}.")
        return int(value)


def parse_row(row: dict[str, str]) -> SchoolRecord:
    cells = _Cells(row)
    text, required, integer = cells.text, cells.required, cells.integer
    urn_text = required("URN")
    if not urn_text.isdigit():
        raise RowError(f"URN must be a number, not {urn_text!r}.")
    la_code = required("LA (code)")
    if not la_code.isdigit() or len(la_code) > 3:
        raise RowError(f"LA (code) must be a number of up to 3 digits, not {la_code!r}.")

    type_name = required("TypeOfEstablishment (name)")
    type_group = text("EstablishmentTypeGroup (name)")
    resourced_provision_type = text("TypeOfResourcedProvision (name)")
    phase_name = text("PhaseOfEducation (name)")
    phase = PHASES_BY_GIAS_NAME.get(phase_name.lower()) if phase_name else Phase.NOT_APPLICABLE
    if phase is None:
        raise RowError(f"Unknown PhaseOfEducation {phase_name!r}.")

    low_age, high_age = integer("StatutoryLowAge"), integer("StatutoryHighAge")
    if low_age is not None and high_age is not None and low_age > high_age:
        raise RowError(f"StatutoryLowAge {low_age} is above StatutoryHighAge {high_age}.")
    easting, northing = integer("Easting"), integer("Northing")
    if (easting is None) != (northing is None):
        raise RowError("Easting and Northing must both be given or both be empty.")

    trust_code, trust_name = text("Trusts (code)"), text("Trusts (name)")
    if trust_code and not trust_name:
        raise RowError("Trusts (name) is empty but Trusts (code) is set.")
    status = required("EstablishmentStatus (name)")

    return SchoolRecord(
        urn=int(urn_text),
        name=required("EstablishmentName"),
        type_name=type_name,
        type_group=type_group,
        kind=derive_kind(type_name, type_group, resourced_provision_type),
        phase=phase,
        statutory_low_age=low_age,
        statutory_high_age=high_age,
        la_code=la_code,
        la_name=required("LA (name)"),
        region=text("GOR (name)"),
        town=text("Town"),
        postcode=text("Postcode").upper(),
        easting=easting,
        northing=northing,
        trust_code=trust_code,
        trust_name=trust_name,
        resourced_provision_type=resourced_provision_type,
        resourced_provision_capacity=integer("ResourcedProvisionCapacity"),
        sen_unit_capacity=integer("SenUnitCapacity"),
        gias_status=status,
        is_active=status in constants.GIAS_OPEN_STATUSES,
        sen_provisions=parse_sen_provisions([text(column) for column in SEN_COLUMNS]),
    )


def derive_kind(type_name: str, type_group: str, resourced_provision_type: str) -> str:
    if type_group == constants.GIAS_SPECIAL_TYPE_GROUP or type_name in constants.GIAS_SPECIAL_TYPES:
        return SchoolKind.SPECIAL
    if type_group in constants.GIAS_OTHER_TYPE_GROUPS or type_name in constants.GIAS_OTHER_TYPES:
        return SchoolKind.OTHER
    if resourced_provision_type:
        return SchoolKind.MAINSTREAM_RESOURCED
    return SchoolKind.MAINSTREAM


def need_code_for_label(label: str) -> str:
    """``"ASD - Autistic Spectrum Disorder"`` → ``"ASD"``; ``"SpLD - …"`` → ``"SPLD"``."""
    prefix = label.split(" - ", 1)[0].strip().upper()
    code = constants.NEED_CODE_ALIASES.get(prefix, prefix)
    if code not in constants.NEED_CODES:
        raise RowError(f"Unknown SEN provision label {label!r}.")
    return code


def parse_sen_provisions(labels: list[str]) -> tuple[tuple[str, str], ...]:
    provisions: dict[str, str] = {}
    for label in labels:
        if label:
            provisions.setdefault(need_code_for_label(label), label)
    return tuple(provisions.items())
